/**
 * The source tools' image patterns and identity wildcards, turned into what a ClusterImagePolicy says.
 *
 * Kyverno, Connaisseur and Ratify all match with wildcards where `*` is any run of characters *including*
 * `/` and `?` is one character; a ClusterImagePolicy glob's `*` stops at `/` and `**` crosses it, and it
 * has no `?`. So every source `*` becomes `**` (exact), and every `?` becomes `**` (wider: reported).
 */

/** A CIP glob token: a literal character, `*` (no `/`) or `**` (anything). */
type Token = { literal: string } | 'star' | 'globstar';

/** Characters a ClusterImagePolicy glob may hold besides its wildcards. */
const GLOB_LITERAL = /^[A-Za-z0-9\-_:/.@]$/;

export type Conversion = { ok: true; glob: string; widened: boolean } | { ok: false; problem: string };

/**
 * A wildcard pattern (`*` any run, `?` one character) as a CIP glob. `widened` says that a `?` became
 * `**`, so the glob matches more names than the pattern did.
 */
export function wildcardToGlob(pattern: string): Conversion {
  let glob = '';
  let widened = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '*' || char === '?') {
      if (char === '?') widened = true;
      if (!glob.endsWith('**')) glob += '**';
      continue;
    }
    if (!GLOB_LITERAL.test(char))
      return {
        ok: false,
        problem: `${JSON.stringify(char)} cannot appear in a ClusterImagePolicy glob (only letters, digits and - _ : / . @ besides wildcards)`,
      };
    glob += char;
  }
  if (glob === '') return { ok: false, problem: 'the pattern is empty' };
  return { ok: true, glob, widened };
}

/** Alternatives a `{a,b}` pattern may expand to before it is refused as too large. */
const MAX_ALTERNATIVES = 64;

export type GlobsConversion =
  | { ok: true; globs: string[]; widened: boolean }
  | { ok: false; problem: string };

/**
 * A gobwas/glob pattern without separators (Connaisseur's policy patterns, Kyverno's
 * `matchImageReferences`): `*` and `?` as above, `{a,b}` alternatives (each becomes a glob), `\x` a
 * literal x. Character classes (`[abc]`) have no glob form.
 */
export function gobwasToGlobs(pattern: string): GlobsConversion {
  if (/(^|[^\\])\[/.test(pattern))
    return { ok: false, problem: 'character classes ([…]) have no ClusterImagePolicy glob form' };
  let alternatives = [''];
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '\\') {
      const next = pattern[i + 1];
      if (next === undefined || next === '*' || next === '?')
        return { ok: false, problem: 'an escaped wildcard cannot appear in an image name' };
      alternatives = alternatives.map((text) => text + next);
      i++;
    } else if (char === '{') {
      const end = pattern.indexOf('}', i);
      const body = end < 0 ? '' : pattern.slice(i + 1, end);
      if (end < 0 || body.includes('{'))
        return { ok: false, problem: 'unbalanced or nested {…} alternatives' };
      const options = body.split(',');
      if (alternatives.length * options.length > MAX_ALTERNATIVES)
        return { ok: false, problem: `more than ${MAX_ALTERNATIVES} alternatives` };
      alternatives = alternatives.flatMap((text) => options.map((option) => text + option));
      i = end;
    } else alternatives = alternatives.map((text) => text + char);
  }
  const globs: string[] = [];
  let widened = false;
  for (const alternative of alternatives) {
    const converted = wildcardToGlob(alternative);
    if (!converted.ok) return converted;
    widened ||= converted.widened;
    if (!globs.includes(converted.glob)) globs.push(converted.glob);
  }
  return { ok: true, globs, widened };
}

/** True when `text` contains a wildcard character of the source tools' syntax. */
export function hasWildcard(text: string): boolean {
  return /[*?]/.test(text);
}

const REGEX_SPECIAL = /[\\^$.|+()[\]{}]/g;

/**
 * An RE2 expression matching exactly what the wildcard pattern matches, anchored at both ends:
 * Kyverno compares keyless `subject` and `issuer` this way (`https://github.com/acme/*`).
 */
export function wildcardToRegex(pattern: string): string {
  let out = '';
  for (const char of pattern) {
    if (char === '*') out += '.*';
    else if (char === '?') out += '.';
    else out += char.replace(REGEX_SPECIAL, '\\$&');
  }
  return `(?s)^${out}$`;
}

function tokens(glob: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] === '*') {
      if (glob[i + 1] === '*') {
        out.push('globstar');
        i++;
      } else out.push('star');
    } else out.push({ literal: glob[i] as string });
  }
  return out;
}

function isWildcard(token: Token | undefined): token is 'star' | 'globstar' {
  return token === 'star' || token === 'globstar';
}

/** Characters as the shape of an image name sees them. */
type CharClass = '/' | ':' | '@' | 'other';
const CLASSES: readonly CharClass[] = ['/', ':', '@', 'other'];

function classOf(char: string): CharClass {
  return char === '/' || char === ':' || char === '@' ? char : 'other';
}

/** Whether a wildcard token can stand for a character of this class. */
function admits(wildcard: 'star' | 'globstar', cls: CharClass): boolean {
  return wildcard === 'globstar' || cls !== '/';
}

/**
 * The shape of a canonical image name, `host[:port]/path[:tag][@algorithm:hex]`, as a small automaton
 * over character classes: 0 host, 1 path, 2 tag, 3 digest algorithm, 4 digest hex; -1 rejects.
 */
const NAME_STATES: Readonly<Record<CharClass, number>>[] = [
  { other: 0, ':': 0, '/': 1, '@': -1 },
  { other: 1, '/': 1, ':': 2, '@': 3 },
  { other: 2, '@': 3, '/': -1, ':': -1 },
  { other: 3, ':': 4, '/': -1, '@': -1 },
  { other: 4, ':': -1, '/': -1, '@': -1 },
];
/** A name ends with a tag or a digest. */
const NAME_ACCEPTS = new Set([2, 4]);

/** How many automaton states overlap checks may still visit: a bound on what an import can cost. */
export interface IntersectBudget {
  states: number;
}

/**
 * Whether some image name (of the canonical shape above) matches both CIP globs: the product of the
 * two patterns' automata and the name's reaches the end. Used to find source rules whose images
 * overlap, where "every matching policy must pass" differs from a tool that applies one rule per image.
 * Undefined when the budget ran out before an answer.
 */
export function globsIntersect(
  first: string,
  second: string,
  budget: IntersectBudget = { states: 1_000_000 },
): boolean | undefined {
  const a = tokens(first);
  const b = tokens(second);
  const seen = new Set<string>();
  const stack: [number, number, number][] = [[0, 0, 0]];
  while (stack.length > 0) {
    const [i, j, g] = stack.pop() as [number, number, number];
    const key = `${i},${j},${g}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (--budget.states < 0) return undefined;
    if (i === a.length && j === b.length && NAME_ACCEPTS.has(g)) return true;
    const ta = a[i];
    const tb = b[j];
    // A wildcard may match nothing.
    if (isWildcard(ta)) stack.push([i + 1, j, g]);
    if (isWildcard(tb)) stack.push([i, j + 1, g]);
    if (ta === undefined || tb === undefined) continue;
    // Both consume one character of some class the name's shape allows here.
    for (const cls of CLASSES) {
      const next = (NAME_STATES[g] as Readonly<Record<CharClass, number>>)[cls];
      if (next < 0) continue;
      const okA = isWildcard(ta) ? admits(ta, cls) : classOf(ta.literal) === cls;
      const okB = isWildcard(tb) ? admits(tb, cls) : classOf(tb.literal) === cls;
      if (!okA || !okB) continue;
      if (!isWildcard(ta) && !isWildcard(tb) && ta.literal !== tb.literal) continue;
      stack.push([isWildcard(ta) ? i : i + 1, isWildcard(tb) ? j : j + 1, next]);
    }
  }
  return false;
}

/** Docker Hub's names for itself, as written in the source tools' patterns. */
export const DOCKER_HUB_HOSTS = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

/** The first path component looks like a registry host (as docker decides: a dot, a port, localhost). */
export function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}
