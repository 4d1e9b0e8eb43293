import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killLeftovers } from './processes.js';

/** Gives every worker a PID directory and kills whatever is left in it when the run ends. */
export default async function setup(): Promise<() => void> {
  const dir = await mkdtemp(join(tmpdir(), 'vouch-harness-pids-'));
  process.env.VOUCH_HARNESS_PID_DIR = dir;
  return () => {
    killLeftovers(dir);
    rmSync(dir, { recursive: true, force: true });
  };
}
