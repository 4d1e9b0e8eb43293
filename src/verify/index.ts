/**
 * The `verify` layer: checks one image digest against one authority and returns plain outcomes. It
 * knows signatures, keys, certificates and trust roots, never policies. The signature formats are
 * declared in `formats.ts` (each checked by its own folder, `legacy/`, `bundle/`), the authority kinds
 * in `kinds.ts`.
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
  type AuthorityCommon,
  type AuthorityNotes,
  describeKeys,
  type KeyAuthority,
  type KeylessAuthority,
  keyAuthority,
  type RekorKey,
  rekorKey,
  type SignatureAuthority,
  type SignatureSource,
  type VerifyingAuthorities,
} from './authority.js';
export { checkBundleWithKey } from './bundle/key.js';
export { checkBundleKeyless } from './bundle/keyless.js';
export { type CompiledCondition, compileCondition } from './cel.js';
export { checkLegacyTlog, type SignatureCheck, type StatementRequirement } from './check.js';
export { VerifyError, type VerifyErrorCode } from './errors.js';
export {
  type FormatDeclaration,
  isSignatureFormatName,
  SIGNATURE_FORMAT_NAMES,
  SIGNATURE_FORMATS,
  type SignatureFormatName,
} from './formats.js';
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
  AUTHORITY_KIND_NAMES,
  AUTHORITY_KINDS,
  type AuthorityKindName,
  formatsRead,
  type KindDeclaration,
  readsFormat,
  type VerifyingKindName,
} from './kinds.js';
export { checkLegacyAttestationWithKey, checkLegacySignatureWithKey } from './legacy/key.js';
export { checkLegacyAttestationKeyless, checkLegacySignatureKeyless } from './legacy/keyless.js';
export type {
  AuthorityOutcome,
  FailureKind,
  SignatureOutcome,
  TransparencyLogOutcome,
} from './outcome.js';
export type { CandidateCheck, CheckRequest, FormatReader, Found, Purpose } from './reader.js';
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
