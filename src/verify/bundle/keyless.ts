/** Sigstore-bundle referrers checked against a keyless authority. */
import { type ReferrerArtefact, SignatureError } from '../../signature/index.js';
import type { KeylessAuthority } from '../authority.js';
import {
  fetchFailed,
  rejected,
  type SignatureCheck,
  type StatementRequirement,
  statementProblem,
} from '../check.js';
import { verifyBundle } from '../keyless/bundle.js';
import { type Origin, toCheck } from '../keyless/outcome.js';

/**
 * Checks one Sigstore-bundle referrer against a keyless authority: `verifyBundle` with the image
 * digest as the artifact (chain, SCT, transparency log or timestamp, identity, DSSE signature, the
 * in-toto subject), then the predicate type and the annotations the statement must carry.
 */
export async function checkBundleKeyless(
  referrer: ReferrerArtefact,
  authority: KeylessAuthority,
  digest: string,
  requirement: StatementRequirement,
): Promise<SignatureCheck> {
  const origin: Origin = { source: referrer.source, format: 'bundle', artefact: referrer.descriptor.digest };
  let bundle: Uint8Array;
  try {
    bundle = (await referrer.load()).bundle;
  } catch (error) {
    if (error instanceof SignatureError)
      return rejected(origin.source, 'bundle', origin.artefact, error.message);
    return fetchFailed(origin.source, 'bundle', origin.artefact, error, 'the bundle');
  }
  const result = verifyBundle(
    bundle,
    { digest },
    { keyless: authority.policy },
    { trustedRoot: authority.trustedRoot, dsseOnly: true },
  );
  if (result.bundle?.content === 'message-signature')
    return rejected(
      origin.source,
      'bundle',
      origin.artefact,
      'the bundle holds a message signature, not a DSSE envelope of an in-toto statement',
    );
  const check = toCheck(result, origin);
  if (!result.verified || !result.statement) return check;
  const problem = statementProblem(result.statement, digest, requirement);
  if (problem)
    return rejected(origin.source, 'bundle', origin.artefact, problem.reason, problem.otherPredicateType);
  return { ...check, statement: result.statement };
}
