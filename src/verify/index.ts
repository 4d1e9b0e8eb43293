/**
 * The `verify` layer: checks one image digest against one authority and returns plain outcomes. It
 * knows signatures, keys, certificates and trust roots, never policies.
 *
 * For the policy engine:
 *   const artefacts = new ImageArtefacts(client, {registry, repository, digest}, {...authority.source, deadline});
 *   const outcome = await verifySignatures(artefacts, authority);               // AuthorityOutcome
 *   const attested = await verifyAttestations(artefacts, authority, {predicateType, condition});
 * where `authority` is a `keyAuthority({keys, rekorKeys?, annotations?, source?})` or a
 * `keylessAuthority({policy: {identities, …}, trustedRoot, annotations?, source?})`. Share one
 * ImageArtefacts among the authorities of an evaluation that have the same source.
 */
export {
  type AttestationOutcome,
  type AttestationRequirement,
  verifyAttestations,
} from './attestations.js';
export {
  describeKeys,
  type KeyAuthority,
  type KeylessAuthority,
  keyAuthority,
  type RekorKey,
  rekorKey,
  type SignatureAuthority,
  type SignatureSource,
} from './authority.js';
export { checkBundleWithKey } from './bundle-key.js';
export { type CompiledCondition, compileCondition } from './cel.js';
export { checkLegacyTlog, type SignatureCheck, type StatementRequirement } from './check.js';
export { VerifyError, type VerifyErrorCode } from './errors.js';
export {
  type BundleArtifact,
  type BundleSigner,
  type BundleVerification,
  type CertificateIdentity,
  compileKeylessPolicy,
  type GithubWorkflowPolicy,
  type IdentityPolicy,
  type KeylessFailureCode,
  type KeylessPolicy,
  type KeylessVerification,
  verifyBundle,
  verifyLegacyKeyless,
  verifyLegacyKeylessAttestation,
} from './keyless/index.js';
export { keylessAuthority } from './keyless-authority.js';
export {
  checkBundleKeyless,
  checkLegacyAttestationKeyless,
  checkLegacySignatureKeyless,
  keylessNotes,
} from './keyless-checks.js';
export { checkLegacyAttestationWithKey } from './legacy-attestation-key.js';
export { checkLegacySignatureWithKey } from './legacy-key.js';
export type {
  AuthorityOutcome,
  FailureKind,
  SignatureOutcome,
  TransparencyLogOutcome,
} from './outcome.js';
export { verifySignatures } from './signatures.js';
export { describeIdentity, type LookupFailure, summarize } from './summary.js';
export {
  type RekorSetFailureCode,
  type RekorSetInput,
  type RekorSetResult,
  type TrustedRekorLog,
  verifyRekorBundle,
} from './tlog/rekor-set.js';
export {
  loadTrustedRootFile,
  loadTrustedRootOrResourceFile,
  parseTrustedRoot,
  parseTrustedRootOrResource,
  parseTrustRootResources,
  publicGoodTrustedRoot,
  stagingTrustedRoot,
  type TrustedRoot,
  trustRootFromResource,
  withPrivatePki,
  withRekorKeys,
} from './trust/index.js';
