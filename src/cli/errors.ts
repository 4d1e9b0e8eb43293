import { VouchError } from '../errors.js';

export type CliErrorCode = 'USAGE' | 'CONFIG' | 'INPUT';

/** A problem with how vouch was called or configured: always exit 2. */
export class CliError extends VouchError<CliErrorCode> {
  readonly layer = 'cli';
}

export const ExitCode = {
  /** Everything asked for was verified (or resolved). */
  OK: 0,
  /** Something was not verified, not found, or the registry failed. */
  NOT_VERIFIED: 1,
  /** Invalid usage, input or configuration. */
  USAGE: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
