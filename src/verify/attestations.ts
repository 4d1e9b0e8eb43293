import type { ImageArtefacts, InTotoStatement } from '../signature/index.js';
import type { KeyAuthority, SignatureAuthority } from './authority.js';
import { checkBundleWithKey } from './bundle-key.js';
import type { CompiledCondition } from './cel.js';
import type { SignatureCheck } from './check.js';
import { VerifyError } from './errors.js';
import { contentProblem, registryFailureKind } from './failures.js';
import { keylessNotWired } from './keyless-dispatch.js';
import { checkLegacyAttestationWithKey } from './legacy-attestation-key.js';
import type { AuthorityOutcome } from './outcome.js';
import { type LookupFailure, summarize } from './summary.js';

export interface AttestationRequirement {
  /** The predicate type (a URI; map cosign's short names with `resolvePredicateType` first). */
  predicateType: string;
  /** A CEL condition over the statement, bound as `statement`; it must be true. */
  condition?: CompiledCondition;
}

export interface AttestationOutcome extends AuthorityOutcome {
  /** The statements of the attestations that passed (for policies that look further). */
  statements?: InTotoStatement[];
}

/**
 * Verifies the attestations of one image digest against one key authority: legacy `.att` first, then
 * Sigstore-bundle referrers if none passed. An attestation passes when its DSSE signature verifies
 * with one of the keys, its in-toto statement names the digest and has the predicate type, and the
 * condition (if any) is true for it.
 */
async function verifyAttestationsWithKey(
  artefacts: ImageArtefacts,
  authority: KeyAuthority,
  requirement: AttestationRequirement,
): Promise<AttestationOutcome> {
  const digest = artefacts.image.digest;
  const checks: SignatureCheck[] = [];
  const lookupFailures: LookupFailure[] = [];
  const problems: string[] = [];
  const looked: string[] = [];
  const withCondition = (check: SignatureCheck) => applyCondition(check, requirement.condition);

  try {
    const legacy = await artefacts.legacyAttestations();
    looked.push(legacy.location);
    if (legacy.problem) problems.push(legacy.problem);
    for (const layer of legacy.layers)
      checks.push(
        withCondition(checkLegacyAttestationWithKey(layer, authority, digest, requirement.predicateType)),
      );
  } catch (error) {
    if (registryFailureKind(error)) lookupFailures.push({ what: 'reading the .att attestations', error });
    else problems.push(`reading the .att attestations: ${contentProblem(error)}`);
  }

  if (!checks.some((check) => check.outcome.verified)) {
    try {
      const referrers = await artefacts.referrerBundles();
      looked.push(
        `the referrers of ${digest} (${referrers.source === 'referrers-api' ? 'API' : 'tag schema'})`,
      );
      if (referrers.problem) problems.push(referrers.problem);
      const candidates = referrers.referrers.filter(
        (r) => r.predicateTypeHint === undefined || r.predicateTypeHint === requirement.predicateType,
      );
      for (const referrer of candidates) {
        checks.push(
          withCondition(
            await checkBundleWithKey(referrer, authority, digest, {
              predicateType: requirement.predicateType,
            }),
          ),
        );
      }
    } catch (error) {
      if (registryFailureKind(error)) lookupFailures.push({ what: 'listing the referrers', error });
      else problems.push(`listing the referrers: ${contentProblem(error)}`);
    }
  }
  const outcome: AttestationOutcome = summarize({
    authority,
    digest,
    noun: 'attestation',
    checks,
    lookupFailures,
    problems,
    looked,
  });
  const statements = checks
    .filter((c) => c.outcome.verified && c.statement)
    .map((c) => c.statement as InTotoStatement);
  if (statements.length) outcome.statements = statements;
  // Attestations that were authentic and about this image but failed only the condition: a policy failure.
  if (
    !outcome.passed &&
    outcome.failure === 'signature' &&
    checks.some((c) => c.statement && !c.outcome.verified)
  )
    outcome.failure = 'policy';
  return outcome;
}

function applyCondition(check: SignatureCheck, condition: CompiledCondition | undefined): SignatureCheck {
  if (!check.outcome.verified || !condition || !check.statement) return check;
  let passed: boolean;
  let reason: string;
  try {
    passed = condition.evaluate({ statement: check.statement.json });
    reason = passed
      ? check.outcome.reason
      : `the condition ${condition.source} is false for this attestation`;
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error;
    passed = false;
    reason = error.message;
  }
  return passed ? check : { ...check, outcome: { ...check.outcome, verified: false, reason } };
}

/** Dispatches on the authority's type: a public key, or a keyless certificate identity. */
export async function verifyAttestations(
  artefacts: ImageArtefacts,
  authority: SignatureAuthority,
  requirement: AttestationRequirement,
): Promise<AttestationOutcome> {
  // TODO(keyless integration): dispatch keyless authorities to src/verify/keyless.
  if (authority.type === 'keyless') return keylessNotWired(authority);
  return verifyAttestationsWithKey(artefacts, authority, requirement);
}
