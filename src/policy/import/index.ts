/**
 * `vouch policy import`: other tools' image-verification policies as ClusterImagePolicies. Each source
 * tool has its folder (parse strictly → translate with a per-field report); the result is plain data
 * (`ImportResult`) that `write.ts` turns into YAML and `report.ts` into the translation report.
 */
import { importConnaisseur } from './connaisseur/index.js';
import { importKyverno } from './kyverno/index.js';
import type { ImportResult, SourceDocument, SourceTool } from './model.js';
import { importRatify } from './ratify/index.js';

export {
  type ExitStatus,
  exitStatus,
  type ImportResult,
  SOURCE_TOOLS,
  type SourceDocument,
  type SourceTool,
} from './model.js';
export { readImportSource } from './read.js';
export { formatReport } from './report.js';
export { fileName, orderedDrafts, renderAll, renderDraft } from './write.js';

export function importPolicies(tool: SourceTool, documents: readonly SourceDocument[]): ImportResult {
  switch (tool) {
    case 'kyverno':
      return importKyverno(documents);
    case 'connaisseur':
      return importConnaisseur(documents);
    case 'ratify':
      return importRatify(documents);
  }
}
