import { VouchError } from '../../errors.js';
import type { Diagnostic } from './types.js';

export type BuildGateErrorCode =
  /** A Dockerfile or `.ko.yaml` cannot be read as one: see `diagnostics`. */
  | 'SYNTAX'
  /** A path does not exist, cannot be read, or a directory holds no build file. */
  | 'NO_INPUT';

/** The build gate's one error class: input it cannot work with (exit 2 at the CLI). */
export class BuildGateError extends VouchError<BuildGateErrorCode> {
  readonly layer = 'gates/build';
  /** Every located problem found, `file:line: message` each; set for `SYNTAX`. */
  readonly diagnostics: readonly Diagnostic[];

  constructor(
    code: BuildGateErrorCode,
    message: string,
    options: { diagnostics?: readonly Diagnostic[]; cause?: unknown } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.diagnostics = options.diagnostics ?? [];
  }
}
