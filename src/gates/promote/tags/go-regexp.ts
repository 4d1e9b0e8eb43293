/**
 * Regular expressions as Flux evaluates them: Go's `regexp` package, i.e. RE2 syntax (`(?P<name>…)`
 * named groups, no look-around, no back-references) with linear-time matching. JavaScript's RegExp
 * accepts a different language (it rejects `(?P<name>…)` and accepts back-references), so Flux's
 * patterns are compiled with re2js, the RE2 port, and an `extract` template is expanded with Go's
 * `Regexp.Expand` rules.
 */
import { RE2JS } from 're2js';
import { PromoteError } from '../errors.js';

export interface GoRegexp {
  readonly source: string;
  /** Number of capturing groups (group 0, the whole match, not counted). */
  readonly groupCount: number;
  /** Named groups and their indexes. */
  readonly named: Readonly<Record<string, number>>;
  /** Unanchored search, as Go's `MatchString`. */
  test(input: string): boolean;
  /**
   * The leftmost match's groups (index 0 is the whole match, undefined for a group that did not take
   * part), or undefined when there is no match.
   */
  exec(input: string): GoMatch | undefined;
}

export interface GoMatch {
  groups: (string | undefined)[];
  named: Readonly<Record<string, number>>;
}

export function compileGoRegexp(source: string): GoRegexp {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source);
  } catch (error) {
    throw new PromoteError('INVALID_REGEXP', (error as Error).message.replace(/^error parsing regexp: /, ''));
  }
  const named = compiled.namedGroups();
  return {
    source,
    groupCount: compiled.groupCount(),
    named,
    test: (input) => compiled.test(input),
    exec(input) {
      const match = compiled.exec(input);
      if (!match) return undefined;
      return { groups: Array.from(match, (group) => (typeof group === 'string' ? group : undefined)), named };
    },
  };
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/**
 * Checks an `extract` template: every `$` must start `$$`, `$name`, `$number`, `${name}` or `${number}`,
 * and each name must be a group of `re`. Go would silently expand a mistake to nothing (or keep a
 * malformed `$` literally); vouch refuses such a template at load time instead, so a typo cannot
 * collapse every tag to the same value.
 */
export function checkTemplate(template: string, re: GoRegexp): void {
  forEachReference(template, (reference) => {
    if (reference === undefined)
      throw new PromoteError(
        'INVALID_REGEXP',
        `"$" must start $$, $name or \${name} in ${JSON.stringify(template)}`,
      );
    if (/^[0-9]+$/.test(reference)) {
      if (Number(reference) > re.groupCount)
        throw new PromoteError(
          'INVALID_REGEXP',
          `${JSON.stringify(template)} refers to group ${reference} but the pattern has ${re.groupCount} group(s)`,
        );
    } else if (!(reference in re.named)) {
      throw new PromoteError(
        'INVALID_REGEXP',
        `${JSON.stringify(template)} refers to group "${reference}", which the pattern does not name`,
      );
    }
  });
}

/** Calls `visit` with each reference's name, or undefined for a malformed `$`. */
function forEachReference(template: string, visit: (name: string | undefined) => void): void {
  for (let i = 0; i < template.length; i++) {
    if (template[i] !== '$') continue;
    const parsed = parseReference(template, i);
    if (parsed === 'dollar') {
      i++;
      continue;
    }
    visit(parsed?.name);
    if (parsed) i = parsed.end - 1;
  }
}

/** The reference at `template[at] === '$'`: `$$`, `${name}` or `$name` (longest name). */
function parseReference(template: string, at: number): 'dollar' | { name: string; end: number } | undefined {
  if (template[at + 1] === '$') return 'dollar';
  if (template[at + 1] === '{') {
    const close = template.indexOf('}', at + 2);
    if (close < 0) return undefined;
    const name = template.slice(at + 2, close);
    if (name === '' || ![...name].every((char) => NAME_CHAR.test(char))) return undefined;
    return { name, end: close + 1 };
  }
  let end = at + 1;
  while (end < template.length && NAME_CHAR.test(template[end] as string)) end++;
  if (end === at + 1) return undefined;
  return { name: template.slice(at + 1, end), end };
}

/**
 * Go's `Regexp.Expand`: `$name` / `${name}` is a named group, `$1` / `${1}` a numbered one, `$$` a
 * literal `$`; a group that did not take part, or does not exist, expands to nothing; a malformed `$`
 * stays literally.
 */
export function expandTemplate(template: string, match: GoMatch): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const char = template[i] as string;
    if (char !== '$') {
      out += char;
      continue;
    }
    const parsed = parseReference(template, i);
    if (parsed === 'dollar') {
      out += '$';
      i++;
      continue;
    }
    if (!parsed) {
      out += '$';
      continue;
    }
    const index = /^[0-9]+$/.test(parsed.name) ? Number(parsed.name) : match.named[parsed.name];
    if (index !== undefined) out += match.groups[index] ?? '';
    i = parsed.end - 1;
  }
  return out;
}
