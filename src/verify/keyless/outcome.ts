import type { SignatureCheck } from '../check.js';
import type { SignatureOutcome } from '../outcome.js';
import type { KeylessVerification } from './result.js';

/**
 * The dispatcher's view of one verified (or rejected) signature: where it came from is the caller's
 * knowledge, what it proved is ours. Warnings (checks the user turned off) are appended to the reason
 * so that they travel with the verdict.
 */
export function toSignatureOutcome(
  result: KeylessVerification,
  origin: Pick<SignatureOutcome, 'source' | 'format'> & { artefact?: string },
): SignatureOutcome {
  const warnings = result.warnings.length > 0 ? ` (${result.warnings.join('; ')})` : '';
  return {
    source: origin.source,
    format: origin.format,
    ...(origin.artefact !== undefined && { artefact: origin.artefact }),
    verified: result.verified,
    ...(result.verified &&
      result.signer?.kind === 'certificate' && {
        identity: {
          subjects: result.signer.identity.subjects,
          ...(result.signer.identity.issuer !== undefined && { issuer: result.signer.identity.issuer }),
        },
      }),
    reason: result.verified
      ? `${result.reason}${warnings}`
      : `${result.reason} [${result.failure ?? 'FAILED'}]${warnings}`,
    ...(result.otherPredicateType !== undefined && { otherPredicateType: result.otherPredicateType }),
  };
}

export type Origin = Pick<SignatureOutcome, 'source' | 'format'> & { artefact?: string };

/** A keyless verification result as the dispatcher's per-signature check. */
export function toCheck(result: KeylessVerification, origin: Origin): SignatureCheck {
  const check: SignatureCheck = { outcome: toSignatureOutcome(result, origin), tlog: result.tlog };
  if (result.verified && result.signer?.kind === 'certificate') check.identity = result.signer.identity;
  return check;
}
