/**
 * The `signature` layer: cosign and Sigstore formats (keys, simple-signing payloads, `.sig`/`.att`
 * manifests, DSSE, in-toto, Sigstore bundles, Rekor bundle annotations), discovery of an image's
 * artefacts in a registry, and signing. It holds no policy and decides nothing: `verify` does.
 */
export {
  type ArtefactSigner,
  type AttachOptions,
  type AttachResult,
  attachBundle,
  attestLegacy,
  keySigner,
  type SigningRequest,
  type SignTarget,
  signatureStatement,
  signedBytes,
  signLegacy,
} from './attach.js';
export {
  type ArtefactLimits,
  DEFAULT_ARTEFACT_LIMITS,
  type Fetched,
  ImageArtefacts,
  type ImageArtefactsOptions,
  type ImageDigestRef,
  type LegacyArtefacts,
  type LegacyLayerArtefact,
  type LoadedReferrer,
  type ReferrerArtefact,
  type ReferrerArtefacts,
} from './discovery.js';
export { type DsseEnvelope, parseDsseEnvelope, preAuthEncoding, serializeDsseEnvelope } from './dsse.js';
export { decodeBase64, goJson } from './encoding.js';
export { SignatureError, type SignatureErrorCode } from './errors.js';
export {
  buildStatement,
  digestSet,
  envelopeStatement,
  IN_TOTO_STATEMENT_V1,
  IN_TOTO_STATEMENT_V01,
  type InTotoStatement,
  parseStatement,
  type StatementSubject,
  subjectsNaming,
} from './intoto.js';
export * from './keys/index.js';
export {
  buildLegacyManifest,
  type LegacySuffix,
  layerDescriptor,
  legacyLayers,
  legacyTag,
} from './legacy-manifest.js';
export {
  COSIGN_SIGN_PREDICATE_TYPE,
  CosignAnnotation,
  CosignMediaType,
  isSigstoreBundleMediaType,
  SIMPLE_SIGNING_TYPE,
} from './media-types.js';
export {
  buildPredicate,
  CUSTOM_PREDICATE_TYPE,
  PREDICATE_TYPE_ALIASES,
  resolvePredicateType,
} from './predicate-types.js';
export { parseRekorBundle, type RekorBundle } from './rekor-bundle.js';
export {
  type Bundle,
  buildBundleReferrerManifest,
  buildKeyDsseBundle,
  buildReferrersIndex,
  EMPTY_CONFIG,
  EMPTY_CONFIG_DESCRIPTOR,
  keyHint,
  parseSigstoreBundle,
} from './sigstore-bundle.js';
export {
  buildSimpleSigningPayload,
  missingAnnotations,
  parseSimpleSigningPayload,
  type SimpleSigningClaims,
} from './simple-signing.js';
