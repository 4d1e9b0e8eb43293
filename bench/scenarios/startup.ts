import { spawnSync } from 'node:child_process';
import { VOUCH_BIN } from '../../test/harness/cli.js';
import { type BenchRow, median, round, type Scenario } from '../lib.js';

function timeSpawn(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  return performance.now() - started;
}

/** Issue 2: start-up of `vouch --version` against `node -e 0`, alternated in the same run. */
export const startupScenario: Scenario = {
  name: 'startup',
  async run(): Promise<BenchRow[]> {
    const vouch: number[] = [];
    const node: number[] = [];
    for (let i = 0; i < 33; i++) {
      const a = timeSpawn([VOUCH_BIN, '--version']);
      const b = timeSpawn(['-e', '0']);
      if (i >= 3) {
        vouch.push(a);
        node.push(b);
      }
    }
    const help: number[] = [];
    for (let i = 0; i < 10; i++) help.push(timeSpawn([VOUCH_BIN, '--help']));
    const ours = median(vouch);
    const floor = median(node);
    return [
      {
        group: 'startup',
        figure: '`vouch --version` wall time (median of 30)',
        value: round(ours, 1),
        unit: 'ms',
        reference: { label: 'node -e 0', value: round(floor, 1) },
        goal: 'within 1.5x of node -e 0',
        met: ours <= floor * 1.5,
      },
      {
        group: 'startup',
        figure: '`vouch --help` wall time (median of 10; loads the CLI framework)',
        value: round(median(help), 1),
        unit: 'ms',
        reference: { label: 'node -e 0', value: round(floor, 1) },
        goal: 'informational',
        met: true,
      },
    ];
  },
};
