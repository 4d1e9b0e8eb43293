/**
 * The bundle format in the verify layer: Sigstore bundles attached as OCI referrers (cosign v3's
 * `https://sigstore.dev/cosign/sign/v1` statements for signatures, any predicate type for
 * attestations), checked against key authorities in `key.ts` and keyless ones in `keyless.ts`.
 */
import { COSIGN_SIGN_PREDICATE_TYPE, findBundles, type ReferrerArtefact } from '../../signature/index.js';
import type { StatementRequirement } from '../check.js';
import type { CheckRequest, FormatReader } from '../reader.js';

/** What the bundle's in-toto statement must say besides naming the digest. */
function requirement(
  { purpose }: CheckRequest,
  annotations: Readonly<Record<string, string>> | undefined,
): StatementRequirement {
  if (purpose.kind === 'attestations') return { predicateType: purpose.predicateType };
  return { predicateType: COSIGN_SIGN_PREDICATE_TYPE, ...(annotations && { annotations }) };
}

export const reader: FormatReader<ReferrerArtefact> = {
  async find(artefacts, purpose) {
    const found = await findBundles(artefacts);
    const wanted = purpose.kind === 'signatures' ? COSIGN_SIGN_PREDICATE_TYPE : purpose.predicateType;
    return {
      location: `the referrers of ${artefacts.image.digest} (${found.source === 'referrers-api' ? 'API' : 'tag schema'})`,
      // A referrer whose predicate-type hint names another type is not fetched (the hint never admits).
      candidates: found.referrers.filter(
        (referrer) => referrer.predicateTypeHint === undefined || referrer.predicateTypeHint === wanted,
      ),
      ...(found.problem !== undefined && { problem: found.problem }),
    };
  },
  lookupStep: () => 'listing the referrers',
  checks: {
    key: async (referrer, authority, request) => {
      const { checkBundleWithKey } = await import('./key.js');
      return checkBundleWithKey(
        referrer,
        authority,
        request.digest,
        requirement(request, authority.annotations),
      );
    },
    keyless: async (referrer, authority, request) => {
      const { checkBundleKeyless } = await import('./keyless.js');
      return checkBundleKeyless(
        referrer,
        authority,
        request.digest,
        requirement(request, authority.annotations),
      );
    },
  },
};
