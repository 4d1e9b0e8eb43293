/**
 * `npm run demo`: the main job, end to end against a real registry on loopback. It starts the
 * distribution registry, pushes images, and shows every gate the way a user would run it. It cleans up
 * after itself (registry stopped, temporary files removed) even when a step fails.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryClient } from '../src/registry/index.js';
import { runVouch } from '../test/harness/cli.js';
import { buildImage, buildIndex, pushArtifact } from '../test/harness/images.js';
import { tempDir } from '../test/harness/processes.js';
import { startRegistry, type TestRegistry } from '../test/harness/registry.js';

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const dim = (text: string) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text);

export interface DemoContext {
  registry: TestRegistry;
  client: RegistryClient;
  workDir: string;
  /** Runs `vouch …` like a user would, printing the command and its output; returns the exit code. */
  vouch(
    args: string[],
    options?: { env?: Record<string, string>; cwd?: string; expectCode?: number },
  ): Promise<number>;
  say(text: string): void;
}

function section(title: string): void {
  console.log(`\n${bold(`== ${title} ==`)}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const workDir = await tempDir('demo');
  let registry: TestRegistry | undefined;
  let client: RegistryClient | undefined;
  try {
    section('A registry on loopback');
    registry = await startRegistry();
    client = new RegistryClient();
    console.log(`distribution registry listening on ${registry.host}`);
    const context: DemoContext = {
      registry,
      client,
      workDir,
      say: (text) => console.log(text),
      async vouch(args, options = {}) {
        console.log(`\n${dim('$')} vouch ${args.join(' ')}`);
        const result = await runVouch(args, {
          ...(options.env && { env: options.env }),
          ...(options.cwd && { cwd: options.cwd }),
        });
        if (result.stdout) process.stdout.write(result.stdout);
        if (result.stderr) process.stdout.write(dim(result.stderr));
        console.log(dim(`(exit ${result.code})`));
        if (options.expectCode !== undefined && result.code !== options.expectCode) {
          throw new Error(
            `expected exit ${options.expectCode} from vouch ${args.join(' ')}, got ${result.code}`,
          );
        }
        return result.code;
      },
    };

    const repo = { registry: registry.host, repository: 'demo/app' };
    await pushArtifact(client, repo, buildImage({ seed: 'demo-app-1.0.0' }), '1.0.0');
    await pushArtifact(client, repo, buildIndex({ seed: 'demo-app-1.1.0' }), '1.1.0');
    console.log(`pushed ${registry.host}/demo/app:1.0.0 (single platform) and :1.1.0 (multi-platform index)`);

    section('Resolve: every gate verifies a digest, never a tag');
    await context.vouch(['resolve', `${registry.host}/demo/app:1.0.0`, `${registry.host}/demo/app:1.1.0`], {
      expectCode: 0,
    });
    await context.vouch(['resolve', '--output', 'json', `${registry.host}/demo/app:1.1.0`], {
      expectCode: 0,
    });
    await context.vouch(['resolve', `${registry.host}/demo/app:2.0.0`], { expectCode: 1 });

    section('Sign and verify, byte-compatible with cosign');
    const env = { VOUCH_PASSWORD: 'demo-password' };
    const key = join(workDir, 'cosign');
    await context.vouch(['generate-key-pair', '--output-key-prefix', key], { env, expectCode: 0 });
    await context.vouch(
      ['sign', '--key', `${key}.key`, '-a', 'env=prod', `${registry.host}/demo/app:1.0.0`],
      {
        env,
        expectCode: 0,
      },
    );
    await context.vouch(['verify', '--key', `${key}.pub`, `${registry.host}/demo/app:1.0.0`], {
      expectCode: 0,
    });
    context.say('\nThe multi-platform 1.1.0 was never signed, so it does not verify:');
    await context.vouch(['verify', '--key', `${key}.pub`, `${registry.host}/demo/app:1.1.0`], {
      expectCode: 1,
    });

    console.log(`\n${bold(`demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`)}`);
  } finally {
    await client?.close();
    await registry?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
