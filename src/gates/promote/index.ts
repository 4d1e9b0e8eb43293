/**
 * The promotion gate: image automation that only ever commits verified digests. Flux ImageRepository
 * and ImagePolicy objects choose and order candidate tags, the ImageChecker (the policy engine)
 * verifies them newest first, and Flux setter markers in Git receive `name:tag@<verified digest>`.
 */

export {
  AccessPool,
  type ClientSettings,
  RegistryClients,
  type RepositoryAccess,
  repositoryAccess,
} from './clients.js';
export { PromoteError, type PromoteErrorCode } from './errors.js';
export type { SourceLocation } from './files.js';
export {
  DEFAULT_NAMESPACE,
  type FluxObjects,
  type ImagePolicyObject,
  type ImageRepositoryObject,
  loadFluxObjects,
} from './flux/load.js';
export { type Author, GitRepository, parseAuthor } from './git.js';
export { findMarkers, type Marker, type SetterField, valueFor } from './markers.js';
export { DEFAULT_MESSAGE_TEMPLATE, type MessageChange, MessageTemplate } from './message.js';
export { checkPullable, type Pullability } from './pullable.js';
export { renderText } from './report.js';
export { applyEdits, scalarSource } from './rewrite.js';
export { loadPullSecrets, type PullSecret } from './secrets.js';
export {
  type ChosenCandidate,
  type RejectedCandidate,
  type RejectionReason,
  type Selection,
  type SelectOptions,
  selectNewestVerified,
} from './select.js';
export { isArtefactTag, TagPolicy, type TagPolicySpec } from './tags/policy.js';
export { parseTagVersion, SemverRange } from './tags/semver.js';
export {
  type ChangeReport,
  type PolicyOutcome,
  type PolicyReport,
  type Progress,
  resolveScanPath,
  runUpdate,
  type UpdateDependencies,
  type UpdateOptions,
  type UpdateReport,
} from './update.js';
