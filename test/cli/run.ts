import { execFile } from 'node:child_process';
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
