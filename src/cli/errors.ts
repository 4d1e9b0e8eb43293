import { VouchError } from '../errors.js';

export type CliErrorCode =
  | 'USAGE' // flags that do not go together, or a value a flag does not take
  | 'CONFIG' // a configuration (policies, cache, certificates) that cannot be used
  | 'INPUT' // an input file or argument that cannot be read or parsed
  | 'CLOSED'; // work asked of a command's engine after it shut down

/** A problem with how vouch was called or configured: exit 2. */
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
