/**
 * Test support for `vouch policy import`: importing a fixture in process (the same functions the CLI
 * runs), the report as printed, and the written documents linted by vouch's own policy loader.
 */
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import {
  exitStatus,
  formatReport,
  type ImportResult,
  importPolicies,
  orderedDrafts,
  readImportSource,
  renderAll,
  renderDraft,
  type SourceTool,
} from '../../src/policy/import/index.js';
import { loadPolicyText } from '../../src/policy/index.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface Imported {
  result: ImportResult;
  exit: number;
  report: string[];
  /** Every written document, as YAML text. */
  text: string;
  /** The written documents as data. */
  documents: Record<string, unknown>[];
}

export async function importFixture(tool: SourceTool, path: string): Promise<Imported> {
  const read = await readImportSource(path.startsWith('/') ? path : `${FIXTURES}${path}`, async () => '');
  if (read.issues.length > 0) throw new Error(read.issues.map((issue) => issue.message).join('; '));
  const result = importPolicies(tool, read.documents);
  const text = renderAll(result);
  return {
    result,
    exit: exitStatus(result),
    report: formatReport(result),
    text,
    documents: parseAllDocuments(text).map((doc) => doc.toJS() as Record<string, unknown>),
  };
}

/** Whether a written document holds a Notation authority (which the loader reads once the format lands). */
export function hasNotation(document: Record<string, unknown>): boolean {
  const spec = document.spec as { authorities?: Record<string, unknown>[] } | undefined;
  return (spec?.authorities ?? []).some((authority) => authority.notation !== undefined);
}

/**
 * Lints the written documents with vouch's own loader, leaving out policies with Notation authorities.
 * Secrets the policies name can be supplied as extra YAML.
 */
export async function lint(
  imported: Imported,
  extra = '',
): Promise<Awaited<ReturnType<typeof loadPolicyText>>> {
  const texts = orderedDrafts(imported.result)
    .filter((draft) => !hasNotation(draft.body))
    .map((draft) => renderDraft(imported.result, draft));
  return loadPolicyText([...texts, ...(extra ? [extra] : [])].join('---\n'), 'import');
}

/** The report lines about one field path (or containing a text). */
export function reportLines(imported: Imported, text: string): string[] {
  return imported.report.filter((line) => line.includes(text));
}

export function policies(imported: Imported): Record<string, unknown>[] {
  return imported.documents.filter((document) => document.kind === 'ClusterImagePolicy');
}

export interface PolicySpec {
  images: { glob: string }[];
  authorities: (Record<string, unknown> & { name: string })[];
  policy?: { type: string; data: string };
  match?: Record<string, unknown>[];
  [field: string]: unknown;
}

/** A written ClusterImagePolicy's spec (the test fails if there is no such policy). */
export function specOf(policy: Record<string, unknown> | undefined): PolicySpec {
  if (policy === undefined) throw new Error('no such policy was written');
  return policy.spec as PolicySpec;
}

/** The field paths of a document's leaves (`spec.rules[0].name`), as the report writes paths. */
function leaves(value: unknown, prefix: string, out: string[]): void {
  if (Array.isArray(value)) {
    if (value.length === 0) out.push(prefix);
    value.forEach((item, index) => {
      leaves(item, `${prefix}[${index}]`, out);
    });
    return;
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    const keys = Object.keys(value);
    if (keys.length === 0) out.push(prefix);
    for (const key of keys) {
      const path = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)
        ? prefix === ''
          ? key
          : `${prefix}.${key}`
        : `${prefix}[${JSON.stringify(key)}]`;
      leaves((value as Record<string, unknown>)[key], path, out);
    }
    return;
  }
  out.push(prefix);
}

/**
 * The fields of a source document that no report entry speaks for: an entry covers its path and
 * everything under it. `apiVersion`, `kind` and `metadata` are identity, named in every section heading.
 */
export function unreported(imported: Imported, source: string, document: number, value: unknown): string[] {
  const scopes = new Set(
    imported.result.scopes
      .filter((scope) => scope.location.source === source && scope.location.document === document)
      .map((scope) => scope.id),
  );
  const paths = imported.result.entries
    .filter((entry) => scopes.has(entry.scope) && entry.path !== '')
    .map((entry) => entry.path);
  const out: string[] = [];
  leaves(value, '', out);
  return out.filter(
    (leaf) =>
      !/^(apiVersion|kind|metadata)\b/.test(leaf) &&
      !paths.some((path) => leaf === path || leaf.startsWith(`${path}.`) || leaf.startsWith(`${path}[`)),
  );
}
