/**
 * Keyless (certificate-identity) verification: legacy `.sig` / `.att` layers carrying cosign's
 * certificate, chain and Rekor bundle annotations, and Sigstore bundles, against a trusted root and a
 * keyless policy. The dispatchers in `../signatures.ts` and `../attestations.ts` call it per artefact.
 */
export {
  type BundleArtifact,
  type BundleSigner,
  type BundleVerification,
  type BundleVerifyOptions,
  verifyBundle,
} from './bundle.js';
export { type CertificateIdentity, certificateIdentity, subjectAlternativeNames } from './certificate.js';
export {
  type CompiledIdentity,
  compileIdentity,
  type GithubWorkflowPolicy,
  type IdentityPolicy,
  matchIdentities,
} from './identity.js';
export {
  type LegacyAttestationVerification,
  type LegacyAttestationVerifyOptions,
  type LegacyKeylessSignature,
  type LegacyVerifyOptions,
  legacyKeylessFromAnnotations,
  verifyLegacyKeyless,
  verifyLegacyKeylessAttestation,
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
export type { JudgedTime, KeylessFailureCode, KeylessVerification, SignerCertificate } from './result.js';
