import { VouchError } from '../errors.js';

export type SignatureErrorCode =
  | 'INVALID_PAYLOAD' // a simple-signing payload or in-toto statement that does not parse
  | 'INVALID_ENVELOPE' // a DSSE envelope that does not parse
  | 'INVALID_BUNDLE' // a Sigstore bundle (or cosign's Rekor bundle annotation) that does not parse
  | 'INVALID_MANIFEST' // a signature or referrer manifest of the wrong shape
  | 'INVALID_BASE64'
  | 'INVALID_PEM' // PEM text that does not parse (stray text, unmatched BEGIN/END, bad base64)
  | 'TOO_MANY_LAYERS'
  | 'TOO_LARGE'
  | 'INVALID_KEY' // not a key, or a key of the wrong kind
  | 'UNSUPPORTED_KEY' // a key vouch cannot use (curve, size, algorithm)
  | 'UNSUPPORTED_KDF' // an encrypted key with KDF parameters cosign would refuse
  | 'WRONG_PASSWORD'
  | 'PASSWORD_REQUIRED'
  | 'INVALID_ANNOTATION'
  | 'INVALID_PREDICATE';

/** A signature-format problem: what was malformed, in words a person can act on, with a stable code. */
export class SignatureError extends VouchError<SignatureErrorCode> {
  readonly layer = 'signature';
}
