/**
 * Names for written documents: Kubernetes object names (DNS-1123 labels, at most 63 characters) made
 * from the source's own names, so that a reader can tell where each policy came from.
 */
import { createHash } from 'node:crypto';

export const MAX_NAME_LENGTH = 63;

/** Lower-cased, every run of other characters turned into one "-", trimmed, at most 63 characters. */
export function kubernetesName(...parts: readonly string[]): string {
  const joined = parts
    .filter((part) => part !== '')
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const name = joined === '' ? 'imported' : joined;
  if (name.length <= MAX_NAME_LENGTH) return name;
  // Too long: keep the start and make it unique with a short hash of the whole.
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME_LENGTH - 9).replace(/-+$/, '')}-${hash}`;
}

/** `base` if free, else `base-2`, `base-3`… (shortened so that the suffix fits). */
export function uniqueName(base: string, taken: ReadonlySet<string>): string {
  const name = kubernetesName(base);
  if (!taken.has(name)) return name;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${name.slice(0, MAX_NAME_LENGTH - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}
