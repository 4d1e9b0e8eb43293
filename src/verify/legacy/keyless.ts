/** cosign's legacy `.sig` and `.att` layers checked against a keyless authority. */
import { CosignMediaType, type LegacyLayerArtefact } from '../../signature/index.js';
import type { KeylessAuthority } from '../authority.js';
import { fetchFailed, rejected, type SignatureCheck } from '../check.js';
import {
  type LegacyKeylessSignature,
  legacyKeylessFromAnnotations,
  verifyLegacyKeyless,
  verifyLegacyKeylessAttestation,
} from '../keyless/legacy.js';
import { toCheck } from '../keyless/outcome.js';

/** The keyless parts of a legacy layer, or a rejection saying why the layer cannot be keyless. */
function keylessLayer(
  layer: LegacyLayerArtefact,
  source: 'sig-tag' | 'att-tag',
  mediaType: string,
  noun: string,
): LegacyKeylessSignature | SignatureCheck {
  const { descriptor } = layer;
  const artefact = descriptor.digest;
  const reject = (reason: string) => rejected(source, 'legacy', artefact, reason);
  if (descriptor.mediaType !== mediaType)
    return reject(`layer is ${descriptor.mediaType}, not a ${noun}, so it never counts`);
  if (!layer.blob) return reject(`the ${noun} was not fetched`);
  if (!layer.blob.ok) return fetchFailed(source, 'legacy', artefact, layer.blob.error, `the ${noun}`);
  const parts = legacyKeylessFromAnnotations(layer.blob.value, descriptor.annotations ?? {});
  return (
    parts ??
    reject('the layer carries no certificate (dev.sigstore.cosign/certificate): it was signed with a key')
  );
}

/**
 * Checks one layer of a `.sig` manifest against a keyless authority, as cosign does: a simple-signing
 * layer carrying a certificate; chain, SCT, Rekor entry, identity and signature verified by
 * `verifyLegacyKeyless`; the payload names `digest` and carries the authority's annotations.
 */
export function checkLegacySignatureKeyless(
  layer: LegacyLayerArtefact,
  authority: KeylessAuthority,
  digest: string,
): SignatureCheck {
  const parts = keylessLayer(layer, 'sig-tag', CosignMediaType.SIMPLE_SIGNING, 'simple-signing payload');
  if ('outcome' in parts) return parts;
  const result = verifyLegacyKeyless(parts, authority.policy, {
    trustedRoot: authority.trustedRoot,
    expectedDigest: digest,
    ...(authority.annotations && { annotations: authority.annotations }),
  });
  return toCheck(result, { source: 'sig-tag', format: 'legacy', artefact: layer.descriptor.digest });
}

/**
 * Checks one layer of an `.att` manifest against a keyless authority: a DSSE envelope whose signature
 * is the certificate's, logged in Rekor, with an in-toto statement naming `digest` and having the
 * predicate type (`verifyLegacyKeylessAttestation`).
 */
export function checkLegacyAttestationKeyless(
  layer: LegacyLayerArtefact,
  authority: KeylessAuthority,
  digest: string,
  predicateType: string,
): SignatureCheck {
  const parts = keylessLayer(layer, 'att-tag', CosignMediaType.DSSE_ENVELOPE, 'DSSE envelope');
  if ('outcome' in parts) return parts;
  const result = verifyLegacyKeylessAttestation(parts, authority.policy, {
    trustedRoot: authority.trustedRoot,
    expectedDigest: digest,
    predicateType,
  });
  const check = toCheck(result, { source: 'att-tag', format: 'legacy', artefact: layer.descriptor.digest });
  if (result.verified && result.statement) check.statement = result.statement;
  return check;
}
