/**
 * Reads policy sources into documents: files, directories (recursively: `*.yaml`, `*.yml`, `*.json`),
 * multi-document YAML. YAML is read with the 1.1 schema, as Kubernetes tooling reads it.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { describeError } from '../../errors.js';
import { PolicyError, type PolicyIssue } from '../errors.js';

/** One YAML document, still untyped. */
export interface RawDocument {
  /** The file as given (or found in a directory), a URL, or an inline source such as `config.yaml: policies[0].data`. */
  source: string;
  /** 1-based position in the source. */
  document: number;
  value: unknown;
  /** Directory that relative paths inside the document are resolved against (verification configs). */
  directory?: string;
}

export interface ReadResult {
  documents: RawDocument[];
  issues: PolicyIssue[];
  /** Every file read, in order. */
  files: string[];
}

/** Policy files are small; anything this large is a mistake (or an attack on the loader). */
export const MAX_POLICY_FILE_BYTES = 4 * 1024 * 1024;
const POLICY_FILE = /\.(ya?ml|json)$/i;

/** Parses a YAML (or JSON) text holding any number of documents. Empty documents are dropped. */
export function parseDocuments(
  text: string,
  source: string,
  directory?: string,
): { documents: RawDocument[]; issues: PolicyIssue[] } {
  const documents: RawDocument[] = [];
  const issues: PolicyIssue[] = [];
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
        issues.push({
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
      issues.push({ code: 'YAML', source, document, message: describeError(error) });
      return;
    }
    if (value === null || value === undefined) return;
    documents.push({ source, document, value, ...(directory !== undefined && { directory }) });
  });
  return { documents, issues };
}

async function readPolicyFile(path: string): Promise<string> {
  const info = await stat(path);
  if (info.size > MAX_POLICY_FILE_BYTES)
    throw new PolicyError('READ', `file is larger than ${MAX_POLICY_FILE_BYTES / (1024 * 1024)} MiB`);
  return readFile(path, 'utf8');
}

/** Files under a directory, recursively, sorted; entries starting with "." are skipped (`..data` of mounted volumes). */
async function walk(directory: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(directory, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(directory, entry.name);
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(path).catch(() => undefined);
      isDirectory = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? false;
    }
    if (isDirectory) out.push(...(await walk(path)));
    else if (isFile && POLICY_FILE.test(entry.name)) out.push(path);
  }
  return out;
}

/**
 * The files a path stands for, in the order they are read: a file whatever its name; a directory's
 * `*.yaml`, `*.yml` and `*.json` files, recursively, sorted, entries starting with "." skipped. The
 * webhook's reload fingerprint and `vouch audit` list files with it too, so all three agree. A path
 * that cannot be read throws.
 */
export async function listSourceFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) files.push(...((await stat(path)).isDirectory() ? await walk(path) : [path]));
  return files;
}

/**
 * Reads every path: a file is read whatever its name; a directory contributes its `*.yaml`, `*.yml`
 * and `*.json` files, recursively. A file reached twice (given twice, or through a directory and by
 * name) is read once; pass the same `seen` set to later calls to extend that to them.
 */
export async function readSources(paths: readonly string[], seen = new Set<string>()): Promise<ReadResult> {
  const result: ReadResult = { documents: [], issues: [], files: [] };
  for (const path of paths) {
    let files: string[];
    try {
      files = await listSourceFiles([path]);
    } catch (error) {
      result.issues.push({ code: 'READ', source: path, message: `cannot read: ${describeFsError(error)}` });
      continue;
    }
    for (const file of files) {
      const real = await realpath(file).catch(() => file);
      if (seen.has(real)) continue;
      seen.add(real);
      let text: string;
      try {
        text = await readPolicyFile(file);
      } catch (error) {
        result.issues.push({ code: 'READ', source: file, message: `cannot read: ${describeFsError(error)}` });
        continue;
      }
      result.files.push(file);
      const { documents, issues } = parseDocuments(text, file, dirnameOf(file));
      result.documents.push(...documents);
      result.issues.push(...issues);
    }
  }
  return result;
}

function dirnameOf(file: string): string {
  const slash = file.lastIndexOf('/');
  return slash < 0 ? '.' : slash === 0 ? '/' : file.slice(0, slash);
}

function describeFsError(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return describeError(error);
}
