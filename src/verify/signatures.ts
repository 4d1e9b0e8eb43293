import type { ImageArtefacts } from '../signature/index.js';
import { COSIGN_SIGN_PREDICATE_TYPE } from '../signature/index.js';
import type { SignatureAuthority } from './authority.js';
import { checkBundleWithKey } from './bundle-key.js';
import { checkLegacySignatureWithKey } from './legacy-key.js';
import { collectChecks } from './lookup.js';
import type { AuthorityOutcome } from './outcome.js';
import { summarize } from './summary.js';

/**
 * Verifies the signatures of one image digest against one authority, a public key or a keyless
 * certificate identity. Legacy `.sig` signatures are read first; Sigstore-bundle referrers (cosign v3's
 * `https://sigstore.dev/cosign/sign/v1` statements) only if none of them verified (see
 * `ImageArtefacts` for why the order exists; the verdict does not depend on it). One verified
 * signature passes. A registry that fails to answer gives a `registry` (or `timeout`) failure, never
 * "no signatures found".
 *
 * `artefacts` must be for the authority's signature source (`authority.source`); the caller shares
 * one `ImageArtefacts` among the authorities with the same source.
 */
export async function verifySignatures(
  artefacts: ImageArtefacts,
  authority: SignatureAuthority,
): Promise<AuthorityOutcome> {
  const digest = artefacts.image.digest;
  const requirement = {
    predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    ...(authority.annotations && { annotations: authority.annotations }),
  };
  if (authority.type === 'key') {
    const collected = await collectChecks(artefacts, {
      legacy: 'signatures',
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
      format: authority.signatureFormat,
      checkLayer: (layer) => checkLegacySignatureWithKey(layer, authority, digest),
      checkReferrer: (referrer) => checkBundleWithKey(referrer, authority, digest, requirement),
    });
    return summarize({ authority, digest, noun: 'signature', ...collected });
  }
  // Loaded on first use: the keyless machinery (@sigstore/verify, RE2) would cost every key-only CLI run.
  const keyless = await import('./keyless-checks.js');
  const collected = await collectChecks(artefacts, {
    legacy: 'signatures',
    predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    format: authority.signatureFormat,
    checkLayer: (layer) => keyless.checkLegacySignatureKeyless(layer, authority, digest),
    checkReferrer: (referrer) => keyless.checkBundleKeyless(referrer, authority, digest, requirement),
  });
  return summarize({
    authority,
    digest,
    noun: 'signature',
    ...collected,
    notes: keyless.keylessNotes(authority),
  });
}
