import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { PromoteError } from './errors.js';

/** Where something was found in a file, 1-based, for messages a person can jump to. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/** A path as people want to read it in messages: relative to the working directory when below it. */
export function displayPath(path: string, base: string = process.cwd()): string {
  const rel = relative(base, path);
  return rel === '' ? '.' : rel.startsWith('..') || rel.startsWith(sep) ? path : rel;
}

function isYamlName(name: string): boolean {
  return name.endsWith('.yaml') || name.endsWith('.yml') || name === 'Kustomization';
}

/**
 * The YAML files at `path`: the file itself, or every `*.yaml`, `*.yml` and `Kustomization` below the
 * directory (as Flux's image-automation-controller scans), sorted. `.git` is skipped and symbolic links
 * are not followed, so nothing outside the tree is ever read or rewritten.
 */
export async function collectYamlFiles(path: string): Promise<string[]> {
  const absolute = resolve(path);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(absolute);
  } catch (cause) {
    throw new PromoteError('READ_FAILED', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  if (!info.isDirectory()) return [absolute];
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.git') await walk(full);
      } else if (entry.isFile() && isYamlName(entry.name)) {
        files.push(full);
      }
    }
  };
  await walk(absolute);
  return files.sort();
}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new PromoteError('READ_FAILED', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
}
