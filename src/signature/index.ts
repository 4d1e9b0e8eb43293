/**
 * The `signature` layer: the signature formats, one folder each (`legacy/`: cosign's `.sig`/`.att`
 * tags; `bundle/`: Sigstore bundles as OCI referrers) saying where a format's signatures are found,
 * how they are parsed and how they are written; what the formats share (keys, DSSE, in-toto, the
 * per-image `ImageArtefacts` every format fetches through). It holds no policy and decides nothing:
 * `verify` does. The formats are declared in `verify/formats.ts`.
 */

/** Kept here for callers that read it from the signature layer; it is the OCI empty descriptor. */
export { EMPTY_CONFIG, EMPTY_CONFIG_DESCRIPTOR } from '../registry/index.js';
export {
  type ArtefactLimits,
  DEFAULT_ARTEFACT_LIMITS,
  type Fetched,
  ImageArtefacts,
  type ImageArtefactsOptions,
  type ImageDigestRef,
  type ReferrerListing,
  type ReferrerSource,
} from './artefacts.js';
export {
  type ArtefactSigner,
  type AttachOptions,
  type AttachResult,
  type FormatWriter,
  keySigner,
  type SigningRequest,
  type SignTarget,
  signedBytes,
} from './attach.js';
export * from './bundle/index.js';
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
export * from './legacy/index.js';
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
