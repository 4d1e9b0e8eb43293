/**
 * Directories laid out the way the kubelet mounts a ConfigMap or Secret: the files live in a
 * timestamped `..<time>` directory, `..data` links to it, and each key is a link through `..data`.
 * An update writes a new directory and atomically renames a new `..data` link over the old one.
 */
import { mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

let generation = 0;

async function writeGeneration(root: string, files: Record<string, string>): Promise<string> {
  const name = `..2026_01_01_00_00_${String(++generation).padStart(2, '0')}.${process.pid}`;
  await mkdir(join(root, name), { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(join(root, name, file), content);
  return name;
}

export async function createMount(root: string, files: Record<string, string>): Promise<void> {
  await mkdir(root, { recursive: true });
  const name = await writeGeneration(root, files);
  await symlink(name, join(root, '..data'));
  for (const file of Object.keys(files)) await symlink(join('..data', file), join(root, file));
}

/** Replaces the contents as the kubelet does (the set of keys stays the same). */
export async function updateMount(root: string, files: Record<string, string>): Promise<void> {
  const previous = await readlink(join(root, '..data'));
  const name = await writeGeneration(root, files);
  await symlink(name, join(root, '..data_tmp'));
  await rename(join(root, '..data_tmp'), join(root, '..data'));
  await rm(join(root, previous), { recursive: true, force: true });
}
