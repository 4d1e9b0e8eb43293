/**
 * The build gate: read the build files, evaluate every distinct base image once through the policy
 * engine (the ImageChecker), classify each reference, optionally pin verified references to the digest
 * that was verified, and decide the exit code (warn-first by default, `strict` fails on anything that
 * is not verified).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { describeError } from '../../errors.js';
import type { ImageChecker, Verdict } from '../../policy/verdict.js';
import { formatReference, isDigest, parseReference } from '../../reference/index.js';
import { Deadline } from '../../util/deadline.js';
import { mapConcurrent } from '../../util/semaphore.js';
import { discoverBuildFiles } from './discover.js';
import { parseDockerfile } from './dockerfile.js';
import { BuildError } from './errors.js';
import { parseKoConfig } from './ko.js';
import { applyEdits, type PinOutcome, planPins } from './pin.js';
import { type BaseReference, formatDiagnostic, type ParsedBuildFile } from './types.js';

/**
 * For builds, an image no policy covers is a warning unless the policy files say otherwise (ko's
 * proposal, policy-controller's `no-match-policy: warn`). The checker for `vouch bases` must be built
 * with this default.
 */
export const BUILD_NO_MATCH_POLICY = 'warn' as const;

export interface BuildInputs {
  files: ParsedBuildFile[];
}

export interface LoadOptions {
  /** `--build-arg NAME=VALUE` overrides of global ARG defaults. */
  buildArgs?: Readonly<Record<string, string>>;
}

/**
 * Finds and parses the build files under `paths`. Every located problem of every file is collected
 * first; if there is any, throws BuildError `SYNTAX` carrying them all.
 */
export async function loadBuildInputs(
  paths: readonly string[],
  options: LoadOptions = {},
): Promise<BuildInputs> {
  const found = await discoverBuildFiles(paths);
  const files: ParsedBuildFile[] = [];
  for (const file of found) {
    let text: string;
    try {
      text = await readFile(file.path, 'utf8');
    } catch (cause) {
      throw new BuildError('NO_INPUT', `cannot read ${file.path}: ${(cause as Error).message}`, {
        cause,
      });
    }
    files.push(
      file.kind === 'ko'
        ? parseKoConfig(file.path, text)
        : parseDockerfile(file.path, text, { buildArgs: options.buildArgs ?? {} }),
    );
  }
  const diagnostics = files.flatMap((file) => file.diagnostics);
  if (diagnostics.length)
    throw new BuildError('SYNTAX', diagnostics.map(formatDiagnostic).join('\n'), { diagnostics });
  return { files };
}

/**
 * - `verified`: allowed, covered by at least one policy, no warning.
 * - `warning`: allowed, but a policy in `mode: warn` failed (or the engine warned otherwise).
 * - `uncovered`: no policy covers the image (whatever the no-match policy decided).
 * - `denied`: not allowed (a signature, policy or registry failure).
 * - `unresolvable`: the reference could not be known (an unset ARG, …).
 * - `error`: the checker failed; a verifier that errors has not verified anything.
 */
export type RowStatus = 'verified' | 'warning' | 'uncovered' | 'denied' | 'unresolvable' | 'error';

export interface BuildGateRow {
  reference: BaseReference;
  status: RowStatus;
  verdict?: Verdict;
  /** What the checker threw, for `error`. */
  error?: string;
  /** What `--pin` did, for verified references when pinning. */
  pin?: PinOutcome;
}

export interface BuildGateOptions {
  checker: ImageChecker;
  /** Fail (exit 1) on anything that is not verified, uncovered images included. */
  strict?: boolean;
  /** Rewrite verified references in place as `image:tag@sha256:<verified digest>`. */
  pin?: boolean;
  /** Deadline for all the registry work of one image. */
  timeoutMs?: number;
  /** How many images are evaluated at once (default 8). */
  concurrency?: number;
}

export interface BuildGateResult {
  strict: boolean;
  /** Every file read, in order. */
  files: string[];
  /** One row per reference, in file order. */
  rows: BuildGateRow[];
  /** Files `--pin` rewrote. */
  written: string[];
  /** Files `--pin` could not rewrite, with the reason. */
  writeErrors: string[];
  exitCode: 0 | 1;
}

/** An image no policy covers: the engine's no-match outcome, or an allowed verdict that matched no policy. */
export function classifyVerdict(verdict: Verdict): RowStatus {
  if (verdict.failure === 'no-match') return 'uncovered';
  if (!verdict.allowed) return 'denied';
  if (verdict.policies.length === 0) return 'uncovered';
  if (verdict.warnings.length > 0 || verdict.errors.length > 0) return 'warning';
  return 'verified';
}

export async function runBuildGate(inputs: BuildInputs, options: BuildGateOptions): Promise<BuildGateResult> {
  const strict = options.strict ?? false;
  const outcomes = await evaluateImages(inputs, options);
  const rows: BuildGateRow[][] = inputs.files.map((file) =>
    file.references.map((reference): BuildGateRow => {
      if (reference.image === undefined) return { reference, status: 'unresolvable' };
      const outcome = outcomes.get(distinctKey(reference.image)) as ImageOutcome;
      if ('error' in outcome) return { reference, status: 'error', error: outcome.error };
      return { reference, status: classifyVerdict(outcome.verdict), verdict: outcome.verdict };
    }),
  );

  const written: string[] = [];
  const writeErrors: string[] = [];
  if (options.pin) {
    for (const [fileIndex, file] of inputs.files.entries()) {
      const fileRows = rows[fileIndex] as BuildGateRow[];
      const digests = new Map<number, string>();
      fileRows.forEach((row, index) => {
        const digest = row.verdict?.digest;
        if (row.status === 'verified' && digest !== undefined && isDigest(digest)) digests.set(index, digest);
      });
      const { edits, outcomes: pins } = planPins(file, digests);
      for (const [index, pin] of pins) (fileRows[index] as BuildGateRow).pin = pin;
      fileRows.forEach((row, index) => {
        if (row.status === 'verified' && !digests.has(index))
          row.pin = { status: 'skipped', reason: 'the verdict names no digest to pin' };
      });
      if (edits.length === 0) continue;
      const problem = await rewrite(file, applyEdits(file.text, edits));
      if (problem) {
        writeErrors.push(problem);
        for (const [index, pin] of pins)
          if (pin.status === 'pinned' || pin.status === 'updated')
            (fileRows[index] as BuildGateRow).pin = { status: 'skipped', reason: problem };
      } else {
        written.push(file.path);
      }
    }
  }

  const all = rows.flat();
  const failed = strict && all.some((row) => row.status !== 'verified');
  return {
    strict,
    files: inputs.files.map((file) => file.path),
    rows: all,
    written,
    writeErrors,
    exitCode: failed || writeErrors.length > 0 ? 1 : 0,
  };
}

type ImageOutcome = { verdict: Verdict } | { error: string };

/** `alpine` and `docker.io/library/alpine:latest` are one image: evaluated once. */
function distinctKey(image: string): string {
  return formatReference(parseReference(image));
}

async function evaluateImages(
  inputs: BuildInputs,
  options: BuildGateOptions,
): Promise<Map<string, ImageOutcome>> {
  const images = new Map<string, string>();
  for (const file of inputs.files)
    for (const reference of file.references)
      if (reference.image !== undefined && !images.has(distinctKey(reference.image)))
        images.set(distinctKey(reference.image), reference.image);
  const entries = [...images];
  const results = await mapConcurrent(entries, options.concurrency ?? 8, async ([, image]) => {
    try {
      const deadline = options.timeoutMs === undefined ? undefined : Deadline.after(options.timeoutMs);
      const verdict = await options.checker.check({ image }, deadline ? { deadline } : undefined);
      return { verdict };
    } catch (error) {
      return { error: describeError(error) };
    }
  });
  return new Map(entries.map(([key], index) => [key, results[index] as ImageOutcome]));
}

/** Writes the pinned text, unless the file changed since it was read (or is not UTF-8 that round-trips). */
async function rewrite(file: ParsedBuildFile, text: string): Promise<string | undefined> {
  try {
    const current = await readFile(file.path);
    if (!current.equals(Buffer.from(file.text, 'utf8')))
      return `${file.path} changed while vouch was checking it (or is not UTF-8); not pinned`;
    await writeFile(file.path, text, 'utf8');
    return undefined;
  } catch (error) {
    return `cannot write ${file.path}: ${describeError(error)}`;
  }
}
