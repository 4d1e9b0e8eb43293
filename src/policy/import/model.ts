/**
 * The plain data in the middle of `vouch policy import`: each source tool's folder parses its documents
 * strictly and produces an `ImportResult` — the documents to write (ClusterImagePolicies, TrustRoots,
 * a verification config) and a report saying, for every field of every source rule, what became of it.
 * Writing YAML and printing the report read only this data.
 */
import type { Location, PolicyIssue } from '../errors.js';

export const SOURCE_TOOLS = ['kyverno', 'connaisseur', 'ratify'] as const;
export type SourceTool = (typeof SOURCE_TOOLS)[number];

/** One YAML document of the input, still untyped, with the comments written on its nodes. */
export interface SourceDocument {
  /** The file as given or found in a directory; `-` for stdin. */
  source: string;
  /** 1-based position in the file. */
  document: number;
  value: unknown;
  /** Comments written before or beside a node, by field path (`spec.rules[0]`); `''` is the document. */
  comments: ReadonlyMap<string, string>;
}

/**
 * What became of one source field:
 * - `translated`: the output means exactly what the source meant;
 * - `flag`: the setting is not policy; the named `vouch webhook` flags give exactly its behaviour;
 * - `changed`: translated, but the meaning differs (the detail says how);
 * - `dropped`: not translatable (the detail says why); nothing in the output carries it;
 * - `ignored`: not part of any policy (another kind of object, a status field); nothing to translate.
 */
export type Outcome = 'translated' | 'flag' | 'changed' | 'dropped' | 'ignored';

export interface ReportEntry {
  /** The report section (one source document, or one rule of it) the entry belongs to. */
  scope: number;
  /** Field path inside the source document; `''` for the document or rule as a whole. */
  path: string;
  outcome: Outcome;
  detail: string;
}

/** A report section: one source document, or one rule of it, and what was written for it. */
export interface ReportScope {
  id: number;
  location: Location;
  /** The rule's name, for tools whose documents hold several rules. */
  rule?: string;
  /** Comments the source wrote on the document or rule, carried into the output. */
  comments: string[];
}

export type DraftKind = 'ClusterImagePolicy' | 'TrustRoot' | 'VerificationConfig';

/** A document to write: the whole Kubernetes object (or verification config) as plain data. */
export interface DocumentDraft {
  kind: DraftKind;
  /** `metadata.name`; the file name under `--out`. */
  name: string;
  body: Record<string, unknown>;
  /** The report sections it was made from: its comment names them and repeats what changed. */
  scopes: number[];
}

export interface ImportResult {
  tool: SourceTool;
  scopes: ReportScope[];
  entries: ReportEntry[];
  documents: DocumentDraft[];
  /** Input the source tool itself would refuse: exit 2, nothing is written. */
  refusals: PolicyIssue[];
}

export const ExitStatus = {
  /** Everything translated exactly. */
  EXACT: 0,
  /** Something was approximated or dropped; the output is written, marked. */
  APPROXIMATE: 1,
  /** The source tool would refuse the input. */
  REFUSED: 2,
} as const;
export type ExitStatus = (typeof ExitStatus)[keyof typeof ExitStatus];

export function exitStatus(result: ImportResult): ExitStatus {
  if (result.refusals.length > 0) return ExitStatus.REFUSED;
  return result.entries.some((entry) => entry.outcome === 'changed' || entry.outcome === 'dropped')
    ? ExitStatus.APPROXIMATE
    : ExitStatus.EXACT;
}
