/**
 * Notary Project trust: trust policy documents and statements, trust stores (a Notation configuration
 * directory or inline PEM), trusted identities, verification levels, and the verification of one
 * signature against one statement. Certificate-chain, timestamp and revocation rules are in ./pki.
 */
export {
  loadNotationConfig,
  type NotationConfig,
  referencedStores,
  TRUST_POLICY_FILES,
  type TrustStores,
} from './config.js';
export {
  certificateSubject,
  type DistinguishedName,
  type DnResult,
  formatDn,
  isSubsetDn,
  parseDistinguishedName,
} from './distinguished-name.js';
export {
  CHECK_ACTIONS,
  type CheckAction,
  type CheckActions,
  checkActions,
  LEVEL_ACTIONS,
  NOTATION_CHECKS,
  type NotationCheck,
  VERIFICATION_LEVELS,
  type VerificationLevel,
} from './levels.js';
export { canonicalScope, GLOBAL_SCOPE, imageScope, registryScopeProblem, selectStatement } from './scope.js';
export {
  type NotationTrustRules,
  parseSignatureVerification,
  parseTrustedIdentities,
  parseTrustPolicyDocument,
  parseTrustRules,
  parseTrustStoreReferences,
  TRUST_POLICY_LIMITS,
  type TrustedIdentity,
  type TrustPolicyDocument,
  type TrustPolicyStatement,
  type VerifyTimestamp,
} from './trust-policy.js';
export {
  parseTrustStoreReference,
  readCertificates,
  readTrustStoreDirectory,
  TRUST_STORE_TYPES,
  type TrustStore,
  type TrustStoreReference,
  type TrustStoreType,
  trustStoreFromPem,
  trustStoreKey,
  trustStoreReferenceProblem,
} from './trust-store.js';
export {
  type NotationCheckResult,
  type NotationSignatureVerification,
  type RevocationAnswer,
  type RevocationCheckers,
  revocationCheckers,
  type VerifyNotationSignatureInput,
  verifyNotationSignature,
} from './verify-signature.js';
