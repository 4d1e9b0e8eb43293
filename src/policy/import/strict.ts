/**
 * Strict parsing of source documents with zod, telling two kinds of problems apart: a field the
 * importer does not know (reported, exit 1: the rest is still translated) and a value the source tool
 * itself would refuse (a wrong type, a missing required field: exit 2).
 */
import type { z } from 'zod';
import { formatPath, type SchemaIssue, schemaIssues } from '../schema/common.js';

export interface StrictParse<T> {
  /** The parsed value, unknown fields left out; undefined when `invalid` is not empty. */
  value?: T;
  /** Field paths (`spec.rules[0].verifyImages[0].foo`) of fields the schema does not know. */
  unknown: string[];
  /** Problems the source tool would refuse the document for. */
  invalid: SchemaIssue[];
}

/** Fields are removed and the value parsed again at most this many times (unknown fields nest). */
const MAX_PASSES = 8;

export function parseStrict<T>(
  schema: z.ZodType<T>,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): StrictParse<T> {
  const unknown: string[] = [];
  let value = input;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const parsed = schema.safeParse(value);
    if (parsed.success) return { value: parsed.data, unknown, invalid: [] };
    const unrecognized = parsed.error.issues.filter((issue) => issue.code === 'unrecognized_keys');
    const others = parsed.error.issues.filter((issue) => issue.code !== 'unrecognized_keys');
    for (const issue of unrecognized)
      for (const key of issue.keys) unknown.push(formatPath([...prefix, ...issue.path, key]));
    if (others.length > 0) {
      const error = parsed.error;
      return {
        unknown,
        invalid: schemaIssues({ ...error, issues: others } as z.ZodError, value, prefix),
      };
    }
    value = withoutKeys(
      value,
      unrecognized.map((issue) => ({ path: issue.path, keys: issue.keys })),
    );
  }
  return { unknown, invalid: [{ path: formatPath(prefix), message: 'too deeply nested unknown fields' }] };
}

/** A copy of `value` without the given keys at the given paths. */
function withoutKeys(
  value: unknown,
  removals: { path: readonly PropertyKey[]; keys: readonly string[] }[],
): unknown {
  const copy = structuredClone(value);
  for (const { path, keys } of removals) {
    let node: unknown = copy;
    for (const segment of path) {
      if (node === null || typeof node !== 'object') break;
      node = (node as Record<PropertyKey, unknown>)[segment as string];
    }
    if (node !== null && typeof node === 'object')
      for (const key of keys) delete (node as Record<string, unknown>)[key];
  }
  return copy;
}
