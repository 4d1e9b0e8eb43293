import { VouchError } from '../../errors.js';

export type PromoteErrorCode =
  | 'INVALID_OBJECT' // a Flux object, Secret or marker file that does not validate
  | 'DUPLICATE_OBJECT'
  | 'DANGLING_REFERENCE' // an ImagePolicy naming an ImageRepository that was not loaded
  | 'INVALID_TEMPLATE'
  | 'INVALID_PATH'
  | 'NOT_A_REPOSITORY'
  | 'DIRTY_FILE' // a file to be rewritten has uncommitted changes
  | 'READ_FAILED'
  | 'GIT' // git itself failed (commit, push, signing)
  | 'INVALID_SEMVER_RANGE' // an ImagePolicy's semver range that Masterminds semver would refuse
  | 'INVALID_REGEXP'; // a filterTags pattern or extract template that Go's regexp would refuse

/** Codes that mean the input or its environment is wrong (the CLI exits 2 for them). */
const INPUT_CODES: ReadonlySet<PromoteErrorCode> = new Set([
  'INVALID_OBJECT',
  'DUPLICATE_OBJECT',
  'DANGLING_REFERENCE',
  'INVALID_TEMPLATE',
  'INVALID_PATH',
  'NOT_A_REPOSITORY',
  'DIRTY_FILE',
  'READ_FAILED',
  'INVALID_SEMVER_RANGE',
  'INVALID_REGEXP',
]);

/** A failure of the promotion gate: its inputs (Flux objects, files, templates) or Git. */
export class PromoteError extends VouchError<PromoteErrorCode> {
  readonly layer = 'gates/promote';

  get isInputError(): boolean {
    return INPUT_CODES.has(this.code);
  }
}

export function isPromoteError(value: unknown, code?: PromoteErrorCode): value is PromoteError {
  return value instanceof PromoteError && (code === undefined || value.code === code);
}
