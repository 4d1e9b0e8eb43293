import { VouchError } from '../../errors.js';

/**
 * Why keyless trust material, a keyless policy or a verification input could not be used at all.
 * A signature that merely fails to verify is not an error: it is a result with a failure reason
 * (see `failures.ts`). These errors are about configuration and malformed input.
 */
export type KeylessErrorCode =
  /** A trusted_root.json (embedded, `--trusted-root`, or inside a TrustRoot resource) is malformed. */
  | 'TRUSTED_ROOT_INVALID'
  /** A policy-controller TrustRoot resource is malformed. */
  | 'TRUSTROOT_INVALID'
  /** A TrustRoot resource asks for something vouch does not do offline (`remote`, `repository`). */
  | 'TRUSTROOT_UNSUPPORTED'
  /** PEM text (roots, intermediates, chain, public key) is malformed or holds the wrong kind of block. */
  | 'PEM_INVALID'
  /** A keyless identity policy is incomplete or its regular expression is not valid RE2. */
  | 'POLICY_INVALID'
  /** A file named by the caller cannot be read. */
  | 'FILE_UNREADABLE';

export class KeylessError extends VouchError<KeylessErrorCode> {
  readonly layer = 'verify';
}
