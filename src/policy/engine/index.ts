export {
  ArtefactPool,
  PullSecretClients,
  type RegistryClients,
  signatureRepository,
  singleClient,
} from './artefacts.js';
export { KEY_WITHOUT_TLOG, type PreparedAuthority } from './authorities.js';
export type { AuthorityMatch, PolicyAttestation, PolicySignature } from './cel-input.js';
export { PolicyEngine, type PolicyEngineOptions } from './engine.js';
export { dominantFailure, type EvaluationContext, type EvaluationTarget, evaluate } from './evaluate.js';
export { policySetFromAuthority } from './from-authority.js';
export { NO_MATCHING_POLICIES } from './messages.js';
export { type PreparedPolicy, PreparedPolicySet, preparedPolicySet } from './prepare.js';
