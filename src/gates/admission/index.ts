/** The admission gate: `vouch webhook` and `vouch audit` are thin over these. */
export {
  type AuditedImage,
  type AuditedWorkload,
  type AuditResult,
  auditWorkloads,
  buildPolicyReports,
  formatAuditTable,
  imageResult,
  type ManifestObject,
  type ManifestSource,
  POLICY_REPORT_API_VERSION,
  type PolicyReport,
  type PolicyReportResult,
  parseManifests,
  REPORT_NAME,
  type ReportResult,
  readManifestSources,
  reportResults,
  workloadsOf,
} from './audit.js';
export {
  type BudgetResult,
  BudgetTimer,
  engineReserveMs,
  RegistryProblems,
  timeoutVerdict,
  withinBudget,
} from './budget.js';
export {
  generateWebhookCertificates,
  serviceDnsNames,
  type WebhookCertificateOptions,
  type WebhookCertificates,
} from './certs.js';
export {
  checkNamespacePattern,
  decide,
  type EnforcementConfig,
  type EnforcementMode,
  type ImageDecision,
  NamespaceMatcher,
  NamespaceRules,
} from './enforcement.js';
export { AdmissionError, type AdmissionErrorCode } from './errors.js';
export {
  type ActivePolicies,
  AdmissionGate,
  type AdmissionOutcome,
  changedLocations,
  combineDecisions,
  denialReason,
  type Endpoint,
  type EvaluatedImage,
  type GateEvents,
  type GateOptions,
  groupByImage,
  type ImageOrigin,
  namespaceOf,
  resourceContext,
  skipReason,
  unchangedImages,
} from './gate.js';
export { WebhookMetrics } from './metrics.js';
export {
  DIGEST_MUTATIONS,
  type DigestMutation,
  mutatesKind,
  type PinCandidate,
  pinImage,
  planPatch,
} from './mutation.js';
export {
  type CheckerFactory,
  fingerprintPolicyFiles,
  type LoadedPolicies,
  PolicyWatcher,
} from './policy-watcher.js';
export {
  ADMISSION_API_VERSION,
  type AdmissionRequest,
  type AdmissionReviewResponse,
  buildAdmissionReview,
  type JsonPatchOperation,
  parseAdmissionReview,
} from './review.js';
export {
  DEFAULT_BODY_LIMIT,
  startWebhookServer,
  type WebhookServer,
  type WebhookServerOptions,
} from './server.js';
export { SingleFlight } from './single-flight.js';
export {
  describeLocation,
  extractImages,
  groupOf,
  type ImageLocation,
  valueAtPointer,
  WORKLOAD_KINDS,
  type WorkloadKind,
  workloadKind,
} from './workloads.js';
