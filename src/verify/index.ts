/**
 * The `verify` layer: checks one image digest against one authority and returns plain outcomes. It
 * knows signatures and keys, never policies.
 *
 * For the policy engine:
 *   const artefacts = new ImageArtefacts(client, {registry, repository, digest}, {...authority.source, deadline});
 *   const outcome = await verifySignatures(artefacts, authority);               // AuthorityOutcome
 *   const attested = await verifyAttestations(artefacts, authority, {predicateType, condition});
 * Share one ImageArtefacts among the authorities of an evaluation that have the same source.
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
export { checkBundleWithKey, type StatementRequirement } from './bundle-key.js';
export { type CompiledCondition, compileCondition } from './cel.js';
export { checkLegacyTlog, type SignatureCheck } from './check.js';
export { VerifyError, type VerifyErrorCode } from './errors.js';
export { registryFailureKind } from './failures.js';
export { checkLegacyAttestationWithKey } from './legacy-attestation-key.js';
export { checkLegacySignatureWithKey } from './legacy-key.js';
export type {
  AuthorityOutcome,
  FailureKind,
  SignatureOutcome,
  TransparencyLogOutcome,
} from './outcome.js';
export { verifySignatures } from './signatures.js';
export { type LookupFailure, summarize } from './summary.js';
export { type RekorSetInput, type RekorSetResult, verifyRekorBundle } from './tlog/rekor-set.js';
