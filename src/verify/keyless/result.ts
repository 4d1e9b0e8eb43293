import type { TransparencyLogOutcome } from '../outcome.js';
import type { CertificateIdentity } from './certificate.js';

/** Why a keyless (or bundle) signature did not verify: one code per distinct cause. */
export type KeylessFailureCode =
  /** The signature material cannot be parsed (bad base64, PEM, JSON, bundle). */
  | 'MALFORMED'
  /** The certificate does not chain to a trusted certificate authority. */
  | 'UNTRUSTED_CA'
  /** The certificate (or a CA above it) was not valid at the time it was judged at. */
  | 'CERTIFICATE_EXPIRED'
  /** No SAN matches the expected subject (the issuer did match). */
  | 'IDENTITY_MISMATCH'
  /** The certificate's OIDC issuer does not match. */
  | 'ISSUER_MISMATCH'
  /** A GitHub workflow extension does not match. */
  | 'EXTENSION_MISMATCH'
  /** The certificate carries no SCT, and one is required. */
  | 'SCT_MISSING'
  /** An embedded SCT does not verify against a trusted CT log. */
  | 'SCT_INVALID'
  /** No transparency-log entry, and one is required. */
  | 'TLOG_MISSING'
  /** The entry comes from a log that is not trusted (unknown log ID, or its key not valid then). */
  | 'TLOG_UNTRUSTED'
  /** The signed entry timestamp (inclusion promise) does not verify with the log's key. */
  | 'SET_INVALID'
  /** The inclusion proof or its checkpoint does not verify. */
  | 'INCLUSION_PROOF_INVALID'
  /** The logged entry is about another signature, key, certificate or payload. */
  | 'TLOG_BODY_MISMATCH'
  /** No trusted timestamp, and one is required. */
  | 'TIMESTAMP_MISSING'
  /** An RFC 3161 timestamp does not verify against a trusted TSA. */
  | 'TIMESTAMP_INVALID'
  /** The signature does not verify over the payload with the certificate's (or given) key. */
  | 'SIGNATURE_INVALID'
  /** The payload, message digest or in-toto subject does not name the artifact being verified. */
  | 'DIGEST_MISMATCH'
  /** A required `-a key=value` annotation is not what was signed. */
  | 'ANNOTATION_MISMATCH'
  /** The attestation's in-toto statement has another predicate type. */
  | 'PREDICATE_MISMATCH'
  /** The verification material is of the other kind (certificate vs public key) or the key is not valid. */
  | 'KEY_MISMATCH'
  /** A format or algorithm vouch does not verify. */
  | 'UNSUPPORTED';

/** A time at which the certificate's validity was judged, and where that time came from. */
export interface JudgedTime {
  /** `tlog`: a Rekor entry's integrated time (SET verified); `tsa`: an RFC 3161 timestamp; `now`: no trusted time was available or required. */
  source: 'tlog' | 'tsa' | 'now';
  time: string;
}

export interface SignerCertificate {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
}

/**
 * The outcome of verifying one signature: plain data. `verified` is the only thing that admits;
 * `reason` is for people; `failure` is the stable code; `tlog` feeds `TransparencyLogOutcome`.
 */
export interface KeylessVerification {
  verified: boolean;
  reason: string;
  failure?: KeylessFailureCode;
  /** The signer, present when verification succeeded. */
  signer?:
    | { kind: 'certificate'; identity: CertificateIdentity; certificate: SignerCertificate }
    | { kind: 'key' };
  tlog: TransparencyLogOutcome;
  /** The times the certificate was judged valid at (empty on failure or for keys). */
  judgedAt: JudgedTime[];
  /** Checks the caller turned off, to be shown with the verdict. */
  warnings: string[];
  /** PREDICATE_MISMATCH: the predicate type the statement has. */
  otherPredicateType?: string;
}

export function failed(
  failure: KeylessFailureCode,
  reason: string,
  context: { tlog?: TransparencyLogOutcome; warnings?: readonly string[] } = {},
): KeylessVerification {
  return {
    verified: false,
    failure,
    reason,
    tlog: context.tlog ?? { status: 'not-checked' },
    judgedAt: [],
    warnings: [...(context.warnings ?? [])],
  };
}
