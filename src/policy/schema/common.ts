/**
 * Building blocks shared by the resource schemas. The schemas follow the Go types that policy-controller
 * decodes with unknown fields disallowed; as in Go, an empty string or a YAML null in an optional field
 * means "not set".
 */
import { z } from 'zod';

function emptyToUnset(value: unknown): unknown {
  return value === '' || value === null ? undefined : value;
}

/** An optional field where `""` and `null` mean "not set" (Go's zero value and `omitempty`). */
export function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess(emptyToUnset, schema.optional());
}

/** A required string; `""` counts as missing, as policy-controller's `ErrMissingField` checks do. */
export const requiredText = z.preprocess(emptyToUnset, z.string());

export const optionalText = optional(z.string());
export const optionalBoolean = optional(z.boolean());

/** `metav1.ObjectMeta`: every field Kubernetes may write into an exported object is accepted. */
export const objectMetaSchema = z.strictObject({
  name: requiredText,
  namespace: optionalText,
  generateName: optionalText,
  selfLink: optionalText,
  uid: optionalText,
  resourceVersion: optionalText,
  generation: optional(z.number()),
  creationTimestamp: optional(z.union([z.string(), z.date()])),
  deletionTimestamp: optional(z.union([z.string(), z.date()])),
  deletionGracePeriodSeconds: optional(z.number()),
  labels: optional(z.record(z.string(), z.string())),
  annotations: optional(z.record(z.string(), z.string())),
  ownerReferences: optional(z.array(z.unknown())),
  finalizers: optional(z.array(z.string())),
  managedFields: optional(z.array(z.unknown())),
});
export type ObjectMeta = z.infer<typeof objectMetaSchema>;

export const labelSelectorRequirementSchema = z.strictObject({
  key: requiredText,
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: optional(z.array(z.string())),
});

/** `metav1.LabelSelector`. */
export const labelSelectorSchema = z.strictObject({
  matchLabels: optional(z.record(z.string(), z.string())),
  matchExpressions: optional(z.array(labelSelectorRequirementSchema)),
});
export type LabelSelectorInput = z.infer<typeof labelSelectorSchema>;

/** Formats a zod-style path as a field path: `spec.authorities[0].key`, `metadata.labels["a.b/c"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** A short description of a value for "expected X, got Y" messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a timestamp';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}

/** The value found at `path` inside `root`, or undefined. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment as string];
  }
  return current;
}

export interface SchemaIssue {
  path: string;
  message: string;
}

/**
 * Turns zod issues into located messages that read like policy-controller's field errors:
 * `spec.mode: must be one of "enforce", "warn" (got the string "audit")`, `spec: unknown field "imagess"`.
 */
export function schemaIssues(
  error: z.ZodError,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    const got = valueAt(input, issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys)
          out.push({ path: formatPath(path), message: `unknown field ${JSON.stringify(key)}` });
        break;
      case 'invalid_type':
        out.push({
          path: formatPath(path),
          message:
            got === undefined || got === null || got === ''
              ? 'required field is missing'
              : `expected ${article(issue.expected)}, got ${describeValue(got)}`,
        });
        break;
      case 'invalid_value':
        out.push({
          path: formatPath(path),
          message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')} (got ${describeValue(got)})`,
        });
        break;
      case 'too_small':
        out.push({
          path: formatPath(path),
          message:
            issue.origin === 'array'
              ? `needs at least ${String(issue.minimum)} entr${issue.minimum === 1 ? 'y' : 'ies'}`
              : issue.message,
        });
        break;
      default:
        out.push({ path: formatPath(path), message: issue.message });
    }
  }
  return out;
}

function article(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'number':
      return 'a number';
    default:
      return expected;
  }
}
