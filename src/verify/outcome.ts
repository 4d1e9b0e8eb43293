import type { ReferrerSource } from '../signature/index.js';
import type { SignatureFormatName } from './formats.js';
import type { AuthorityKindName } from './kinds.js';

/**
 * What verifying one image against one authority found: plain data, produced by `verify`, carried
 * unchanged into the policy layer's `Verdict`.
 */

/** Why a check did not pass, as a stable code (for metrics and `--output json`). */
export type FailureKind =
  | 'signature' // no signature or attestation satisfied the authority
  | 'static' // a `static: fail` policy
  | 'no-match' // no policy covers the image and no-match-policy is deny
  | 'registry' // the registry failed (401, 403, 429, 5xx, network): not a statement about signatures
  | 'timeout' // the evaluation deadline passed
  | 'policy' // a policy-level CEL condition failed
  | 'invalid'; // the image reference or the policy input is invalid

export interface SignatureOutcome {
  /** Where it came from: the legacy `.sig`/`.att` tag, or an OCI referrer (API or tag schema). */
  source: 'sig-tag' | 'att-tag' | ReferrerSource;
  format: SignatureFormatName;
  /** Digest of the artefact (layer or bundle manifest) that carried it, when known. */
  artefact?: string;
  verified: boolean;
  /** Human-readable reason; for a verified signature a short description of the signer. */
  reason: string;
  /** Keyless: who the verified certificate names (every SAN, and the OIDC issuer). */
  identity?: { subjects: string[]; issuer?: string };
  /**
   * Set when the signature verified but its in-toto statement has this predicate type instead of the
   * one wanted, so that an attestation check can say which types it did find.
   */
  otherPredicateType?: string;
}

export interface TransparencyLogOutcome {
  /** `verified`: a Rekor entry was checked; `not-checked`: none was required or available; `ignored`: the user turned it off. */
  status: 'verified' | 'not-checked' | 'ignored';
  detail?: string;
}

export interface AuthorityOutcome {
  name: string;
  type: AuthorityKindName;
  passed: boolean;
  reason: string;
  signatures: SignatureOutcome[];
  tlog?: TransparencyLogOutcome;
  failure?: FailureKind;
  /**
   * Checks the authority was told to skip (`--insecure-ignore-sct`, `--insecure-ignore-tlog`) or only
   * logs (a Notation verification level's), worded for people.
   */
  warnings?: string[];
}
