/**
 * Rewrites marked values in place. Only the bytes of each marked value change: comments, quoting,
 * key order, indentation, line endings and every other byte of the file stay as they were.
 */
import { parse } from 'yaml';
import { applyEdits as applyTextEdits } from '../../util/text-edits.js';
import type { ScalarStyle } from './markers.js';

export interface ValueEdit {
  start: number;
  end: number;
  value: string;
  style: ScalarStyle;
}

function readsAsNonString(value: string): boolean {
  for (const version of ['1.1', '1.2'] as const) {
    try {
      if (typeof parse(value, { version }) !== 'string') return true;
    } catch {
      return true;
    }
  }
  return false;
}

/**
 * `value` as YAML source in the scalar's style. A plain scalar that a YAML 1.1 or 1.2 reader would
 * take for a number, boolean or null (a tag such as `1.10` or `20240101`) is written double-quoted,
 * as Flux does for string setters, so that it stays a string.
 */
export function scalarSource(value: string, style: ScalarStyle): string {
  if (style === 'single') return `'${value.replaceAll("'", "''")}'`;
  if (style === 'double' || value === '' || readsAsNonString(value) || !isSafePlain(value))
    return JSON.stringify(value);
  return value;
}

/** Characters of image names, tags and digests, none of which can end or start a plain scalar badly. */
function isSafePlain(value: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.:/@+-]*$/.test(value) && !value.includes(': ') && !value.endsWith(':');
}

/** Applies non-overlapping value edits to `text`, each value written in its scalar's style. */
export function applyEdits(text: string, edits: readonly ValueEdit[]): string {
  return applyTextEdits(
    text,
    edits.map((edit) => ({ start: edit.start, end: edit.end, text: scalarSource(edit.value, edit.style) })),
  );
}
