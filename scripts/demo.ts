/**
 * `npm run demo`: the main job, end to end against a real registry on loopback. It starts the
 * distribution registry, pushes images, and shows every gate the way a user would run it. It cleans up
 * after itself (registry stopped, temporary files removed) even when a step fails.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RegistryClient } from '../src/registry/index.js';
import { runVouch } from '../test/harness/cli.js';
import { buildImage, buildIndex, pushArtifact } from '../test/harness/images.js';
import { tempDir } from '../test/harness/processes.js';
import { startRegistry, type TestRegistry } from '../test/harness/registry.js';
import { admissionDemo } from './demo-admission.js';

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

const execute = promisify(execFile);

async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await execute('git', args, { cwd })).stdout;
}

/**
 * A bare "remote" and a working clone holding Flux ImageRepository/ImagePolicy objects and a
 * Deployment whose image carries a Flux setter marker, pinned to a version older than any pushed.
 */
async function createGitRepository(workDir: string, host: string): Promise<string> {
  const remote = join(workDir, 'gitops.git');
  const work = join(workDir, 'gitops');
  await execute('git', ['init', '--quiet', '--bare', '--initial-branch=main', remote]);
  await execute('git', ['clone', '--quiet', remote, work]);
  await git(work, 'config', 'user.name', 'Demo Owner');
  await git(work, 'config', 'user.email', 'owner@example.test');
  await git(work, 'config', 'commit.gpgsign', 'false');
  await git(work, 'checkout', '--quiet', '-b', 'main');
  await mkdir(join(work, 'deploy'), { recursive: true });
  await writeFile(
    join(work, 'deploy', 'automation.yaml'),
    `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: { name: app, namespace: flux-system }
spec: { image: ${host}/demo/app, interval: 5m }
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: { name: app, namespace: flux-system }
spec:
  imageRepositoryRef: { name: app }
  policy: { semver: { range: ">=0.9.0" } }
`,
  );
  await writeFile(
    join(work, 'deploy', 'app.yaml'),
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
        - name: app
          image: ${host}/demo/app:0.9.0 # {"$imagepolicy": "flux-system:app"}
`,
  );
  await git(work, 'add', '.');
  await git(work, 'commit', '--quiet', '-m', 'app at 0.9.0');
  await git(work, 'push', '--quiet', '-u', 'origin', 'main');
  return work;
}

/** The demo's ClusterImagePolicy: the demo repository must carry a signature by the demo key. */
function demoPolicy(host: string, publicKeyPem: string): string {
  const indented = publicKeyPem
    .trim()
    .split('\n')
    .map((line) => `          ${line}`)
    .join('\n');
  return `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: demo-signed
spec:
  images:
    - glob: "${host}/demo/**"
  authorities:
    - name: demo-key
      key:
        data: |
${indented}
`;
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
          cwd: options.cwd ?? workDir,
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
    const key = 'cosign';
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

    section('One policy language: sigstore policy-controller ClusterImagePolicy');
    const policyFile = 'policy.yaml';
    const publicKey = await readFile(join(workDir, `${key}.pub`), 'utf8');
    await writeFile(join(workDir, policyFile), demoPolicy(registry.host, publicKey));
    context.say(`policy.yaml: every image under ${registry.host}/demo/** must be signed by the demo key`);
    await context.vouch(['policy', 'lint', policyFile], { expectCode: 0 });
    await context.vouch(['verify', '--policy', policyFile, `${registry.host}/demo/app:1.0.0`], {
      expectCode: 0,
    });
    await context.vouch(
      ['policy', 'test', '--policy', policyFile, '--image', `${registry.host}/demo/app:1.1.0`],
      {
        expectCode: 1,
      },
    );

    section('Build gate: vouch bases checks base images before a build');
    const dockerfile = 'Dockerfile';
    await writeFile(
      join(workDir, dockerfile),
      `ARG BASE=${registry.host}/demo/app:1.0.0\nFROM \${BASE} AS build\nRUN make\n\nFROM ${registry.host}/demo/app:1.1.0\nCOPY --from=build /out /app\n`,
    );
    context.say(`Dockerfile:\n${await readFile(join(workDir, dockerfile), 'utf8')}`);
    context.say('By default a failure is a warning, so teams can adopt the gate first:');
    await context.vouch(['bases', '--policy', policyFile, dockerfile], { expectCode: 0 });
    context.say('\nWith --strict the unsigned runtime base fails the build:');
    await context.vouch(['bases', '--policy', policyFile, '--strict', dockerfile], { expectCode: 1 });
    context.say(
      '\nOnce the base is the signed one, --pin writes the digest that was verified into the ARG line:',
    );
    await writeFile(
      join(workDir, dockerfile),
      (await readFile(join(workDir, dockerfile), 'utf8')).replace('demo/app:1.1.0', 'demo/app:1.0.0'),
    );
    await context.vouch(['bases', '--policy', policyFile, '--strict', '--pin', dockerfile], {
      expectCode: 0,
    });
    context.say(`Dockerfile now:\n${await readFile(join(workDir, dockerfile), 'utf8')}`);

    section('Promotion gate: vouch update commits only verified digests');
    const gitops = await createGitRepository(workDir, registry.host);
    context.say(
      'A GitOps repository pinned to 0.9.0, with Flux objects (semver >=0.9.0) and a setter marker:',
    );
    context.say(await readFile(join(gitops, 'deploy', 'app.yaml'), 'utf8'));
    context.say('The newest tag, 1.1.0, is unsigned: vouch falls back to the newest tag that verifies.');
    await context.vouch(
      [
        'update',
        '--policy',
        join('..', policyFile),
        '--path',
        'deploy',
        '--author',
        'vouch <vouch@example.test>',
        '--push',
      ],
      { cwd: gitops, expectCode: 0 },
    );
    context.say(`deploy/app.yaml now:\n${await readFile(join(gitops, 'deploy', 'app.yaml'), 'utf8')}`);
    context.say(`git log: ${(await git(gitops, 'log', '--format=%s', '-1')).trim()}`);
    context.say('A second run finds nothing newer that verifies and commits nothing:');
    await context.vouch(['update', '--policy', join('..', policyFile), '--path', 'deploy'], {
      cwd: gitops,
      expectCode: 0,
    });

    section('Admission gate: vouch webhook answers the API server');
    await admissionDemo(context, policyFile);

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
