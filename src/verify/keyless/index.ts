export {
  type BundleArtifact,
  type BundleSigner,
  type BundleVerification,
  type BundleVerifyOptions,
  verifyBundle,
} from './bundle.js';
export { type CertificateIdentity, certificateIdentity, subjectAlternativeNames } from './certificate.js';
export { KeylessError, type KeylessErrorCode } from './errors.js';
export {
  type CompiledIdentity,
  compileIdentity,
  type GithubWorkflowPolicy,
  type IdentityPolicy,
  matchIdentities,
} from './identity.js';
export {
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
  parseInTotoStatement,
  statementNamesDigest,
} from './in-toto.js';
export {
  COSIGN_ANNOTATIONS,
  type LegacyKeylessSignature,
  type LegacyVerifyOptions,
  legacyKeylessFromAnnotations,
  payloadDigest,
  verifyLegacyKeyless,
} from './legacy.js';
export { toSignatureOutcome } from './outcome.js';
export {
  type CompiledKeylessPolicy,
  compileKeylessPolicy,
  type KeylessFlags,
  type KeylessPolicy,
  keylessPolicyFromFlags,
} from './policy.js';
export { compileIdentityRegExp, type IdentityRegExp } from './regexp.js';
export { parseRekorBundle, type RekorBundle, verifyRekorSet } from './rekor-bundle.js';
export type { JudgedTime, KeylessFailureCode, KeylessVerification, SignerCertificate } from './result.js';
