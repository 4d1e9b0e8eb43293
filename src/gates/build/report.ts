/**
 * How a build-gate result reads: a table for people (file:line, image, digest, verdict), `WARNING:` /
 * `ERROR:` lines saying why each reference is not verified, and one JSON document for machines.
 */
import type { Verdict } from '../../policy/verdict.js';
import { formatColumns } from '../../util/columns.js';
import type { BuildGateResult, BuildGateRow, RowStatus } from './gate.js';
import type { PinOutcome } from './pin.js';
import type { ArgLocation, ArgUse, BaseReference, ReferenceKind } from './types.js';

export function location(reference: BaseReference): string {
  return reference.line > 0 ? `${reference.file}:${reference.line}` : reference.file;
}

function shownImage(reference: BaseReference): string {
  if (reference.kind === 'ko-builtin') return `${reference.image} (ko default)`;
  return reference.image ?? reference.text;
}

/** The table: one line per reference, columns padded to their widest cell. */
export function formatTable(result: BuildGateResult): string[] {
  const header = ['FILE:LINE', 'IMAGE', 'DIGEST', 'VERDICT'];
  const cells = result.rows.map((row) => [
    location(row.reference),
    shownImage(row.reference),
    row.verdict?.digest ?? '-',
    row.status,
  ]);
  return formatColumns([header, ...cells]);
}

/** Why a row is not verified, one reason per entry (empty for verified rows). */
export function reasons(row: BuildGateRow, strict: boolean): string[] {
  const verdict = row.verdict;
  switch (row.status) {
    case 'verified':
      return [];
    case 'unresolvable':
      return [`cannot be resolved: ${row.reference.unresolved ?? 'unknown reason'}`];
    case 'error':
      return [`verification failed: ${row.error ?? 'unknown error'}`];
    case 'uncovered': {
      const said = verdictMessages(verdict);
      // With no-match-policy allow the engine says nothing; --strict still fails the image.
      return said.length || !strict ? said : ['no policy covers this image'];
    }
    case 'denied': {
      const said = verdictMessages(verdict);
      return said.length ? said : [`not verified${verdict?.failure ? ` (${verdict.failure})` : ''}`];
    }
    case 'warning':
      return verdictMessages(verdict);
  }
}

function verdictMessages(verdict: Verdict | undefined): string[] {
  return verdict ? [...verdict.errors, ...verdict.warnings] : [];
}

/**
 * The lines for stderr: `WARNING:` (or, with `--strict`, `ERROR:`) for each reason a reference is not
 * verified, what `--pin` did or why it did not, and files it could not write.
 */
export function formatMessages(result: BuildGateResult): string[] {
  const prefix = result.strict ? 'ERROR' : 'WARNING';
  const lines: string[] = [];
  for (const row of result.rows) {
    const where = `${location(row.reference)}: ${shownImage(row.reference)}`;
    for (const reason of reasons(row, result.strict)) lines.push(`${prefix}: ${where}: ${reason}`);
    const pin = row.pin;
    if (!pin) continue;
    const at = pinLocation(row.reference, pin);
    if (pin.status === 'pinned') lines.push(`pinned ${at}: ${pin.reference}`);
    else if (pin.status === 'updated') lines.push(`re-pinned ${at}: ${pin.reference} (was ${pin.previous})`);
    else if (pin.status === 'skipped') lines.push(`WARNING: ${where}: not pinned: ${pin.reason}`);
  }
  for (const problem of result.writeErrors) lines.push(`ERROR: ${problem}`);
  return lines;
}

function pinLocation(reference: BaseReference, pin: PinOutcome): string {
  if (pin.status === 'skipped') return location(reference);
  const arg = reference.fromArg;
  return arg && pin.line === arg.line
    ? `${reference.file}:${pin.line} (ARG ${arg.name})`
    : `${reference.file}:${pin.line}`;
}

export interface BasesReferenceJson {
  file: string;
  line: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  kind: ReferenceKind;
  /** Exactly as written in the file. */
  text: string;
  /** After ARG expansion; absent when unresolvable. */
  image?: string;
  status: RowStatus;
  digest?: string;
  verifiedReference?: string;
  reasons: string[];
  unresolved?: string;
  args: ArgUse[];
  fromArg?: ArgLocation;
  stage?: string;
  platform?: string;
  importPath?: string;
  pin?: PinOutcome;
  verdict?: Verdict;
  error?: string;
}

export interface BasesReportJson {
  strict: boolean;
  exitCode: number;
  files: string[];
  written: string[];
  writeErrors: string[];
  references: BasesReferenceJson[];
}

export function toJson(result: BuildGateResult): BasesReportJson {
  return {
    strict: result.strict,
    exitCode: result.exitCode,
    files: result.files,
    written: result.written,
    writeErrors: result.writeErrors,
    references: result.rows.map((row) => {
      const { reference, verdict } = row;
      return {
        file: reference.file,
        line: reference.line,
        ...(reference.span && {
          column: reference.span.column,
          endLine: reference.span.endLine,
          endColumn: reference.span.endColumn,
        }),
        kind: reference.kind,
        text: reference.text,
        ...(reference.image !== undefined && { image: reference.image }),
        status: row.status,
        ...(verdict?.digest !== undefined && { digest: verdict.digest }),
        ...(verdict?.verifiedReference !== undefined && { verifiedReference: verdict.verifiedReference }),
        reasons: reasons(row, result.strict),
        ...(reference.unresolved !== undefined && { unresolved: reference.unresolved }),
        args: reference.args,
        ...(reference.fromArg && { fromArg: reference.fromArg }),
        ...(reference.stage !== undefined && { stage: reference.stage }),
        ...(reference.platform !== undefined && { platform: reference.platform }),
        ...(reference.importPath !== undefined && { importPath: reference.importPath }),
        ...(row.pin && { pin: row.pin }),
        ...(verdict && { verdict }),
        ...(row.error !== undefined && { error: row.error }),
      };
    }),
  };
}
