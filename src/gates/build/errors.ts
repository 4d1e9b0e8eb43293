import { VouchError } from '../../errors.js';
import type { Diagnostic } from './types.js';

export type BuildErrorCode =
  /** A Dockerfile or `.ko.yaml` cannot be read as one: see `diagnostics`. */
  | 'SYNTAX'
  /** A path does not exist, cannot be read, or a directory holds no build file. */
  | 'NO_INPUT'
  /** A word BuildKit would reject (unterminated quote or `${`, a bad substitution): see `index`. */
  | 'SHELL_SYNTAX';

/** The build gate's one error class: input it cannot work with (exit 2 at the CLI). */
export class BuildError extends VouchError<BuildErrorCode> {
  readonly layer = 'gates/build';
  /** Every located problem found, `file:line: message` each; set for `SYNTAX`. */
  readonly diagnostics: readonly Diagnostic[];
  /** `SHELL_SYNTAX`: the position in the word where the problem starts (the caller locates it). */
  readonly index?: number;

  constructor(
    code: BuildErrorCode,
    message: string,
    options: { diagnostics?: readonly Diagnostic[]; index?: number; cause?: unknown } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.diagnostics = options.diagnostics ?? [];
    if (options.index !== undefined) this.index = options.index;
  }
}
