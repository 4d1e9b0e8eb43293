/**
 * cosign's legacy format: signatures and attestations as layers of the `sha256-<hex>.sig` / `.att`
 * manifests, simple-signing payloads, the Rekor bundle annotation. Found, parsed and written here;
 * checked in `verify/legacy/`.
 */
export { findLegacy, type LegacyArtefacts, type LegacyLayerArtefact } from './find.js';
export {
  buildLegacyManifest,
  type LegacySuffix,
  layerDescriptor,
  legacyLayers,
  legacyTag,
} from './manifest.js';
export { parseRekorBundle, type RekorBundle } from './rekor-bundle.js';
export {
  buildSimpleSigningPayload,
  missingAnnotations,
  parseSimpleSigningPayload,
  type SimpleSigningClaims,
} from './simple-signing.js';
export { attestLegacy, legacyWriter, signLegacy } from './write.js';
