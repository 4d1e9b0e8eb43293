export { DEFAULT_FULCIO_URL, PREDICATE_TYPE_SHORT_NAMES } from './compile/cluster-image-policy.js';
export { celSyntaxError } from './compile/policy-body.js';
export {
  formatIssue,
  formatLocation,
  type LocatedMessage,
  type Location,
  PolicyError,
  type PolicyErrorCode,
  type PolicyIssue,
} from './errors.js';
export {
  canonicalHash,
  FINGERPRINT_VERSION,
  policyFingerprint,
  referencedTrustRoots,
} from './fingerprint.js';
export { globAdvice, globError, globMatches, globMayMatchDigestOf, globPattern } from './glob.js';
export {
  type IgnoredDocument,
  type LoadedPolicies,
  type LoadOptions,
  loadPolicies,
  loadPolicyText,
} from './load/load.js';
export { CONTROLLER_NAMESPACE } from './load/references.js';
export type { FetchOptions } from './load/remote.js';
export {
  digestMayAddPolicies,
  imageNames,
  type MatchInput,
  matchPolicies,
  policyMatchesImage,
  policyMatchesResource,
  RESOURCE_OF_KIND,
  type ResourceIdentity,
  resourceIdentity,
  selectorMatches,
} from './match.js';
export type * from './model.js';
export type * from './verdict.js';
