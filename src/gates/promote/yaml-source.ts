/** YAML files parsed with their positions kept, so that every message can point at a line and column. */
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
} from 'yaml';
import type { SourceLocation } from './files.js';

export interface YamlSource {
  /** The file as shown in messages. */
  file: string;
  text: string;
  documents: Document.Parsed[];
  lineCounter: LineCounter;
  /** Syntax errors, already located; a source with errors should not be trusted. */
  errors: string[];
}

export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [];
  const errors = list.flatMap((doc) =>
    doc.errors.map((error) => {
      const at = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
      const message = (error.message.split('\n')[0] ?? error.message).replace(
        / at line \d+, column \d+:?$/,
        '',
      );
      return `${file}:${at.line}:${at.col}: ${message}`;
    }),
  );
  return { file, text, documents: list, lineCounter, errors };
}

export function locationAt(source: YamlSource, offset: number): SourceLocation {
  const { line, col } = source.lineCounter.linePos(offset);
  return { file: source.file, line, column: col };
}

function keyMatches(key: unknown, segment: PropertyKey): boolean {
  const value = isScalar(key) ? key.value : key;
  return String(value) === String(segment);
}

/**
 * The position of `path` in a document: the node at the path, or with `key` the key naming its last
 * segment; for a path that does not exist, the deepest node that does (its parent object).
 */
export function locatePath(
  source: YamlSource,
  document: Document.Parsed,
  path: readonly PropertyKey[],
  options: { key?: boolean } = {},
): SourceLocation {
  let node: Node | null | undefined = document.contents;
  let offset = node?.range?.[0] ?? 0;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyMatches(item.key, segment));
      if (!pair) break;
      const keyNode = pair.key as Node | null;
      if (last && options.key && keyNode?.range) {
        offset = keyNode.range[0];
        break;
      }
      node = pair.value as Node | null;
      offset = node?.range?.[0] ?? keyNode?.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return locationAt(source, offset);
}

/** `spec.exclusionList[3]` for a path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}
