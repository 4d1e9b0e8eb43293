/**
 * Variable expansion of one Dockerfile word as BuildKit's shell lexer does it for `FROM` and global
 * `ARG` values: `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`, `${NAME+word}`,
 * `${NAME:?message}`, `${NAME?message}`, single and double quotes, and the escape character.
 *
 * Unlike a shell, it remembers where every character of the result came from (an offset in the file,
 * or -1 for text from outside it, such as a `--build-arg`), so that a digest can be pinned at the place
 * in the file that supplies the end of the reference, and which ARG declarations the result depends on.
 */
import { BuildError } from './errors.js';

export interface Expansion {
  value: string;
  /** The file offset each character of `value` came from; -1 when it came from outside the file. */
  origins: number[];
  /** Global ARG declarations (`line:NAME`) the value depends on, in order of first use. */
  declarations: Set<string>;
  /** Names whose value came from a `--build-arg`. */
  buildArgs: Set<string>;
  /** Names expanded plainly (`$NAME`, `${NAME}`, `${NAME:?}`) that had no value. */
  unset: Set<string>;
  /** Why the value cannot be known even though every name had a value. */
  problems: string[];
}

/** What a name holds when a word is expanded. */
export type VariableValue =
  /** Set (possibly to the empty string); `expansion.declarations` includes the name's own declaration. */
  | { kind: 'value'; expansion: Expansion }
  /** Declared without a default and not given as `--build-arg`. */
  | { kind: 'unset'; declaration: string }
  /** Set by the builder for each platform (`TARGETPLATFORM`, …): unknown to vouch. */
  | { kind: 'automatic' };

export type Environment = ReadonlyMap<string, VariableValue>;

/** A word that BuildKit would reject; `index` is the position in the word where the problem starts. */
function syntaxError(message: string, index: number): BuildError {
  return new BuildError('SHELL_SYNTAX', message, { index });
}

export function emptyExpansion(): Expansion {
  return {
    value: '',
    origins: [],
    declarations: new Set(),
    buildArgs: new Set(),
    unset: new Set(),
    problems: [],
  };
}

/** Text whose characters all come from outside the file (a `--build-arg` value). */
export function externalExpansion(value: string): Expansion {
  return { ...emptyExpansion(), value, origins: new Array<number>(value.length).fill(-1) };
}

/**
 * Expands `word`, whose characters came from the file offsets `origins` (same length), in `env`.
 * Throws BuildError SHELL_SYNTAX for what BuildKit rejects: unterminated quotes or `${`, `${}`, an unknown
 * modifier.
 */
export function expandWord(
  word: string,
  origins: readonly number[],
  escapeChar: string,
  env: Environment,
): Expansion {
  return new WordLexer(word, origins, escapeChar, env).run();
}

const NAME_CHAR = /[\p{L}\p{N}_]/u;
const DIGIT = /[0-9]/;

class WordLexer {
  private pos = 0;

  constructor(
    private readonly word: string,
    private readonly origins: readonly number[],
    private readonly escapeChar: string,
    private readonly env: Environment,
  ) {}

  run(): Expansion {
    return this.until(undefined);
  }

  /** Reads up to `stop` (unquoted, unescaped) or the end; the caller consumes `stop`. */
  private until(stop: '}' | undefined): Expansion {
    const out = emptyExpansion();
    const { word } = this;
    while (this.pos < word.length) {
      const ch = word[this.pos] as string;
      if (ch === stop) return out;
      if (ch === this.escapeChar) {
        this.pos++;
        // A trailing escape character is dropped, as BuildKit does.
        if (this.pos >= word.length) break;
        this.pushChar(out, this.pos);
        this.pos++;
      } else if (ch === "'") {
        this.singleQuoted(out);
      } else if (ch === '"') {
        this.doubleQuoted(out);
      } else if (ch === '$') {
        append(out, this.dollar());
      } else {
        this.pushChar(out, this.pos);
        this.pos++;
      }
    }
    return out;
  }

  private singleQuoted(out: Expansion): void {
    const open = this.pos++;
    for (;;) {
      if (this.pos >= this.word.length)
        throw syntaxError('unexpected end of statement while looking for matching single-quote', open);
      if (this.word[this.pos] === "'") {
        this.pos++;
        return;
      }
      this.pushChar(out, this.pos);
      this.pos++;
    }
  }

  private doubleQuoted(out: Expansion): void {
    const open = this.pos++;
    for (;;) {
      if (this.pos >= this.word.length)
        throw syntaxError('unexpected end of statement while looking for matching double-quote', open);
      const ch = this.word[this.pos];
      if (ch === '"') {
        this.pos++;
        return;
      }
      if (ch === '$') {
        append(out, this.dollar());
        continue;
      }
      if (ch === this.escapeChar) {
        const next = this.word[this.pos + 1];
        // Inside double quotes only `"`, `$` and the escape character itself can be escaped.
        if (next === '"' || next === '$' || next === this.escapeChar) {
          this.pushChar(out, this.pos + 1);
          this.pos += 2;
          continue;
        }
      }
      this.pushChar(out, this.pos);
      this.pos++;
    }
  }

  private dollar(): Expansion {
    const at = this.pos++;
    const { word } = this;
    if (word[this.pos] !== '{') {
      const name = this.name();
      if (name === '') return this.literal(at);
      return this.lookup(name);
    }
    this.pos++;
    const name = this.name();
    if (this.pos >= word.length) throw syntaxError("missing '}'", at);
    if (name === '') throw syntaxError('bad substitution', at);
    let ch = word[this.pos] as string;
    if (ch === '}') {
      this.pos++;
      return this.lookup(name);
    }
    let colon = false;
    if (ch === ':') {
      colon = true;
      this.pos++;
      if (this.pos >= word.length) throw syntaxError("missing '}'", at);
      ch = word[this.pos] as string;
    }
    if (ch === '-' || ch === '+' || ch === '?') {
      this.pos++;
      const operand = this.until('}');
      if (this.pos >= word.length) throw syntaxError("missing '}'", at);
      this.pos++;
      return this.modify(name, ch, colon, operand);
    }
    if (!colon && (ch === '#' || ch === '%' || ch === '/')) {
      // Pattern removal and replacement (dockerfile 1.7 and later) are valid, but vouch does not
      // evaluate patterns: the reference is reported as unresolvable instead of guessed.
      this.until('}');
      if (this.pos >= word.length) throw syntaxError("missing '}'", at);
      this.pos++;
      const out = this.dependency(name);
      out.problems.push(`\${${name}${ch}…} (pattern substitution) is not evaluated by vouch`);
      return out;
    }
    throw syntaxError(`unsupported modifier (${colon ? ':' : ''}${ch}) in substitution`, at);
  }

  /** A name as BuildKit reads it: a run of digits, or letters, digits and `_`. */
  private name(): string {
    const { word } = this;
    const start = this.pos;
    if (DIGIT.test(word[this.pos] ?? '')) {
      while (DIGIT.test(word[this.pos] ?? '')) this.pos++;
    } else {
      while (this.pos < word.length && NAME_CHAR.test(word[this.pos] as string)) this.pos++;
    }
    return word.slice(start, this.pos);
  }

  private lookup(name: string): Expansion {
    const variable = this.env.get(name);
    if (variable?.kind === 'value') return copy(variable.expansion);
    const out = this.dependency(name);
    out.unset.add(name);
    return out;
  }

  private modify(name: string, op: '-' | '+' | '?', colon: boolean, operand: Expansion): Expansion {
    const variable = this.env.get(name);
    const set = variable?.kind === 'value';
    // With a colon, an empty value counts as unset (`${X:-d}`); without, only an unset name does.
    const present = set && (!colon || variable.expansion.value !== '');
    const out = this.dependency(name);
    if (op === '-') {
      append(out, present ? valueOfVariable(variable) : operand);
    } else if (op === '+') {
      if (present) append(out, operand);
    } else if (present) {
      append(out, valueOfVariable(variable));
    } else {
      out.unset.add(name);
      out.problems.push(`${name}: ${operand.value || 'parameter null or not set'}`);
    }
    return out;
  }

  /** No text, but the fact that the result depends on `name`. */
  private dependency(name: string): Expansion {
    const out = emptyExpansion();
    const variable = this.env.get(name);
    if (variable?.kind === 'value') {
      for (const declaration of variable.expansion.declarations) out.declarations.add(declaration);
      for (const buildArg of variable.expansion.buildArgs) out.buildArgs.add(buildArg);
    } else if (variable?.kind === 'unset') {
      out.declarations.add(variable.declaration);
    }
    return out;
  }

  private literal(index: number): Expansion {
    const out = emptyExpansion();
    this.pushChar(out, index);
    return out;
  }

  private pushChar(out: Expansion, index: number): void {
    out.value += this.word[index];
    out.origins.push(this.origins[index] ?? -1);
  }
}

function valueOfVariable(variable: VariableValue | undefined): Expansion {
  return variable?.kind === 'value' ? variable.expansion : emptyExpansion();
}

function copy(source: Expansion): Expansion {
  const out = emptyExpansion();
  append(out, source);
  return out;
}

/** Appends `source`'s text and merges what it depends on into `target`. */
export function append(target: Expansion, source: Expansion): void {
  target.value += source.value;
  for (const origin of source.origins) target.origins.push(origin);
  for (const declaration of source.declarations) target.declarations.add(declaration);
  for (const buildArg of source.buildArgs) target.buildArgs.add(buildArg);
  for (const name of source.unset) target.unset.add(name);
  for (const problem of source.problems) target.problems.push(problem);
}
