/**
 * Why a Notary Project PKI check failed: one code per distinct cause, stable for callers to switch on;
 * the reason beside it is for people and may change.
 */
export type PkiFailureCode =
  /** A certificate, CRL, OCSP answer or timestamp token cannot be parsed, or is over its size limit. */
  | 'MALFORMED'
  /** The certificate chain is empty or longer than vouch follows. */
  | 'CHAIN_LENGTH'
  /** A certificate is not issued (named and signed) by the next one in the chain. */
  | 'CHAIN_ORDER'
  /** The last certificate is not a valid self-signed root, or one before it is self-signed. */
  | 'CHAIN_ROOT'
  /** A certificate is signed with SHA-1 or an algorithm the Notary Project does not allow. */
  | 'SIGNATURE_ALGORITHM'
  /** Basic constraints: a CA without `cA: true` (critical), a leaf with `cA: true`, a path too long. */
  | 'BASIC_CONSTRAINTS'
  /** Key usage absent, not critical where it must be, or with a bit required or forbidden. */
  | 'KEY_USAGE'
  /** Extended key usage forbidden for code signing, or not exactly timeStamping for a TSA. */
  | 'EXTENDED_KEY_USAGE'
  /** A signing key that is not RSA 2048/3072/4096 or ECDSA P-256/P-384/P-521. */
  | 'KEY_TYPE'
  /** A certificate was not yet valid at the time it is judged at. */
  | 'NOT_YET_VALID'
  /** A certificate had expired at the time it is judged at. */
  | 'EXPIRED'
  /** No trust store of the kind the signing scheme needs is configured. */
  | 'NO_TRUST_STORE'
  /** The chain does not reach a certificate in the trust stores. */
  | 'UNTRUSTED'
  /** A certificate in a trust store is not usable as a trust anchor of its kind. */
  | 'TRUST_STORE_CERTIFICATE'
  /** A timestamp is needed and the signature carries none. */
  | 'TIMESTAMP_MISSING'
  /** The timestamp token does not verify (content, signer, signature, attributes). */
  | 'TIMESTAMP_INVALID'
  /** The timestamp is over something other than this signature. */
  | 'TIMESTAMP_MISMATCH'
  /** The timestamp's time (with its accuracy) is not inside the signing chain's validity. */
  | 'TIMESTAMP_OUTSIDE_VALIDITY'
  /** The authentic signing time of a signing-authority signature is missing or outside the chain's validity. */
  | 'SIGNING_TIME'
  /** A certificate (signing chain or TSA chain) is revoked. */
  | 'REVOKED'
  /** The revocation status of a certificate could not be determined. */
  | 'REVOCATION_UNKNOWN';

export interface PkiFailure {
  ok: false;
  code: PkiFailureCode;
  /** A sentence for people: which certificate, which rule, what was found. */
  reason: string;
}

export function failure(code: PkiFailureCode, reason: string): PkiFailure {
  return { ok: false, code, reason };
}
