import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const VOUCH = fileURLToPath(new URL('../../bin/vouch', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`npm run build` first) and returns its exit code and output, never throwing. */
export function vouch(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<RunResult> {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    VOUCH_PASSWORD: undefined,
    COSIGN_PASSWORD: undefined,
    COSIGN_REPOSITORY: undefined,
    ...env,
  };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [VOUCH, ...args],
      { env: merged as NodeJS.ProcessEnv, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), typing `answers` one per password prompt,
 * to exercise the interactive path.
 */
export function vouchOnTerminal(args: readonly string[], answers: readonly string[]): Promise<RunResult> {
  const quoted = [process.execPath, VOUCH, ...args]
    .map((part) => `'${part.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.VOUCH_PASSWORD;
  delete env.COSIGN_PASSWORD;
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', quoted, '/dev/null'], { env: env as NodeJS.ProcessEnv });
    let stdout = '';
    let asked = 0;
    const remaining = [...answers];
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const prompts = stdout.split('password').length - 1;
      while (asked < prompts && remaining.length) {
        asked++;
        child.stdin.write(`${remaining.shift()}\r`);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr: '' });
    });
  });
}
