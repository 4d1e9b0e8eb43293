import { registryFailureKind } from '../registry/index.js';
import type { ImageArtefacts, LegacyLayerArtefact, ReferrerArtefact } from '../signature/index.js';
import type { SignatureFormat } from './authority.js';
import type { SignatureCheck } from './check.js';
import { contentProblem } from './failures.js';
import type { LookupFailure } from './summary.js';

/** How one authority checks each kind of artefact an image may carry. */
export interface ArtefactCheckers {
  /** Which legacy tag to read: `.sig` (signatures) or `.att` (attestations). */
  legacy: 'signatures' | 'attestations';
  checkLayer(layer: LegacyLayerArtefact): SignatureCheck;
  /** Referrers whose predicate-type hint names another type are not fetched (the hint is never trusted to admit). */
  predicateType: string;
  checkReferrer(referrer: ReferrerArtefact): Promise<SignatureCheck>;
  /** Only this format is looked at (`signatureFormat`); undefined: the legacy tag, then the referrers. */
  format: SignatureFormat | undefined;
}

/** Everything an authority found, ready for `summarize`. */
export interface CollectedChecks {
  checks: SignatureCheck[];
  lookupFailures: LookupFailure[];
  problems: string[];
  looked: string[];
}

/**
 * The lookup every authority shares, key or keyless, signatures or attestations: the legacy tag
 * first, then the Sigstore-bundle referrers only if no legacy artefact verified (see `ImageArtefacts`
 * for why; the verdict does not depend on the order). A registry that fails to answer is recorded as a
 * lookup failure, never as "nothing found"; content that cannot be read is a problem with a reason.
 * An authority restricted to one format (`signatureFormat`) looks only there.
 */
export async function collectChecks(
  artefacts: ImageArtefacts,
  checkers: ArtefactCheckers,
): Promise<CollectedChecks> {
  const collected: CollectedChecks = { checks: [], lookupFailures: [], problems: [], looked: [] };
  const what = checkers.legacy === 'signatures' ? 'the .sig signatures' : 'the .att attestations';
  const failed = (step: string, error: unknown) => {
    if (registryFailureKind(error)) collected.lookupFailures.push({ what: step, error });
    else collected.problems.push(`${step}: ${contentProblem(error)}`);
  };

  if (checkers.format !== 'bundle') {
    try {
      const legacy =
        checkers.legacy === 'signatures'
          ? await artefacts.legacySignatures()
          : await artefacts.legacyAttestations();
      collected.looked.push(legacy.location);
      if (legacy.problem) collected.problems.push(legacy.problem);
      for (const layer of legacy.layers) collected.checks.push(checkers.checkLayer(layer));
    } catch (error) {
      failed(`reading ${what}`, error);
    }
  }

  if (checkers.format === 'legacy' || collected.checks.some((check) => check.outcome.verified))
    return collected;
  try {
    const referrers = await artefacts.referrerBundles();
    collected.looked.push(
      `the referrers of ${artefacts.image.digest} (${referrers.source === 'referrers-api' ? 'API' : 'tag schema'})`,
    );
    if (referrers.problem) collected.problems.push(referrers.problem);
    const candidates = referrers.referrers.filter(
      (r) => r.predicateTypeHint === undefined || r.predicateTypeHint === checkers.predicateType,
    );
    // Each referrer is fetched once (ImageArtefacts); they are independent, so check them together.
    collected.checks.push(...(await Promise.all(candidates.map((r) => checkers.checkReferrer(r)))));
  } catch (error) {
    failed('listing the referrers', error);
  }
  return collected;
}
