// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text writes ${NAME} literally
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from './dockerfile.js';
import { applyEdits, pinSiteFromOrigins, planPins } from './pin.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

/** Pins every reference of a Dockerfile to the digest `digestFor(image)` gives (none when undefined). */
function pin(text: string, digestFor: (image: string) => string | undefined) {
  const file = parseDockerfile('Dockerfile', text);
  expect(file.diagnostics).toEqual([]);
  const digests = new Map<number, string>();
  file.references.forEach((ref, index) => {
    const digest = ref.image === undefined ? undefined : digestFor(ref.image);
    if (digest) digests.set(index, digest);
  });
  const { edits, outcomes } = planPins(file, digests);
  return { text: applyEdits(text, edits), outcomes: [...outcomes.entries()].sort(([a], [b]) => a - b) };
}

describe('pinSiteFromOrigins', () => {
  const at = (start: number, length: number) => Array.from({ length }, (_, i) => start + i);

  it('inserts after the last character', () => {
    expect(pinSiteFromOrigins('alpine', at(5, 6))).toEqual({ kind: 'insert', offset: 11 });
  });

  it('replaces a digest that is one contiguous piece of the file', () => {
    const value = `alpine@${D1}`;
    expect(pinSiteFromOrigins(value, at(5, value.length))).toEqual({
      kind: 'replace',
      start: 12,
      end: 12 + D1.length,
      current: D1,
    });
  });

  it('refuses when the end or the digest does not come from the file in one piece', () => {
    expect(pinSiteFromOrigins('alpine', [1, 2, 3, 4, 5, -1]).kind).toBe('none');
    const value = `a@${D1}`;
    const split = at(0, value.length);
    split[10] = 500;
    expect(pinSiteFromOrigins(value, split).kind).toBe('none');
  });
});

describe('applyEdits', () => {
  it('applies edits in offset order and each duplicate once', () => {
    expect(
      applyEdits('abcdef', [
        { start: 4, end: 4, text: 'X' },
        { start: 1, end: 2, text: 'Y' },
        { start: 4, end: 4, text: 'X' },
      ]),
    ).toBe('aYcdXef');
  });

  it('refuses overlapping edits', () => {
    expect(() =>
      applyEdits('abcdef', [
        { start: 1, end: 3, text: 'Y' },
        { start: 2, end: 4, text: 'Z' },
      ]),
    ).toThrow(RangeError);
  });
});

describe('planPins', () => {
  it('pins the FROM text as written, keeping the tag, and nothing else', () => {
    const text = 'FROM alpine:3.20 AS base\nRUN echo alpine:3.20\nFROM base\nCOPY --from=nginx /a /a\n';
    const result = pin(text, () => D1);
    expect(result.text).toBe(
      `FROM alpine:3.20@${D1} AS base\nRUN echo alpine:3.20\nFROM base\nCOPY --from=nginx@${D1} /a /a\n`,
    );
    expect(result.outcomes).toEqual([
      [0, { status: 'pinned', reference: `alpine:3.20@${D1}`, line: 1 }],
      [1, { status: 'pinned', reference: `nginx@${D1}`, line: 4 }],
    ]);
  });

  it('pins an ARG-built reference in the ARG line', () => {
    const text = 'ARG BASE=alpine:3.20 # comment\nFROM ${BASE} AS base\n';
    const result = pin(text, () => D1);
    expect(result.text).toBe(`ARG BASE=alpine:3.20@${D1} # comment\nFROM \${BASE} AS base\n`);
    expect(result.outcomes[0]?.[1]).toEqual({ status: 'pinned', reference: `alpine:3.20@${D1}`, line: 1 });
  });

  it('pins once when several references share the ARG and the digest', () => {
    const text = 'ARG BASE=alpine:3.20\nFROM ${BASE} AS a\nFROM ${BASE} AS b\n';
    expect(pin(text, () => D1).text).toBe(
      `ARG BASE=alpine:3.20@${D1}\nFROM \${BASE} AS a\nFROM \${BASE} AS b\n`,
    );
  });

  it('does not pin an ARG shared by references to different images', () => {
    const text = 'ARG TAG=3.20\nFROM alpine:${TAG} AS a\nFROM example.com/tools:${TAG} AS b\n';
    const result = pin(text, (image) => (image.startsWith('alpine') ? D1 : D2));
    expect(result.text).toBe(text);
    const reason =
      'ARG TAG (line 1) is also used by Dockerfile:3 (example.com/tools:3.20), which would change too';
    expect(result.outcomes[0]?.[1]).toEqual({ status: 'skipped', reason });
  });

  it('does not pin an ARG that an unverified reference also uses', () => {
    const text = 'ARG TAG=3.20\nFROM alpine:${TAG} AS a\nFROM example.com/tools:${TAG} AS b\n';
    const result = pin(text, (image) => (image.startsWith('alpine') ? D1 : undefined));
    expect(result.text).toBe(text);
    expect(result.outcomes.map(([, outcome]) => outcome.status)).toEqual(['skipped']);
  });

  it('still pins a FROM whose own text ends the reference when an ARG only supplies the start', () => {
    const text = 'ARG REGISTRY=example.com\nFROM ${REGISTRY}/a:1 AS a\nFROM ${REGISTRY}/b:1\n';
    const result = pin(text, (image) => (image.endsWith('/a:1') ? D1 : D2));
    expect(result.text).toBe(
      `ARG REGISTRY=example.com\nFROM \${REGISTRY}/a:1@${D1} AS a\nFROM \${REGISTRY}/b:1@${D2}\n`,
    );
  });

  it('leaves an equal digest alone and replaces a different one', () => {
    const text = `FROM alpine:3.20@${D1} AS a\nFROM busybox@${D1}\n`;
    const result = pin(text, (image) => (image.startsWith('alpine') ? D1 : D2));
    expect(result.text).toBe(`FROM alpine:3.20@${D1} AS a\nFROM busybox@${D2}\n`);
    expect(result.outcomes).toEqual([
      [0, { status: 'unchanged', reference: `alpine:3.20@${D1}`, line: 1 }],
      [1, { status: 'updated', reference: `busybox@${D2}`, line: 2, previous: D1 }],
    ]);
  });

  it('changes nothing the second time', () => {
    const text =
      '# syntax=docker/dockerfile:1\nARG BASE="alpine:3.20"\nFROM ${BASE}\nCOPY --from=nginx:1 /a /a\n';
    const once = pin(text, () => D1).text;
    expect(once).not.toBe(text);
    const twice = pin(once, () => D1);
    expect(twice.text).toBe(once);
    expect(twice.outcomes.map(([, outcome]) => outcome.status)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
  });
});
