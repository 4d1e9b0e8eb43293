/**
 * Kyverno attestation `conditions` (JMESPath key, operator, value) as a CEL condition over the in-toto
 * statement, for the shapes whose meaning is the same in both; every other condition is reported.
 *
 * Kyverno puts the statement's predicate at the root of its JSON context, so `{{ builder.id }}` is the
 * predicate's `builder.id`: CEL `predicate.builder.id`. Its `Equals` compares strings with wildcards
 * (`*`, `?`) and first tries to read both sides as durations and Kubernetes quantities; a value that is
 * neither and has no wildcard compares exactly, which is CEL `==`.
 */
import type { AnyAllConditions, Condition } from './schema.js';

export type ConditionTranslation = { ok: true; cel: string } | { ok: false; problem: string };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CEL_RESERVED = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);
/** Roots of Kyverno's JSON context that are not the predicate. */
const CONTEXT_ROOTS = new Set([
  'request',
  'images',
  'element',
  'elementIndex',
  'serviceAccountName',
  'serviceAccountNamespace',
  'target',
]);
const SEGMENT = '(?:[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\\\]|\\\\.)+")';
const FIELD_PATH = new RegExp(`^${SEGMENT}(?:\\.${SEGMENT})*$`);
const VARIABLE = /^\{\{([^{}]*)\}\}$/;
const REGEX_MATCH = /^\{\{\s*regex_match\(\s*'((?:[^'\\]|\\.)*)'\s*,\s*'\{\{([^{}]*)\}\}'\s*\)\s*\}\}$/;
// Go's time.ParseDuration and Kubernetes' resource.ParseQuantity, as far as telling them apart needs.
const DURATION = /^[-+]?(?:\d*\.?\d*(?:ns|us|µs|ms|s|m|h))+$|^[-+]?0$/;
const QUANTITY = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+|[numkMGTPE]i?|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

function celString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** A JMESPath field chain (`builder.id`, `metadata."x-y"`) as a CEL selection on `predicate`. */
function fieldPath(path: string): string | undefined {
  if (!FIELD_PATH.test(path)) return undefined;
  const segments = path.match(/"(?:[^"\\]|\\.)+"|[^.]+/g) ?? [];
  if (CONTEXT_ROOTS.has(segments[0] ?? '')) return undefined;
  let out = 'predicate';
  for (const segment of segments) {
    const name = segment.startsWith('"') ? (JSON.parse(segment) as string) : segment;
    out += IDENTIFIER.test(name) && !CEL_RESERVED.has(name) ? `.${name}` : `[${celString(name)}]`;
  }
  return out;
}

function wildcardRegex(pattern: string): string {
  let out = '';
  for (const char of pattern) {
    if (char === '*') out += '.*';
    else if (char === '?') out += '.';
    else out += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return `(?s)^${out}$`;
}

/** `key == value` in Kyverno's Equals, as CEL, when the two mean the same. */
function equals(key: string, value: unknown): ConditionTranslation {
  if (typeof value === 'boolean') return { ok: true, cel: `${key} == ${value}` };
  if (typeof value !== 'string')
    return {
      ok: false,
      problem: `Equals with a ${value === null ? 'null' : typeof value} value compares by Kyverno's own type rules`,
    };
  if (DURATION.test(value) || QUANTITY.test(value))
    return {
      ok: false,
      problem: `Kyverno compares ${JSON.stringify(value)} as a duration or quantity, not as text`,
    };
  if (!/[*?]/.test(value)) return { ok: true, cel: `${key} == ${celString(value)}` };
  // A key that reads as a quantity never matches a wildcard there; one starting with a letter cannot.
  if (!/^[A-Za-z]/.test(value))
    return {
      ok: false,
      problem: `the wildcard value ${JSON.stringify(value)} could match a number, which Kyverno compares as a quantity`,
    };
  return { ok: true, cel: `${key}.matches(${celString(wildcardRegex(value))})` };
}

/** Keys longer than this are not read (the expressions matched here are short; this bounds the cost). */
const MAX_KEY_LENGTH = 1024;

export function translateCondition(condition: Condition): ConditionTranslation {
  const { key, operator, value } = condition;
  if (typeof key !== 'string') return { ok: false, problem: 'the key is not a JMESPath variable' };
  if (key.length > MAX_KEY_LENGTH)
    return { ok: false, problem: `the key is longer than ${MAX_KEY_LENGTH} characters` };
  if (operator !== 'Equals' && operator !== 'NotEquals')
    return {
      ok: false,
      problem: `operator ${operator} is not translated (Kyverno's set and ordering operators have their own type rules)`,
    };
  const negate = (translation: ConditionTranslation): ConditionTranslation =>
    translation.ok && operator === 'NotEquals' ? { ok: true, cel: `!(${translation.cel})` } : translation;
  const regex = REGEX_MATCH.exec(key);
  if (regex) {
    const path = fieldPath((regex[2] as string).trim());
    if (path === undefined)
      return { ok: false, problem: `${JSON.stringify(regex[2])} is not a field of the predicate` };
    if (typeof value !== 'boolean')
      return { ok: false, problem: 'regex_match compared with a value other than true or false' };
    const pattern = (regex[1] as string).replace(/\\'/g, "'");
    const cel = `${path}.matches(${celString(pattern)})`;
    return negate({ ok: true, cel: value ? cel : `!(${cel})` });
  }
  const variable = VARIABLE.exec(key);
  if (!variable) return { ok: false, problem: 'the key is not a single {{ … }} variable' };
  const path = fieldPath((variable[1] as string).trim());
  if (path === undefined)
    return {
      ok: false,
      problem: `${JSON.stringify((variable[1] as string).trim())} is a JMESPath expression, not a plain field of the predicate`,
    };
  return negate(equals(path, value));
}

export interface ConditionsTranslation {
  /** The CEL condition, when every condition translated. */
  cel?: string;
  /** Per condition path (`conditions[0].all[1]`), why it did not translate. */
  problems: { path: string; problem: string }[];
}

/** A list of `{any, all}` blocks (all must hold; in each, every `all` and one `any`). */
export function translateConditions(blocks: readonly AnyAllConditions[]): ConditionsTranslation {
  const problems: ConditionsTranslation['problems'] = [];
  const parts: string[] = [];
  blocks.forEach((block, i) => {
    const terms: string[] = [];
    (block.all ?? []).forEach((condition, j) => {
      const translated = translateCondition(condition);
      if (translated.ok) terms.push(translated.cel);
      else problems.push({ path: `conditions[${i}].all[${j}]`, problem: translated.problem });
    });
    if (block.any !== undefined) {
      const alternatives: string[] = [];
      block.any.forEach((condition, j) => {
        const translated = translateCondition(condition);
        if (translated.ok) alternatives.push(translated.cel);
        else problems.push({ path: `conditions[${i}].any[${j}]`, problem: translated.problem });
      });
      // Kyverno: an `any` list that is present but empty is false.
      terms.push(
        alternatives.length === 0
          ? 'false'
          : alternatives.length === 1
            ? (alternatives[0] as string)
            : `(${alternatives.join(' || ')})`,
      );
    }
    if (terms.length > 0) parts.push(terms.join(' && '));
  });
  if (problems.length > 0) return { problems };
  return {
    cel:
      parts.length === 0 ? 'true' : parts.map((part) => (parts.length > 1 ? `(${part})` : part)).join(' && '),
    problems,
  };
}
