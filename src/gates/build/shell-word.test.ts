// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text writes ${NAME} literally
import { describe, expect, it } from 'vitest';
import { BuildError } from './errors.js';
import {
  type Environment,
  type Expansion,
  expandWord,
  externalExpansion,
  type VariableValue,
} from './shell-word.js';

/** A value that came from the file at `offset`. */
function fromFile(value: string, offset: number, declaration: string): VariableValue {
  return {
    kind: 'value',
    expansion: {
      ...externalExpansion(value),
      origins: Array.from({ length: value.length }, (_, i) => offset + i),
      declarations: new Set([declaration]),
    },
  };
}

function env(entries: Record<string, VariableValue>): Environment {
  return new Map(Object.entries(entries));
}

/** Expands a word as if it were written at offset 1000 of a file. */
function expand(word: string, environment: Environment = new Map(), escapeChar = '\\'): Expansion {
  const origins = Array.from({ length: word.length }, (_, i) => 1000 + i);
  return expandWord(word, origins, escapeChar, environment);
}

const TAG = fromFile('3.20', 10, '1:TAG');
const EMPTY = fromFile('', 20, '2:EMPTY');
const UNSET: VariableValue = { kind: 'unset', declaration: '3:UNSET' };

describe('expandWord', () => {
  it('keeps plain text and the offset of every character', () => {
    const result = expand('alpine:3.20');
    expect(result.value).toBe('alpine:3.20');
    expect(result.origins).toEqual(Array.from({ length: 11 }, (_, i) => 1000 + i));
    expect(result.declarations.size).toBe(0);
  });

  it('expands $NAME and ${NAME}, taking the offsets of the value where it was declared', () => {
    const result = expand('alpine:$TAG', env({ TAG }));
    expect(result.value).toBe('alpine:3.20');
    expect(result.origins.slice(7)).toEqual([10, 11, 12, 13]);
    expect([...result.declarations]).toEqual(['1:TAG']);
    expect(expand('alpine:${TAG}-slim', env({ TAG })).value).toBe('alpine:3.20-slim');
  });

  it('reads $NAME up to the first character that cannot be in a name', () => {
    expect(expand('$TAG.x', env({ TAG })).value).toBe('3.20.x');
    expect(expand('$TAGx', env({ TAG })).unset).toEqual(new Set(['TAGx']));
  });

  it('records a plain use of an unset or undeclared name as unset', () => {
    const declaredOnly = expand('alpine:${UNSET}', env({ UNSET }));
    expect(declaredOnly.value).toBe('alpine:');
    expect(declaredOnly.unset).toEqual(new Set(['UNSET']));
    expect(declaredOnly.declarations).toEqual(new Set(['3:UNSET']));
    expect(expand('$NOPE/x').unset).toEqual(new Set(['NOPE']));
    expect(expand('$TARGETARCH/x', env({ TARGETARCH: { kind: 'automatic' } })).unset).toEqual(
      new Set(['TARGETARCH']),
    );
  });

  it('applies :- and - defaults (the colon makes an empty value count as unset)', () => {
    expect(expand('${UNSET:-alpine}', env({ UNSET })).value).toBe('alpine');
    expect(expand('${UNSET:-alpine}', env({ UNSET })).unset.size).toBe(0);
    expect(expand('${TAG:-latest}', env({ TAG })).value).toBe('3.20');
    expect(expand('${EMPTY:-latest}', env({ EMPTY })).value).toBe('latest');
    expect(expand('${EMPTY-latest}', env({ EMPTY })).value).toBe('');
    expect(expand('${UNSET-latest}', env({ UNSET })).value).toBe('latest');
  });

  it('gives the default word the offsets of where it is written', () => {
    const result = expand('${UNSET:-alpine}', env({ UNSET }));
    expect(result.origins).toEqual([1009, 1010, 1011, 1012, 1013, 1014]);
    expect(result.declarations).toEqual(new Set(['3:UNSET']));
  });

  it('applies :+ and + alternatives', () => {
    expect(expand('alpine${TAG:+:$TAG}', env({ TAG })).value).toBe('alpine:3.20');
    expect(expand('alpine${UNSET:+:x}', env({ UNSET })).value).toBe('alpine');
    expect(expand('alpine${UNSET:+:x}', env({ UNSET })).unset.size).toBe(0);
    expect(expand('a${EMPTY:+b}', env({ EMPTY })).value).toBe('a');
    expect(expand('a${EMPTY+b}', env({ EMPTY })).value).toBe('ab');
  });

  it('does not count names used only in a word that was not taken', () => {
    expect(expand('${TAG:-$NOPE}', env({ TAG })).unset.size).toBe(0);
  });

  it('reports ${NAME:?message} on an unset name as a problem', () => {
    const result = expand('${UNSET:?set UNSET}', env({ UNSET }));
    expect(result.problems).toEqual(['UNSET: set UNSET']);
    expect(expand('${TAG:?x}', env({ TAG })).value).toBe('3.20');
  });

  it('reports pattern substitutions as not evaluated instead of guessing', () => {
    expect(expand('${TAG%.*}', env({ TAG })).problems).toEqual([
      '${TAG%…} (pattern substitution) is not evaluated by vouch',
    ]);
  });

  it('removes quotes, keeping the offsets of the characters inside them', () => {
    const result = expand('"alpine:$TAG"', env({ TAG }));
    expect(result.value).toBe('alpine:3.20');
    expect(result.origins[0]).toBe(1001);
    expect(expand("'$TAG'", env({ TAG })).value).toBe('$TAG');
  });

  it('honours the escape character, and inside double quotes only before ", $ and itself', () => {
    expect(expand('\\$TAG', env({ TAG })).value).toBe('$TAG');
    expect(expand('"a\\$TAG"', env({ TAG })).value).toBe('a$TAG');
    expect(expand('"a\\b"').value).toBe('a\\b');
    expect(expand('`$TAG', env({ TAG }), '`').value).toBe('$TAG');
    expect(expand('a\\').value).toBe('a');
  });

  it('keeps a $ that starts no name', () => {
    expect(expand('a$/b').value).toBe('a$/b');
    expect(expand('a$').value).toBe('a$');
  });

  it('carries what a value depended on into every use of it', () => {
    const built: VariableValue = {
      kind: 'value',
      expansion: {
        ...externalExpansion('1.22'),
        declarations: new Set(['4:GO']),
        buildArgs: new Set(['GO']),
      },
    };
    const result = expand('golang:${GO}', env({ GO: built }));
    expect(result.buildArgs).toEqual(new Set(['GO']));
    expect(result.origins.slice(7)).toEqual([-1, -1, -1, -1]);
  });

  it.each([
    ['${TAG', "missing '}'", 0],
    ['x${TAG:-a', "missing '}'", 1],
    ['${}', 'bad substitution', 0],
    ['${TAG:x}', 'unsupported modifier (:x) in substitution', 0],
    ['${TAG^}', 'unsupported modifier (^) in substitution', 0],
    ['"alpine', 'unexpected end of statement while looking for matching double-quote', 0],
    ["a'x", 'unexpected end of statement while looking for matching single-quote', 1],
  ])('rejects %s: %s', (word, message, index) => {
    let thrown: unknown;
    try {
      expand(word, env({ TAG }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BuildError);
    expect((thrown as BuildError).code).toBe('SHELL_SYNTAX');
    expect((thrown as BuildError).message).toBe(message);
    expect((thrown as BuildError).index).toBe(index);
  });
});
