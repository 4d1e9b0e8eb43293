import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whether this file runs from test/harness (vitest) or dist/test/harness (demo, bench). */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root');
    dir = parent;
  }
  return dir;
}

export const VOUCH_BIN = join(repositoryRoot(), 'bin', 'vouch');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `bin/vouch` (the compiled CLI in dist/, which `npm test` builds first) and collects its
 * exit code and output. Variables that would change what a test sees (a developer's docker config,
 * passwords, `COSIGN_REPOSITORY`, `VOUCH_POLICY`) are cleared; `env` adds or overrides, and a variable
 * set to `undefined` there is removed.
 */
export function runVouch(
  args: readonly string[],
  options: {
    env?: Record<string, string | undefined>;
    input?: string;
    cwd?: string;
    timeoutMs?: number;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      DOCKER_CONFIG: '/nonexistent-vouch-test',
      NO_COLOR: '1',
      VOUCH_PASSWORD: undefined,
      COSIGN_PASSWORD: undefined,
      COSIGN_REPOSITORY: undefined,
      VOUCH_POLICY: undefined,
      ...options.env,
    };
    for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
    const child = spawn(process.execPath, [VOUCH_BIN, ...args], {
      cwd: options.cwd,
      env: env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
