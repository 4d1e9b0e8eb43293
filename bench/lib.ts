/**
 * Benchmark plumbing: every scenario measures a figure and its reference side by side in the same
 * run, and says what the goal is. `run.ts` prints the rows as a table and writes them as JSON.
 */
export interface BenchRow {
  /** Which issue's benchmark this row belongs to (e.g. `resolve`, `verify`, `webhook`). */
  group: string;
  /** What is measured, in words. */
  figure: string;
  /** The measured value and its unit. */
  value: number;
  unit: string;
  /** The reference measured in the same run (the floor, or the competing approach), when there is one. */
  reference?: { label: string; value: number };
  /** The goal, in words, and whether this run met it. */
  goal: string;
  met: boolean;
}

export interface Scenario {
  name: string;
  run(): Promise<BenchRow[]>;
}

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

/**
 * Runs `task` `iterations` times after `warmup` runs and returns the per-run durations in ms.
 * Alternating two tasks with `interleave` is fairer on a noisy machine than running them in blocks.
 */
export async function timeRuns(
  task: () => Promise<unknown>,
  iterations: number,
  warmup = 3,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await task();
  const durations: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await task();
    durations.push(performance.now() - started);
  }
  return durations;
}

/** Times two tasks alternately (A, B, A, B, …) so that machine noise hits both alike. */
export async function interleave(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  iterations: number,
  warmup = 5,
): Promise<{ a: number[]; b: number[] }> {
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const result = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < iterations; i++) {
    let started = performance.now();
    await a();
    result.a.push(performance.now() - started);
    started = performance.now();
    await b();
    result.b.push(performance.now() - started);
  }
  return result;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
