/**
 * The one verdict type every gate uses (CLI, build, promotion, admission). It is plain data so that it
 * can be cached, serialised to JSON and rendered the same way everywhere.
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
  source: 'sig-tag' | 'att-tag' | 'referrers-api' | 'referrers-tag';
  format: 'legacy' | 'bundle';
  /** Digest of the artefact (layer or bundle manifest) that carried it, when known. */
  artefact?: string;
  verified: boolean;
  /** Human-readable reason; for a verified signature a short description of the signer. */
  reason: string;
}

export interface TransparencyLogOutcome {
  /** `verified`: a Rekor entry was checked; `not-checked`: none was required or available; `ignored`: the user turned it off. */
  status: 'verified' | 'not-checked' | 'ignored';
  detail?: string;
}

export interface AuthorityOutcome {
  name: string;
  type: 'key' | 'keyless' | 'static';
  passed: boolean;
  reason: string;
  signatures: SignatureOutcome[];
  tlog?: TransparencyLogOutcome;
  failure?: FailureKind;
}

export interface PolicyOutcome {
  name: string;
  mode: 'enforce' | 'warn';
  passed: boolean;
  /** policy-controller-shaped message when it failed: `failed policy: <name>: …`. */
  message?: string;
  authorities: AuthorityOutcome[];
}

export interface Verdict {
  /** The image exactly as it was given. */
  image: string;
  /** `registry/repository[:tag]@sha256:…` of what was verified; absent when no digest was needed or known. */
  verifiedReference?: string;
  digest?: string;
  allowed: boolean;
  /** Failures that deny, in policy-controller's message shapes. */
  errors: string[];
  /** Failures that only warn (`mode: warn`, no-match warn, audit). */
  warnings: string[];
  policies: PolicyOutcome[];
  /** Set when the verdict is a failure, to say what kind. */
  failure?: FailureKind;
  /** True when this verdict came from a cache. */
  cached?: boolean;
}
