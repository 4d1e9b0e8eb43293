import { VouchError } from '../errors.js';

/**
 * Why verification could not even be attempted: its configuration or inputs are unusable. A signature
 * that merely fails to verify is not an error but an outcome with a reason; these are about trust
 * material, policies and conditions that are malformed.
 */
export type VerifyErrorCode =
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
  | 'FILE_UNREADABLE'
  /** A CEL condition does not compile. */
  | 'COMPILE'
  /** A CEL condition reads a variable that is not bound. */
  | 'UNKNOWN_VARIABLE'
  /** A CEL condition failed while being evaluated. */
  | 'EVALUATION'
  /** A CEL condition gave something other than a boolean. */
  | 'NOT_BOOLEAN'
  /** A Notary Project trust policy document (trustpolicy.oci.json, trustpolicy.json, or inline) breaks a rule. */
  | 'NOTATION_TRUST_POLICY_INVALID'
  /** A Notary Project trust store (a named store directory, or inline PEM) is missing or holds no usable root. */
  | 'NOTATION_TRUST_STORE_INVALID';

/** The verify layer's one error class (see DESIGN.md: one class per layer, a stable `code`, the `cause` kept). */
export class VerifyError extends VouchError<VerifyErrorCode> {
  readonly layer = 'verify';
}

const CEL_CODES: ReadonlySet<VerifyErrorCode> = new Set([
  'COMPILE',
  'UNKNOWN_VARIABLE',
  'EVALUATION',
  'NOT_BOOLEAN',
]);

/** Whether an error is about a CEL condition (compiling or evaluating it), not about trust material. */
export function isCelError(error: unknown): error is VerifyError {
  return error instanceof VerifyError && CEL_CODES.has(error.code);
}
