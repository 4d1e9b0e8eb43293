/**
 * Sigstore bundles attached as OCI referrers (cosign v3): found among the image's referrers, parsed
 * and written here; checked in `verify/bundle/`.
 */
export { findBundles, type LoadedReferrer, type ReferrerArtefact, type ReferrerArtefacts } from './find.js';
export {
  type Bundle,
  buildBundleReferrerManifest,
  buildKeyDsseBundle,
  buildReferrersIndex,
  keyHint,
  parseSigstoreBundle,
} from './sigstore-bundle.js';
export { attachBundle, bundleWriter, signatureStatement } from './write.js';
