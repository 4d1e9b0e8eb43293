import { VouchError } from '../errors.js';

export type ReferenceErrorCode =
  | 'EMPTY'
  | 'INVALID_FORMAT'
  | 'INVALID_REGISTRY'
  | 'INVALID_REPOSITORY'
  | 'REPOSITORY_NOT_LOWERCASE'
  | 'NAME_TOO_LONG'
  | 'INVALID_TAG'
  | 'INVALID_DIGEST'
  | 'UNSUPPORTED_DIGEST_ALGORITHM';

export class InvalidReferenceError extends VouchError<ReferenceErrorCode> {
  readonly layer = 'reference';
  readonly input: string;

  constructor(code: ReferenceErrorCode, input: string, reason: string) {
    super(code, `invalid reference ${JSON.stringify(input)}: ${reason}`);
    this.input = input;
  }
}
