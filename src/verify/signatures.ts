import type { ImageArtefacts } from '../signature/index.js';
import type { SignatureAuthority } from './authority.js';
import { collectChecks } from './lookup.js';
import type { AuthorityOutcome } from './outcome.js';
import { summarize } from './summary.js';

/**
 * Verifies the signatures of one image digest against one authority, of whatever kind, in the formats
 * its kind reads (`kinds.ts`; for key and keyless: legacy `.sig` signatures first, Sigstore-bundle
 * referrers only if none of them verified — see `ImageArtefacts` for why the order exists; the verdict
 * does not depend on it). One verified signature passes. A registry that fails to answer gives a
 * `registry` (or `timeout`) failure, never "no signatures found".
 *
 * `artefacts` must be for the authority's signature source (`authority.source`); the caller shares
 * one `ImageArtefacts` among the authorities with the same source.
 */
export async function verifySignatures(
  artefacts: ImageArtefacts,
  authority: SignatureAuthority,
): Promise<AuthorityOutcome> {
  const digest = artefacts.image.digest;
  const collected = await collectChecks(artefacts, authority, { digest, purpose: { kind: 'signatures' } });
  return summarize({ authority, digest, noun: 'signature', ...collected });
}
