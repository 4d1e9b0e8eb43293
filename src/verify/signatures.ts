import type { ImageArtefacts } from '../signature/index.js';
import { COSIGN_SIGN_PREDICATE_TYPE } from '../signature/index.js';
import type { KeyAuthority, SignatureAuthority } from './authority.js';
import { checkBundleWithKey } from './bundle-key.js';
import type { SignatureCheck } from './check.js';
import { contentProblem, registryFailureKind } from './failures.js';
import { keylessNotWired } from './keyless-dispatch.js';
import { checkLegacySignatureWithKey } from './legacy-key.js';
import type { AuthorityOutcome } from './outcome.js';
import { type LookupFailure, summarize } from './summary.js';

/**
 * Verifies the signatures of one image digest against one key authority. Legacy `.sig` signatures are
 * read first; Sigstore-bundle referrers only if none of them verified (see `ImageArtefacts` for why
 * the order exists; the verdict does not depend on it). One verified signature passes. A registry that
 * fails to answer gives a `registry` (or `timeout`) failure, never "no signatures found".
 *
 * `artefacts` must be for the authority's signature source (`authority.source`); the caller shares
 * one `ImageArtefacts` among the authorities with the same source.
 */
async function verifySignaturesWithKey(
  artefacts: ImageArtefacts,
  authority: KeyAuthority,
): Promise<AuthorityOutcome> {
  const digest = artefacts.image.digest;
  const checks: SignatureCheck[] = [];
  const lookupFailures: LookupFailure[] = [];
  const problems: string[] = [];
  const looked: string[] = [];

  try {
    const legacy = await artefacts.legacySignatures();
    looked.push(legacy.location);
    if (legacy.problem) problems.push(legacy.problem);
    for (const layer of legacy.layers) checks.push(checkLegacySignatureWithKey(layer, authority, digest));
  } catch (error) {
    if (registryFailureKind(error)) lookupFailures.push({ what: 'reading the .sig signatures', error });
    else problems.push(`reading the .sig signatures: ${contentProblem(error)}`);
  }

  if (!checks.some((check) => check.outcome.verified)) {
    try {
      const referrers = await artefacts.referrerBundles();
      looked.push(
        `the referrers of ${digest} (${referrers.source === 'referrers-api' ? 'API' : 'tag schema'})`,
      );
      if (referrers.problem) problems.push(referrers.problem);
      const candidates = referrers.referrers.filter(
        (r) => r.predicateTypeHint === undefined || r.predicateTypeHint === COSIGN_SIGN_PREDICATE_TYPE,
      );
      for (const referrer of candidates) {
        checks.push(
          await checkBundleWithKey(referrer, authority, digest, {
            predicateType: COSIGN_SIGN_PREDICATE_TYPE,
            ...(authority.annotations && { annotations: authority.annotations }),
          }),
        );
      }
    } catch (error) {
      if (registryFailureKind(error)) lookupFailures.push({ what: 'listing the referrers', error });
      else problems.push(`listing the referrers: ${contentProblem(error)}`);
    }
  }
  return summarize({ authority, digest, noun: 'signature', checks, lookupFailures, problems, looked });
}

/** Dispatches on the authority's type: a public key, or a keyless certificate identity. */
export async function verifySignatures(
  artefacts: ImageArtefacts,
  authority: SignatureAuthority,
): Promise<AuthorityOutcome> {
  // TODO(keyless integration): dispatch keyless authorities to src/verify/keyless.
  if (authority.type === 'keyless') return keylessNotWired(authority);
  return verifySignaturesWithKey(artefacts, authority);
}
