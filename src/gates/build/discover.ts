/**
 * Which files the build gate reads: files named on the command line, and in directories every
 * `Dockerfile`, `*.Dockerfile`, `Dockerfile.*`, `Containerfile` (and the same `Containerfile` forms)
 * and ko configuration (`.ko.yaml`, `.ko.yml`), skipping `node_modules` and `.git`.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BuildError } from './errors.js';
import type { BuildFile, BuildFileKind } from './types.js';

const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git']);
const KO_CONFIG_NAMES = new Set(['.ko.yaml', '.ko.yml']);
/** `Dockerfile.dockerignore` is a per-Dockerfile ignore file, not a Dockerfile. */
const NOT_BUILD_FILES = /\.(?:dockerignore|containerignore)$/i;

/** The kind of a file found in a directory, or undefined when the gate does not read it. */
export function buildFileKind(name: string): BuildFileKind | undefined {
  if (KO_CONFIG_NAMES.has(name)) return 'ko';
  if (NOT_BUILD_FILES.test(name)) return undefined;
  const lower = name.toLowerCase();
  for (const base of ['dockerfile', 'containerfile']) {
    if (lower === base || lower.startsWith(`${base}.`) || lower.endsWith(`.${base}`)) return 'dockerfile';
  }
  return undefined;
}

/** The kind of a file named explicitly: YAML files are ko configurations, anything else a Dockerfile. */
export function namedFileKind(path: string): BuildFileKind {
  return /\.ya?ml$/i.test(basename(path)) ? 'ko' : 'dockerfile';
}

/**
 * The files to read for `paths` (files or directories), in a stable order, each once. A path that
 * does not exist, or a directory with no build file in it, is an error: nothing checked is no pass.
 */
export async function discoverBuildFiles(paths: readonly string[]): Promise<BuildFile[]> {
  if (paths.length === 0) throw new BuildError('NO_INPUT', 'no Dockerfile, Containerfile or .ko.yaml given');
  const files: BuildFile[] = [];
  const seen = new Set<string>();
  const add = async (file: BuildFile) => {
    const real = await realpath(file.path);
    if (seen.has(real)) return;
    seen.add(real);
    files.push(file);
  };
  for (const path of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (cause) {
      throw new BuildError(
        'NO_INPUT',
        `cannot read ${path}: ${(cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (cause as Error).message}`,
        { cause },
      );
    }
    if (info.isDirectory()) {
      const found = await walk(path);
      if (found.length === 0)
        throw new BuildError(
          'NO_INPUT',
          `${path} holds no Dockerfile, *.Dockerfile, Dockerfile.*, Containerfile or .ko.yaml`,
        );
      for (const file of found) await add(file);
    } else {
      await add({ path, kind: namedFileKind(path) });
    }
  }
  return files;
}

async function walk(directory: string): Promise<BuildFile[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (cause) {
    throw new BuildError('NO_INPUT', `cannot read directory ${directory}: ${(cause as Error).message}`, {
      cause,
    });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: BuildFile[] = [];
  for (const entry of entries) {
    const path = join(directory, entry.name);
    // Symbolic links are not followed while walking, so that a link cannot loop or leave the tree.
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) files.push(...(await walk(path)));
    } else if (entry.isFile()) {
      const kind = buildFileKind(entry.name);
      if (kind) files.push({ path, kind });
    }
  }
  return files;
}
