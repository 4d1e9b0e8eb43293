import type { ImageArtefacts, InTotoStatement } from '../signature/index.js';
import type { SignatureAuthority } from './authority.js';
import type { CompiledCondition } from './cel.js';
import type { SignatureCheck } from './check.js';
import { VerifyError } from './errors.js';
import { collectChecks } from './lookup.js';
import type { AuthorityOutcome } from './outcome.js';
import { summarize } from './summary.js';

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
 * Verifies the attestations of one image digest against one authority (a key or a keyless identity):
 * legacy `.att` first, then Sigstore-bundle referrers if none passed. An attestation passes when its
 * DSSE signature verifies with one of the keys (or, keyless, with a certificate that chains to the
 * trusted root, matches the identity and is logged), its in-toto statement names the digest and has
 * the predicate type, and the condition (if any) is true for it.
 */
export async function verifyAttestations(
  artefacts: ImageArtefacts,
  authority: SignatureAuthority,
  requirement: AttestationRequirement,
): Promise<AttestationOutcome> {
  const digest = artefacts.image.digest;
  const { predicateType } = requirement;
  // The condition judges each attestation whose signature and subject verified.
  const collected = await collectChecks(
    artefacts,
    authority,
    { digest, purpose: { kind: 'attestations', predicateType } },
    (check) => applyCondition(check, requirement.condition),
  );
  const { checks } = collected;
  const outcome: AttestationOutcome = summarize({ authority, digest, noun: 'attestation', ...collected });
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
