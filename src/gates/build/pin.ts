/**
 * `--pin`: where a verified digest goes in a file, and the rewrite itself. The rules:
 * - The text written is derived from what the file says: `alpine:3.20` becomes `alpine:3.20@sha256:…`
 *   (the tag is kept for readability; nothing is canonicalised, and a tagless `alpine` becomes
 *   `alpine@sha256:…`, not `alpine:latest@…`). No other byte of the file changes.
 * - The digest is the verdict's: the one that was verified (for a multi-platform base, the index).
 * - A reference whose last character comes from a global ARG default is pinned in that ARG line; not
 *   when another reference also built from that ARG would need a different edit (or is not verified),
 *   when a stage redeclares the ARG, when `--platform` uses it, or when the reference depends on a
 *   `--build-arg` (the file does not hold that value).
 * - A digest already written is left alone when it equals the verified one (so a second run changes
 *   nothing) and replaced when it differs: the file then names what was verified.
 */
import type { BaseReference, ParsedBuildFile, PinSite } from './types.js';

/**
 * The pin site of a reference whose characters came from the file offsets `origins` (-1: from outside
 * the file). An existing `@digest` is replaced when its characters are one contiguous run in the file;
 * otherwise `@digest` is inserted right after the last character.
 */
export function pinSiteFromOrigins(value: string, origins: readonly number[]): PinSite {
  if (value === '' || origins.length !== value.length)
    return { kind: 'none', reason: 'the reference is empty' };
  const at = value.lastIndexOf('@');
  if (at >= 0) {
    const first = at + 1;
    const last = value.length - 1;
    for (let i = first; i <= last; i++) {
      const origin = origins[i] as number;
      if (origin < 0 || (i > first && origin !== (origins[i - 1] as number) + 1))
        return {
          kind: 'none',
          reason: 'the digest already written is not one piece of text in the file',
        };
    }
    const start = origins[first] as number;
    return { kind: 'replace', start, end: (origins[last] as number) + 1, current: value.slice(first) };
  }
  const end = origins[value.length - 1] as number;
  if (end < 0) return { kind: 'none', reason: 'the end of the reference does not come from the file' };
  return { kind: 'insert', offset: end + 1 };
}

import type { TextEdit } from '../../util/text-edits.js';

export { applyEdits, type TextEdit } from '../../util/text-edits.js';

export type PinOutcome =
  /** `@digest` added. */
  | { status: 'pinned'; reference: string; line: number }
  /** A different digest was written there; replaced by the verified one. */
  | { status: 'updated'; reference: string; line: number; previous: string }
  /** The verified digest is already written. */
  | { status: 'unchanged'; reference: string; line: number }
  | { status: 'skipped'; reason: string };

/**
 * The edits that pin the references of one file to their verified digests (`digests`: reference index
 * in `file.references` → digest; references without one are left alone). An edit in a global ARG line
 * changes every reference built from that ARG, so it is made only when every such reference asks for
 * exactly the same edit; otherwise none of them is pinned there, and each says why.
 */
export function planPins(
  file: ParsedBuildFile,
  digests: ReadonlyMap<number, string>,
): { edits: TextEdit[]; outcomes: Map<number, PinOutcome> } {
  const outcomes = new Map<number, PinOutcome>();
  const edits = new Map<number, TextEdit & { declaration?: string }>();
  file.references.forEach((reference, index) => {
    const digest = digests.get(index);
    if (digest === undefined) return;
    const site = reference.pin;
    const line = site.kind !== 'none' && site.arg ? site.arg.line : reference.line;
    const image = reference.image ?? reference.text;
    if (site.kind === 'none') {
      outcomes.set(index, { status: 'skipped', reason: site.reason });
    } else if (site.kind === 'replace') {
      const pinned = image.slice(0, image.lastIndexOf('@') + 1) + digest;
      if (site.current === digest) {
        outcomes.set(index, { status: 'unchanged', reference: pinned, line });
      } else {
        outcomes.set(index, { status: 'updated', reference: pinned, line, previous: site.current });
        edits.set(index, { start: site.start, end: site.end, text: digest, ...declarationOf(reference) });
      }
    } else {
      outcomes.set(index, { status: 'pinned', reference: `${image}@${digest}`, line });
      edits.set(index, {
        start: site.offset,
        end: site.offset,
        text: `@${digest}`,
        ...declarationOf(reference),
      });
    }
  });

  for (const [index, edit] of edits) {
    const declaration = edit.declaration;
    if (declaration === undefined) continue;
    const users = file.references.flatMap((other, otherIndex) =>
      other.argDeclarations.includes(declaration) ? [otherIndex] : [],
    );
    const agree = users.every((otherIndex) => {
      const otherEdit = edits.get(otherIndex);
      return otherEdit?.start === edit.start && otherEdit.end === edit.end && otherEdit.text === edit.text;
    });
    if (agree) continue;
    const arg = (file.references[index] as BaseReference).fromArg;
    // Every reference writing into this ARG line loses its edit, not just this one.
    for (const [otherIndex, otherEdit] of edits) {
      if (otherEdit.declaration !== declaration) continue;
      const other = file.references[users.find((user) => user !== otherIndex) ?? index] as BaseReference;
      edits.delete(otherIndex);
      outcomes.set(otherIndex, {
        status: 'skipped',
        reason: `ARG ${arg?.name} (line ${arg?.line}) is also used by ${other.file}:${other.line} (${other.image ?? other.text}), which would change too`,
      });
    }
  }
  return { edits: [...edits.values()].map(({ start, end, text }) => ({ start, end, text })), outcomes };
}

function declarationOf(reference: BaseReference): { declaration?: string } {
  const site = reference.pin;
  if (site.kind === 'none' || !site.arg) return {};
  return { declaration: `${site.arg.line}:${site.arg.name}` };
}
