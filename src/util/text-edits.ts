/**
 * Edits of a file's text by offsets, applied in one pass: the build gate's `--pin` and the promotion
 * gate's setter rewrites both change only the bytes they mean to.
 */

/** A replacement of `[start, end)` in a file's text. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** Applies non-overlapping edits (identical duplicates are applied once). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const unique = dedupeEdits(edits).sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let cursor = 0;
  for (const edit of unique) {
    if (edit.start < cursor) throw new RangeError(`overlapping edits at offset ${edit.start}`);
    out += text.slice(cursor, edit.start) + edit.text;
    cursor = edit.end;
  }
  return out + text.slice(cursor);
}

function dedupeEdits(edits: readonly TextEdit[]): TextEdit[] {
  const seen = new Map<string, TextEdit>();
  for (const edit of edits) seen.set(`${edit.start}:${edit.end}:${edit.text}`, edit);
  return [...seen.values()];
}
