/**
 * Notary Project signatures as data: the signature manifest, the signed payload, the JWS and COSE
 * envelopes, their integrity check, and signing exactly as `notation sign` does. No trust decisions:
 * those are in verify/notation.
 */
export * from './constants.js';
export { coseSigStructure, parseCoseEnvelope } from './cose.js';
export { criticalAttributeProblem, type ExtendedAttribute, type NotationEnvelope } from './envelope.js';
export { algorithmForKey, type IntegrityResult, verifyEnvelopeIntegrity } from './integrity.js';
export { parseJwsEnvelope } from './jws.js';
export {
  buildNotationSignatureManifest,
  chainThumbprints,
  type NotationSignatureManifest,
  parseNotationSignatureManifest,
} from './manifest.js';
export { parseNotationEnvelope } from './parse.js';
export {
  type ArtifactDescriptor,
  buildNotationPayload,
  parseNotationPayload,
  type TargetArtifact,
  targetArtifactMismatch,
} from './payload.js';
export {
  coseSign1,
  encodeCoseProtectedHeader,
  encodeJwsProtectedHeader,
  type NotationSignature,
  type NotationSignRequest,
  parseCertificateChainPem,
  type SignedAttributesToWrite,
  signingAlgorithm,
  signNotation,
  signNotationArtifact,
} from './sign.js';
