export { buildFileKind, discoverBuildFiles, namedFileKind } from './discover.js';
export { AUTOMATIC_PLATFORM_ARGS, type DockerfileOptions, parseDockerfile } from './dockerfile.js';
export { BuildError, type BuildErrorCode } from './errors.js';
export {
  BUILD_NO_MATCH_POLICY,
  type BuildGateOptions,
  type BuildGateResult,
  type BuildGateRow,
  type BuildInputs,
  classifyVerdict,
  type LoadOptions,
  loadBuildInputs,
  type RowStatus,
  runBuildGate,
} from './gate.js';
export { KO_DEFAULT_BASE_IMAGE, parseKoConfig } from './ko.js';
export { applyEdits, type PinOutcome, pinSiteFromOrigins, planPins, type TextEdit } from './pin.js';
export {
  type BasesReferenceJson,
  type BasesReportJson,
  formatMessages,
  formatTable,
  location,
  reasons,
  toJson,
} from './report.js';
export type {
  ArgLocation,
  ArgUse,
  BaseReference,
  BuildFile,
  BuildFileKind,
  Diagnostic,
  ParsedBuildFile,
  PinSite,
  ReferenceKind,
  Span,
} from './types.js';
export { formatDiagnostic } from './types.js';
