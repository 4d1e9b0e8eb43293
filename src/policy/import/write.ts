/**
 * Writes the drafts as YAML with the `yaml` library's document model, so that each document carries a
 * comment naming the source document and rule it came from, the source's own comments on that rule, and
 * every place where its meaning differs from the source (marked CHANGED / NOT TRANSLATED).
 */
import { Document } from 'yaml';
import type { DocumentDraft, ImportResult, ReportScope } from './model.js';
import { describeScope } from './report.js';

const ORDER: Record<DocumentDraft['kind'], number> = {
  VerificationConfig: 0,
  TrustRoot: 1,
  ClusterImagePolicy: 2,
};

/** The drafts in writing order: the verification config, TrustRoots, then policies as made. */
export function orderedDrafts(result: ImportResult): DocumentDraft[] {
  return result.documents
    .map((draft, index) => ({ draft, index }))
    .sort((x, y) => ORDER[x.draft.kind] - ORDER[y.draft.kind] || x.index - y.index)
    .map(({ draft }) => draft);
}

function header(result: ImportResult, draft: DocumentDraft): string {
  const scopes = draft.scopes
    .map((id) => result.scopes[id])
    .filter((scope): scope is ReportScope => scope !== undefined);
  const lines: string[] = [];
  const first = scopes[0];
  if (first !== undefined)
    lines.push(` Imported by \`vouch policy import --from ${result.tool}\` from ${describeScope(first)}`);
  for (const scope of scopes.slice(1)) lines.push(`   and from ${describeScope(scope)}`);
  for (const scope of scopes)
    for (const comment of scope.comments)
      for (const line of comment.split('\n'))
        lines.push(` source comment:${line.startsWith(' ') ? '' : ' '}${line}`);
  for (const entry of result.entries) {
    if (!draft.scopes.includes(entry.scope)) continue;
    if (entry.outcome !== 'changed' && entry.outcome !== 'dropped') continue;
    const mark = entry.outcome === 'changed' ? 'CHANGED' : 'NOT TRANSLATED';
    lines.push(` ${mark}: ${entry.path === '' ? '' : `${entry.path}: `}${entry.detail}`);
  }
  return lines.join('\n');
}

/** One document's YAML text (no `---`). */
export function renderDraft(result: ImportResult, draft: DocumentDraft): string {
  const doc = new Document(draft.body, { version: '1.1' });
  doc.commentBefore = header(result, draft);
  return doc.toString({ lineWidth: 0, minContentWidth: 0 });
}

/** Every document as one multi-document YAML stream. */
export function renderAll(result: ImportResult): string {
  return orderedDrafts(result)
    .map((draft) => renderDraft(result, draft))
    .join('---\n');
}

/** The file a draft is written to under `--out`. */
export function fileName(draft: DocumentDraft): string {
  switch (draft.kind) {
    case 'VerificationConfig':
      return 'verification.config.yaml';
    case 'TrustRoot':
      return `${draft.name}.trustroot.yaml`;
    default:
      return `${draft.name}.yaml`;
  }
}
