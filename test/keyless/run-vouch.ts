import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const VOUCH = fileURLToPath(new URL('../../bin/vouch', import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`npm run build` first) and resolves with its exit code and output. */
export function runVouch(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      VOUCH,
      args,
      { env: { ...process.env, ...env }, timeout: 60_000, ...(cwd && { cwd }) },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}
