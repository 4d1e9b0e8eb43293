/**
 * Collects an import as it is translated (report sections, entries, drafts, refusals) and prints the
 * translation report. Every translator writes through a `Scope`, so that no field can be handled without
 * saying what became of it.
 */
import { formatLocation, type Location } from '../errors.js';
import {
  type DocumentDraft,
  type DraftKind,
  exitStatus,
  type ImportResult,
  type Outcome,
  type ReportScope,
  type SourceTool,
} from './model.js';
import { uniqueName } from './names.js';

export class ImportBuilder {
  private readonly result: ImportResult;
  private readonly names = new Map<DraftKind, Set<string>>();

  constructor(tool: SourceTool) {
    this.result = { tool, scopes: [], entries: [], documents: [], refusals: [] };
  }

  /** A new report section for a source document (or one rule of it). */
  scope(location: Location, options: { rule?: string; comments?: readonly string[] } = {}): Scope {
    const scope: ReportScope = {
      id: this.result.scopes.length,
      location,
      ...(options.rule !== undefined && { rule: options.rule }),
      comments: [...(options.comments ?? [])],
    };
    this.result.scopes.push(scope);
    return new Scope(this, this.result, scope, '');
  }

  /** A name no document of that kind has yet: `base`, else `base-2`, `base-3`… (DNS-1123, ≤ 63). */
  claimName(kind: DraftKind, base: string): string {
    let taken = this.names.get(kind);
    if (taken === undefined) {
      taken = new Set();
      this.names.set(kind, taken);
    }
    const name = uniqueName(base, taken);
    taken.add(name);
    return name;
  }

  finish(): ImportResult {
    return this.result;
  }
}

function joinPath(prefix: string, path: string): string {
  if (prefix === '') return path;
  if (path === '') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

/** Writes report entries and drafts for one report section, with field paths under a prefix. */
export class Scope {
  constructor(
    private readonly builder: ImportBuilder,
    private readonly result: ImportResult,
    readonly section: ReportScope,
    readonly prefix: string,
  ) {}

  get id(): number {
    return this.section.id;
  }

  /** The same section with field paths under `path`. */
  at(path: string): Scope {
    return new Scope(this.builder, this.result, this.section, joinPath(this.prefix, path));
  }

  /** A new section (a rule of this document) with its own entries; field paths keep this prefix. */
  child(rule: string, comments: readonly string[] = []): Scope {
    const child = this.builder.scope(this.section.location, { rule, comments });
    return new Scope(this.builder, this.result, child.section, this.prefix);
  }

  private add(path: string, outcome: Outcome, detail: string): void {
    this.result.entries.push({ scope: this.section.id, path: joinPath(this.prefix, path), outcome, detail });
  }

  translated(path: string, detail: string): void {
    this.add(path, 'translated', detail);
  }

  /** A setting the named webhook flags reproduce exactly. */
  flag(path: string, detail: string): void {
    this.add(path, 'flag', detail);
  }

  changed(path: string, detail: string): void {
    this.add(path, 'changed', detail);
  }

  dropped(path: string, detail: string): void {
    this.add(path, 'dropped', detail);
  }

  ignored(path: string, detail: string): void {
    this.add(path, 'ignored', detail);
  }

  /** Input the source tool itself would refuse. */
  refuse(path: string, message: string): void {
    const where = joinPath(this.prefix, path);
    this.result.refusals.push({
      ...this.section.location,
      ...(where !== '' && { path: where }),
      code: 'INVALID',
      message,
    });
  }

  /** Claims a unique name for a document of `kind`. */
  name(kind: DraftKind, base: string): string {
    return this.builder.claimName(kind, base);
  }

  /** Adds a document to write, made from this section (and any `also`). */
  draft(kind: DraftKind, name: string, body: Record<string, unknown>, also: number[] = []): DocumentDraft {
    const draft: DocumentDraft = { kind, name, body, scopes: [this.section.id, ...also] };
    this.result.documents.push(draft);
    return draft;
  }
}

const LABELS: Record<Outcome, string> = {
  translated: 'translated',
  flag: 'webhook flag',
  changed: 'changed',
  dropped: 'not translated',
  ignored: 'ignored',
};

/** Where a report section is: `file: document 1 (ClusterPolicy "x"), rule "r"`. */
export function describeScope(scope: ReportScope): string {
  const where = formatLocation({ ...scope.location, path: undefined });
  return scope.rule !== undefined ? `${where}, rule ${JSON.stringify(scope.rule)}` : where;
}

/** The report, as printed on stderr: one block per section, then a summary line. */
export function formatReport(result: ImportResult): string[] {
  const lines: string[] = [];
  for (const scope of result.scopes) {
    const entries = result.entries.filter((entry) => entry.scope === scope.id);
    const written = result.documents.filter((draft) => draft.scopes[0] === scope.id);
    if (entries.length === 0 && written.length === 0) continue;
    const outputs = written.map((draft) => `${draft.kind} ${draft.name}`);
    lines.push(`${describeScope(scope)}${outputs.length ? ` → ${outputs.join(', ')}` : ''}`);
    const width = Math.max(...entries.map((entry) => LABELS[entry.outcome].length), 0);
    for (const entry of entries)
      lines.push(
        `  ${LABELS[entry.outcome].padEnd(width)}  ${entry.path === '' ? '' : `${entry.path}: `}${entry.detail}`,
      );
  }
  const count = (outcome: Outcome) => result.entries.filter((entry) => entry.outcome === outcome).length;
  const status = exitStatus(result);
  lines.push(
    `import from ${result.tool}: ${count('translated')} translated, ${count('flag')} as webhook flags, ${count('changed')} changed, ${count('dropped')} not translated` +
      (status === 0
        ? ': everything translated exactly'
        : status === 1
          ? ': the output is written, marked where it differs (exit 1)'
          : ''),
  );
  return lines;
}
