/**
 * Image globs with policy-controller's rules (pkg/apis/glob): `*` matches any run of characters except
 * `/`, `**` any run including `/`, every other character is literal (`.` too), and the whole name must
 * match. The glob `*` means `index.docker.io/library/*` and the glob `*\/*` means `index.docker.io/*\/*`; only
 * `A-Z a-z 0-9 - _ : / * . @` may appear.
 *
 * Matching is done by a small automaton instead of a regular expression, so that a policy cannot make
 * matching slow however many wildcards it has, and so that the same code can answer "could this glob
 * match the digest form of this repository, whatever the digest?" without knowing the digest yet.
 */
import { DIGEST_HEX_LENGTHS } from '../reference/index.js';

const GLOB_CHARACTERS = /^[a-zA-Z0-9\-_:/*.@]+$/;

/** Prefixes that name Docker Hub in a glob; image names always use `index.docker.io`. */
const DOCKER_HUB_GLOB_PREFIXES = ['docker.io/', 'registry-1.docker.io/'];

/** Why a glob is invalid, or undefined when it is valid. */
export function globError(glob: string): string | undefined {
  if (glob === '') return 'glob is empty';
  if (!GLOB_CHARACTERS.test(glob)) {
    const bad = [...new Set([...glob].filter((c) => !/[a-zA-Z0-9\-_:/*.@]/.test(c)))];
    return `glob ${JSON.stringify(glob)} may contain only letters, digits and - _ : / * . @ (found ${bad
      .map((c) => JSON.stringify(c))
      .join(', ')})`;
  }
  return undefined;
}

/**
 * The pattern a glob is matched as. policy-controller's two Docker Hub shortcuts apply (`*`, `*\/*`), and
 * a glob written with `docker.io/` or `registry-1.docker.io/` is read as `index.docker.io/`: image names
 * are always canonical (`index.docker.io/library/alpine:latest`), so such a glob could otherwise never
 * match anything. (policy-controller's documentation promises this host defaulting; its code does not
 * do it, so there such a glob silently matches nothing.)
 */
export function globPattern(glob: string): string {
  if (glob === '*') return 'index.docker.io/library/*';
  if (glob === '*/*') return 'index.docker.io/*/*';
  const pattern = canonicalGlobHost(glob);
  for (const prefix of DOCKER_HUB_GLOB_PREFIXES)
    if (pattern.startsWith(prefix)) return `index.docker.io/${pattern.slice(prefix.length)}`;
  return pattern;
}

/**
 * The glob with its host spelt as image names are matched (see `canonicalLocation`): lower-cased, and
 * without a literal `:443`. Names are tried in that spelling too, so `GHCR.IO/**` and `ghcr.io:443/**`
 * keep matching what they matched, and also the other spellings of the same registry.
 */
function canonicalGlobHost(glob: string): string {
  const slash = glob.indexOf('/');
  if (slash <= 0) return glob;
  let host = glob.slice(0, slash).toLowerCase();
  if (!host.includes('*') && host.endsWith(':443')) host = host.slice(0, -':443'.length);
  return `${host}${glob.slice(slash)}`;
}

/** A literal character (its code), `*` or `**`. */
type Token = number | 'star' | 'globstar';

interface CompiledPattern {
  tokens: Token[];
  /**
   * How to match: `literal` (no wildcard: string equality), `one-star` / `one-globstar` (a single
   * wildcard: prefix, suffix and, for `*`, no `/` between them), or the general automaton.
   */
  shape: 'literal' | 'one-star' | 'one-globstar' | 'automaton';
  /** Literal text before the first and after the last wildcard: a cheap first test. */
  prefix: string;
  suffix: string;
}

const SLASH = '/'.charCodeAt(0);
/** A position standing for "any lowercase hex digit" (an unknown digest). */
const ANY_HEX = -1;

function isLowerHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 102);
}

// Patterns come from loaded policies, so there are few; the bound only guards direct callers.
const compiled = new Map<string, CompiledPattern>();
const MAX_COMPILED = 10_000;

function compile(pattern: string): CompiledPattern {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '*') {
      if (pattern[i + 1] === '*') {
        tokens.push('globstar');
        i++;
      } else tokens.push('star');
    } else tokens.push(pattern.charCodeAt(i));
  }
  const first = pattern.indexOf('*');
  const wildcards = tokens.filter((token) => typeof token === 'string').length;
  const result: CompiledPattern =
    first < 0
      ? { tokens, shape: 'literal', prefix: pattern, suffix: '' }
      : {
          tokens,
          shape: wildcards > 1 ? 'automaton' : tokens.includes('globstar') ? 'one-globstar' : 'one-star',
          prefix: pattern.slice(0, first),
          suffix: pattern.slice(pattern.lastIndexOf('*') + 1),
        };
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(pattern, result);
  return result;
}

/**
 * Runs the pattern's automaton over `text` followed by `hexTail` positions of "any hex digit". A single
 * accepting path consumes every position once, so with a hex tail an accepting run exists exactly when
 * some hex string makes the pattern match. Time is linear in text length times pattern length.
 */
function run(tokens: readonly Token[], text: string, hexTail: number): boolean {
  const n = tokens.length;
  let states = new Uint8Array(n + 1);
  let next = new Uint8Array(n + 1);
  const close = (set: Uint8Array) => {
    for (let i = 0; i < n; i++) if (set[i] && typeof tokens[i] === 'string') set[i + 1] = 1;
  };
  states[0] = 1;
  close(states);
  const length = text.length + hexTail;
  for (let position = 0; position < length; position++) {
    const symbol = position < text.length ? text.charCodeAt(position) : ANY_HEX;
    next.fill(0);
    let any = false;
    for (let i = 0; i < n; i++) {
      if (!states[i]) continue;
      const token = tokens[i] as Token;
      if (token === 'globstar' || (token === 'star' && symbol !== SLASH)) {
        next[i] = 1;
        any = true;
      } else if (typeof token === 'number' && (symbol === ANY_HEX ? isLowerHex(token) : token === symbol)) {
        next[i + 1] = 1;
        any = true;
      }
    }
    if (!any) return false;
    close(next);
    [states, next] = [next, states];
  }
  return states[n] === 1;
}

/** Whether `name` (a canonical image name with tag or digest) matches the pattern, anchored at both ends. */
export function globMatches(pattern: string, name: string): boolean {
  const { tokens, shape, prefix, suffix } = compile(pattern);
  if (shape === 'literal') return name === prefix;
  if (name.length < prefix.length + suffix.length || !name.startsWith(prefix) || !name.endsWith(suffix))
    return false;
  if (shape === 'one-globstar') return true;
  if (shape === 'one-star') return !name.slice(prefix.length, name.length - suffix.length).includes('/');
  return run(tokens, name, 0);
}

/**
 * Whether the pattern matches `repository@<algorithm>:<hex>` for at least one digest. A caller holding
 * only a tag uses it to know whether resolving the digest could bring more policies into play.
 */
export function globMayMatchDigestOf(pattern: string, repository: string): boolean {
  const { tokens } = compile(pattern);
  return Object.entries(DIGEST_HEX_LENGTHS).some(([algorithm, length]) =>
    run(tokens, `${repository}@${algorithm}:`, length),
  );
}

/**
 * Advice for a glob that can never match a canonical image name (`registry/repository:tag` or
 * `registry/repository@digest`), or undefined. policy-controller matched some of these only through a
 * deprecated fallback on the name as written, which its own webhook and tester never reach (both pass
 * the canonical name), so vouch does not match them either — it says so instead.
 */
export function globAdvice(glob: string): string | undefined {
  const pattern = globPattern(glob);
  const slash = pattern.indexOf('/');
  const canonical =
    'image names are canonical and start with their registry (Docker Hub images are index.docker.io/library/NAME:TAG and index.docker.io/USER/NAME:TAG)';
  // A canonical name always has a "/", and only a literal "/" or a "**" can match it.
  if (slash < 0 && !pattern.includes('**')) return `glob ${JSON.stringify(glob)} never matches: ${canonical}`;
  if (slash > 0) {
    const first = pattern.slice(0, slash);
    const looksLikeHost = first.includes('.') || first.includes(':') || first === 'localhost';
    if (!first.includes('*') && !looksLikeHost)
      return `glob ${JSON.stringify(glob)} never matches: ${canonical}`;
  }
  const last =
    pattern
      .slice(slash + 1)
      .split('/')
      .pop() ?? '';
  if (!pattern.includes('*') && !last.includes(':') && !last.includes('@'))
    return `glob ${JSON.stringify(glob)} names a repository without a tag or digest, so it never matches; list ${JSON.stringify(`${glob}:*`)} (any tag) and ${JSON.stringify(`${glob}@*`)} (any digest)`;
  return undefined;
}
