/**
 * Reads the import's input as the source tools read theirs: a file (any name), a directory (its
 * `*.yaml`, `*.yml` and `*.json` files, recursively, in sorted order) or `-` for stdin; each holding any
 * number of YAML documents. The comments written on nodes are kept, by field path, so that the written
 * policies can carry them.
 */
import { readFile, stat } from 'node:fs/promises';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import { describeError } from '../../errors.js';
import type { PolicyIssue } from '../errors.js';
import { listSourceFiles, MAX_POLICY_FILE_BYTES } from '../load/sources.js';
import type { SourceDocument } from './model.js';

/** A directory of sources is walked, but not without end. */
export const MAX_IMPORT_FILES = 1000;
/** All inputs together, in bytes. */
export const MAX_IMPORT_BYTES = 32 * 1024 * 1024;
/** Comments are kept down to this depth of nesting (rules and their entries are far shallower). */
const MAX_COMMENT_DEPTH = 12;

export interface ReadResult {
  documents: SourceDocument[];
  /** Files that could not be read or parsed: input the source tool would refuse too. */
  issues: PolicyIssue[];
}

/** Reads `path` (a file, a directory, or `-` with `stdin` supplying the text). */
export async function readImportSource(path: string, stdin: () => Promise<string>): Promise<ReadResult> {
  const result: ReadResult = { documents: [], issues: [] };
  if (path === '-') {
    let text: string;
    try {
      text = await stdin();
    } catch (error) {
      result.issues.push({
        code: 'READ',
        source: '-',
        message: `cannot read stdin: ${describeError(error)}`,
      });
      return result;
    }
    parseInto(text, '-', result);
    return result;
  }
  let files: string[];
  try {
    files = await listSourceFiles([path]);
  } catch (error) {
    result.issues.push({ code: 'READ', source: path, message: `cannot read: ${describeFsError(error)}` });
    return result;
  }
  if (files.length === 0)
    result.issues.push({
      code: 'READ',
      source: path,
      message: 'no *.yaml, *.yml or *.json files in this directory',
    });
  if (files.length > MAX_IMPORT_FILES) {
    result.issues.push({
      code: 'READ',
      source: path,
      message: `holds ${files.length} files; at most ${MAX_IMPORT_FILES} are imported at once`,
    });
    return result;
  }
  let total = 0;
  for (const file of files) {
    let text: string;
    try {
      const size = (await stat(file)).size;
      if (size > MAX_POLICY_FILE_BYTES)
        throw new Error(`file is larger than ${MAX_POLICY_FILE_BYTES / (1024 * 1024)} MiB`);
      total += size;
      if (total > MAX_IMPORT_BYTES)
        throw new Error(`the inputs together are larger than ${MAX_IMPORT_BYTES / (1024 * 1024)} MiB`);
      text = await readFile(file, 'utf8');
    } catch (error) {
      result.issues.push({ code: 'READ', source: file, message: `cannot read: ${describeFsError(error)}` });
      if (total > MAX_IMPORT_BYTES) return result;
      continue;
    }
    parseInto(text, file, result);
  }
  return result;
}

/** Parses YAML text (any number of documents) into the result; empty documents are dropped. */
export function parseInto(text: string, source: string, result: ReadResult): void {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_FILE_BYTES) {
    result.issues.push({
      code: 'READ',
      source,
      message: `larger than ${MAX_POLICY_FILE_BYTES / (1024 * 1024)} MiB`,
    });
    return;
  }
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, {
    lineCounter,
    version: '1.1',
    uniqueKeys: true,
    prettyErrors: false,
  });
  const list = Array.isArray(parsed) ? parsed : [];
  list.forEach((doc, index) => {
    const document = index + 1;
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        result.issues.push({
          code: 'YAML',
          source,
          document,
          message: `line ${line}, column ${col}: ${error.message.split('\n')[0]}`,
        });
      }
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      result.issues.push({ code: 'YAML', source, document, message: describeError(error) });
      return;
    }
    if (value === null || value === undefined) return;
    const comments = new Map<string, string>();
    const top = [doc.commentBefore, doc.contents?.commentBefore].filter(isText).join('\n');
    if (top !== '') comments.set('', top);
    if (doc.contents) collectComments(doc.contents as Node, '', comments, 0);
    result.documents.push({ source, document, value, comments });
  });
}

/**
 * The comment written on the node at `path`: before it, beside it, or — for the first item of a list,
 * where YAML attaches it to the list — before the list.
 */
export function commentAt(document: SourceDocument, path: string): string[] {
  const own = document.comments.get(path);
  if (own !== undefined) return [own];
  if (path.endsWith('[0]')) {
    const list = document.comments.get(path.slice(0, -3));
    if (list !== undefined) return [list];
  }
  return [];
}

function isText(value: string | null | undefined): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** Records the comment before (or beside) every map entry and list item, by field path. */
function collectComments(node: Node, path: string, into: Map<string, string>, depth: number): void {
  if (depth > MAX_COMMENT_DEPTH) return;
  const record = (where: string, ...texts: (string | null | undefined)[]) => {
    const text = texts.filter(isText).join('\n');
    if (text !== '') into.set(where, text);
  };
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const where = childPath(path, String(pair.key.value));
      const value = pair.value as Node | null;
      record(where, pair.key.commentBefore, value?.commentBefore, value?.comment);
      if (value) collectComments(value, where, into, depth + 1);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const where = childPath(path, index);
      const child = item as Node | null;
      if (!child) return;
      record(where, child.commentBefore, child.comment);
      collectComments(child, where, into, depth + 1);
    });
  }
}

function describeFsError(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return describeError(error);
}
