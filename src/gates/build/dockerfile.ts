/**
 * Finds the images a Dockerfile/Containerfile pulls, as BuildKit resolves them: the `# syntax=`
 * frontend, every `FROM` that is not `scratch` or an earlier stage, and `COPY --from` / `RUN --mount
 * from=` when they name an image rather than a stage. Instructions, flags, parser directives, line
 * continuations, comments and here-documents are read by `dockerfile-ast`; what it does not do is here:
 * global ARG scoping with `--build-arg` overrides, BuildKit's variable expansion (see shell-word.ts),
 * stage-name resolution, the syntax checks that matter for finding images, and pin sites.
 *
 * Syntax errors (located `file:line: message`; the gate stops before verifying anything), each one a
 * file BuildKit would also refuse:
 * - an unknown instruction, or an instruction other than ARG before the first FROM; no FROM at all;
 * - `FROM` with no image, with other than one or three arguments (`<image> [AS <name>]`), with a flag
 *   other than `--platform`, or with `--platform` lacking a value;
 * - an invalid or duplicate stage name;
 * - an unterminated `${`, `${}`, an unknown `${NAME<modifier>}`, an unterminated quote, in a FROM
 *   image, a `--platform` value or a global ARG default;
 * - an image reference that is invalid once expanded (`FROM Alpine`, or a bad `--build-arg` value);
 * - `COPY --from=` / `--mount from=` with an empty value;
 * - an `escape` directive other than `\` or `` ` ``; a `syntax` or `escape` directive given twice.
 *
 * Not errors but unresolvable references (reported, and failed by `--strict`): an ARG with no value
 * (declared without default and no `--build-arg`, undeclared, or an automatic platform ARG), a
 * `${NAME:?message}` on an unset name, pattern substitutions (`${NAME%…}`, not evaluated), and
 * variables in `--from` (BuildKit does not expand them there; Podman does).
 */
import {
  type Arg,
  type Copy,
  DockerfileParser,
  type Flag,
  type From,
  type Instruction,
  type ParserDirective,
  type Property,
  type Run,
} from 'dockerfile-ast';
import { InvalidReferenceError, parseReference } from '../../reference/index.js';
import { BuildError } from './errors.js';
import { pinSiteFromOrigins } from './pin.js';
import { type Expansion, expandWord, externalExpansion, type VariableValue } from './shell-word.js';
import { LineIndex } from './text.js';
import type {
  ArgLocation,
  ArgUse,
  BaseReference,
  Diagnostic,
  ParsedBuildFile,
  PinSite,
  ReferenceKind,
  Span,
} from './types.js';

/** A (line, character) range of dockerfile-ast, zero-based. */
type Range = ReturnType<Instruction['getRange']>;

/** ARGs BuildKit sets for every build in the global scope; vouch cannot know their values. */
export const AUTOMATIC_PLATFORM_ARGS: readonly string[] = [
  'TARGETPLATFORM',
  'TARGETOS',
  'TARGETARCH',
  'TARGETVARIANT',
  'BUILDPLATFORM',
  'BUILDOS',
  'BUILDARCH',
  'BUILDVARIANT',
];

const INSTRUCTIONS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

/** BuildKit's rule for `AS <name>` (checked on the lowercased name). */
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

export interface DockerfileOptions {
  /** `--build-arg NAME=VALUE` overrides of global ARG defaults. */
  buildArgs?: Readonly<Record<string, string>>;
}

interface ArgDeclaration extends ArgLocation {
  key: string;
  /** Offsets of the raw default value (quotes included), when there is one. */
  start: number;
  end: number;
}

/** A word as the parser sees it after removing line continuations, with each character's file offset. */
interface LogicalText {
  text: string;
  origins: number[];
}

export function parseDockerfile(
  file: string,
  text: string,
  options: DockerfileOptions = {},
): ParsedBuildFile {
  return new DockerfileReader(file, text, options.buildArgs ?? {}).read();
}

class DockerfileReader {
  private readonly lines: LineIndex;
  private readonly diagnostics: Diagnostic[] = [];
  private readonly references: Array<Omit<BaseReference, 'pin'> & { expansion: Expansion }> = [];
  private readonly env = new Map<string, VariableValue>();
  private readonly declarations: ArgDeclaration[] = [];
  /** ARG declarations that must not be rewritten, with the reason. */
  private readonly guards = new Map<string, string>();
  private escape = '\\';

  constructor(
    private readonly file: string,
    private readonly text: string,
    private readonly buildArgs: Readonly<Record<string, string>>,
  ) {
    this.lines = new LineIndex(text);
    for (const name of AUTOMATIC_PLATFORM_ARGS) this.env.set(name, { kind: 'automatic' });
    for (const name of AUTOMATIC_PLATFORM_ARGS) {
      const value = buildArgs[name];
      if (value !== undefined) this.env.set(name, { kind: 'value', expansion: fromBuildArg(name, value) });
    }
  }

  read(): ParsedBuildFile {
    const dockerfile = DockerfileParser.parse(this.text);
    this.escape = dockerfile.getEscapeCharacter();
    this.readDirectives(dockerfile.getDirectives());

    const instructions = dockerfile.getInstructions();
    const stageNames = this.collectStageNames(instructions);
    const earlierStages = new Set<string>();
    let seenFrom = false;
    for (const instruction of instructions) {
      const keyword = instruction.getKeyword();
      const line = this.lineOf(instruction.getRange());
      if (!INSTRUCTIONS.has(keyword)) {
        this.error(line, `unknown instruction: ${instruction.getInstruction()}`);
        continue;
      }
      if (!seenFrom && keyword !== 'ARG' && keyword !== 'FROM') {
        this.error(line, `${keyword} before the first FROM (only ARG may come before FROM)`);
        continue;
      }
      if (keyword === 'ARG') {
        if (seenFrom) this.guardRedeclaredArgs(instruction as Arg, line);
        else this.readGlobalArg(instruction as Arg);
      } else if (keyword === 'FROM') {
        seenFrom = true;
        this.readFrom(instruction as From, earlierStages);
      } else if (keyword === 'COPY') {
        const flag = (instruction as Copy).getFromFlag();
        if (flag) this.readFromFlag(flag, 'copy-from', line, stageNames, 'COPY --from');
      } else if (keyword === 'RUN') {
        for (const flag of (instruction as Run).getFlags()) {
          if (flag.getName() !== 'mount') continue;
          const option = flag.getOption('from');
          if (option)
            this.readFromValue(
              option.getValue(),
              option.getValueRange(),
              'mount-from',
              line,
              stageNames,
              'RUN --mount from=',
            );
        }
      }
    }
    if (!seenFrom) this.error(instructions.length ? 1 : 0, 'no FROM instruction');

    return {
      path: this.file,
      kind: 'dockerfile',
      text: this.text,
      diagnostics: this.diagnostics,
      references: this.references.map(({ expansion, ...reference }) =>
        this.withPinSite(reference, expansion),
      ),
    };
  }

  private readDirectives(directives: ParserDirective[]): void {
    const seen = new Set<string>();
    for (const directive of directives) {
      const name = directive.getName().toLowerCase();
      const line = this.lineOf(directive.getRange());
      if (name !== 'syntax' && name !== 'escape') continue;
      if (seen.has(name)) {
        this.error(line, `only one ${name} parser directive can be used`);
        continue;
      }
      seen.add(name);
      const value = directive.getValue();
      if (name === 'escape') {
        if (value !== '\\' && value !== '`')
          this.error(line, `invalid escape token ${JSON.stringify(value)}: it must be \\ or \``);
        continue;
      }
      if (value === '') continue;
      const range = directive.getValueRange();
      const start = this.offset(range.start);
      const origins = Array.from({ length: value.length }, (_, i) => start + i);
      const expansion: Expansion = { ...externalExpansion(value), origins };
      this.addReference('syntax', line, range, expansion, {});
    }
  }

  /** Every `AS` name in the file (COPY --from may name any stage), checked as BuildKit checks them. */
  private collectStageNames(instructions: Instruction[]): Set<string> {
    const names = new Set<string>();
    for (const instruction of instructions) {
      if (instruction.getKeyword() !== 'FROM') continue;
      const stage = (instruction as From).getBuildStage();
      if (stage === null) continue;
      const line = this.lineOf(instruction.getRange());
      const name = stage.toLowerCase();
      if (!STAGE_NAME.test(name)) {
        this.error(
          line,
          `invalid name for build stage: ${JSON.stringify(stage)}, name can't start with a number or contain symbols`,
        );
      } else if (names.has(name)) {
        this.error(line, `duplicate stage name ${JSON.stringify(stage)}`);
      }
      names.add(name);
    }
    return names;
  }

  private readGlobalArg(arg: Arg): void {
    const line = this.lineOf(arg.getRange());
    for (const property of arg.getProperties()) {
      const name = property.getName();
      const key = `${line}:${name}`;
      const range = property.getValueRange();
      const start = range ? this.offset(range.start) : this.offset(property.getRange().end);
      const end = range ? this.offset(range.end) : start;
      this.declarations.push({ name, line, key, start, end });
      const override = this.buildArgs[name];
      let value: VariableValue;
      // The default is expanded even when overridden, so that its syntax errors are still reported.
      const fromDefault = this.expandDefault(property, line);
      if (override !== undefined) {
        value = { kind: 'value', expansion: fromBuildArg(name, override) };
        value.expansion.declarations.add(key);
      } else if (fromDefault) {
        fromDefault.declarations.add(key);
        value = { kind: 'value', expansion: fromDefault };
      } else {
        value = { kind: 'unset', declaration: key };
      }
      this.env.set(name, value);
    }
  }

  private expandDefault(property: Property, line: number): Expansion | undefined {
    const range = property.getValueRange();
    if (range === null) {
      // `ARG NAME=` sets the empty string; `ARG NAME` declares it without a value.
      return property.getAssignmentOperator() === '=' ? externalExpansion('') : undefined;
    }
    return this.expand(this.logical(range), line);
  }

  /** `ARG NAME` inside a stage takes the global default: a digest pinned there would reach the stage too. */
  private guardRedeclaredArgs(arg: Arg, line: number): void {
    for (const property of arg.getProperties()) {
      if (property.getValueRange() !== null || property.getAssignmentOperator() === '=') continue;
      const declaration = this.declarationOf(property.getName());
      if (declaration && !this.guards.has(declaration.key))
        this.guards.set(
          declaration.key,
          `ARG ${declaration.name} (line ${declaration.line}) is redeclared in a stage at line ${line}, which would see the digest too`,
        );
    }
  }

  private readFrom(from: From, earlierStages: Set<string>): void {
    const line = this.lineOf(from.getRange());
    let platform: string | undefined;
    for (const flag of from.getFlags()) {
      if (flag.getName() !== 'platform') {
        this.error(line, `unknown flag: --${flag.getName()} (FROM accepts only --platform)`);
        continue;
      }
      const value = flag.getValue();
      const range = flag.getValueRange();
      if (value === null || value === '' || range === null) {
        this.error(line, '--platform needs a value: --platform=<os>/<arch>[/<variant>]');
        continue;
      }
      platform = this.text.slice(this.offset(range.start), this.offset(range.end));
      const expansion = this.expand(this.logical(range), line);
      for (const key of expansion?.declarations ?? []) {
        const declaration = this.declarations.find((candidate) => candidate.key === key);
        if (declaration && !this.guards.has(key))
          this.guards.set(
            key,
            `ARG ${declaration.name} (line ${declaration.line}) is also used by --platform at line ${line}`,
          );
      }
    }

    const args = from.getArguments();
    const stage = from.getBuildStage();
    const image = args[0];
    if (image === undefined) {
      this.error(line, 'FROM names no image');
      return;
    }
    if (!(args.length === 1 || (args.length === 3 && args[1]?.getValue().toLowerCase() === 'as'))) {
      this.error(
        line,
        'FROM requires either one or three arguments: FROM [--platform=…] <image> [AS <name>]',
      );
      return;
    }
    const expansion = this.expand(this.logical(image.getRange()), line);
    // Only stages declared before this FROM count: `FROM x AS x` pulls the image x.
    const isStageOrScratch =
      expansion !== undefined &&
      isResolved(expansion) &&
      (expansion.value.toLowerCase() === 'scratch' || earlierStages.has(expansion.value.toLowerCase()));
    if (stage !== null) earlierStages.add(stage.toLowerCase());
    if (!expansion || isStageOrScratch) return;
    this.addReference('from', line, image.getRange(), expansion, {
      ...(stage !== null && { stage }),
      ...(platform !== undefined && { platform }),
    });
  }

  private readFromFlag(
    flag: Flag,
    kind: ReferenceKind,
    line: number,
    stageNames: Set<string>,
    what: string,
  ): void {
    this.readFromValue(flag.getValue(), flag.getValueRange(), kind, line, stageNames, what);
  }

  private readFromValue(
    value: string | null,
    range: Range | null,
    kind: ReferenceKind,
    line: number,
    stageNames: Set<string>,
    what: string,
  ): void {
    if (value === null || value === '' || range === null) {
      this.error(line, `${what} needs a value: a stage name, a stage index or an image`);
      return;
    }
    const lower = value.toLowerCase();
    if (/^[0-9]+$/.test(value) || lower === 'scratch' || stageNames.has(lower)) return;
    const start = this.offset(range.start);
    const origins = Array.from({ length: value.length }, (_, i) => start + i);
    const expansion: Expansion = { ...externalExpansion(value), origins };
    if (value.includes('$')) {
      // BuildKit does not expand variables in --from (Podman does); the build would fail on it.
      expansion.problems.push(
        `BuildKit does not expand variables in ${what}; name the image in a FROM … AS <stage> and use the stage`,
      );
    }
    this.addReference(kind, line, range, expansion, {});
  }

  private addReference(
    kind: ReferenceKind,
    line: number,
    range: Range,
    expansion: Expansion,
    extra: Pick<BaseReference, 'stage' | 'platform'>,
  ): void {
    const start = this.offset(range.start);
    const end = this.offset(range.end);
    const text = this.text.slice(start, end);
    const span = this.span(start, end);
    // The line of the image text itself, which may follow the instruction's line after a continuation.
    line = span.line;
    const reference = {
      file: this.file,
      kind,
      line,
      span,
      text,
      args: this.argUses(expansion),
      argDeclarations: [...expansion.declarations],
      ...extra,
      expansion,
    };
    if (!isResolved(expansion)) {
      this.references.push({ ...reference, unresolved: this.unresolvedReason(expansion) });
      return;
    }
    try {
      parseReference(expansion.value);
    } catch (error) {
      if (!(error instanceof InvalidReferenceError)) throw error;
      const from = expansion.value === text ? '' : ` (${text} expands to ${JSON.stringify(expansion.value)})`;
      this.error(line, `${error.message}${from}`);
      return;
    }
    this.references.push({ ...reference, image: expansion.value });
  }

  private withPinSite(reference: Omit<BaseReference, 'pin'>, expansion: Expansion): BaseReference {
    if (reference.image === undefined)
      return { ...reference, pin: { kind: 'none', reason: 'the reference is not resolved' } };
    if (expansion.buildArgs.size > 0) {
      const names = [...expansion.buildArgs].join(', ');
      return {
        ...reference,
        pin: { kind: 'none', reason: `it depends on --build-arg ${names}, which the file does not hold` },
      };
    }
    const site = pinSiteFromOrigins(expansion.value, expansion.origins);
    if (site.kind === 'none') return { ...reference, pin: site };
    const anchor = site.kind === 'insert' ? site.offset : site.start;
    const declaration = this.declarations.find(
      (candidate) => candidate.start <= anchor && anchor <= candidate.end && candidate.end > candidate.start,
    );
    if (!declaration) return { ...reference, pin: site };
    const arg: ArgLocation = { name: declaration.name, line: declaration.line };
    const guard = this.guards.get(declaration.key);
    const pin: PinSite = guard ? { kind: 'none', reason: guard } : { ...site, arg };
    return { ...reference, fromArg: arg, pin };
  }

  private argUses(expansion: Expansion): ArgUse[] {
    const uses: ArgUse[] = [];
    const seen = new Set<string>();
    for (const key of expansion.declarations) {
      const declaration = this.declarations.find((candidate) => candidate.key === key);
      if (!declaration) continue;
      seen.add(declaration.name);
      uses.push({
        name: declaration.name,
        line: declaration.line,
        source: expansion.buildArgs.has(declaration.name)
          ? 'build-arg'
          : this.env.get(declaration.name)?.kind === 'unset'
            ? 'unset'
            : 'default',
      });
    }
    for (const name of expansion.buildArgs) {
      if (seen.has(name)) continue;
      seen.add(name);
      uses.push({ name, line: 0, source: 'build-arg' });
    }
    for (const name of expansion.unset) {
      if (seen.has(name)) continue;
      seen.add(name);
      uses.push({ name, line: 0, source: 'unset' });
    }
    return uses;
  }

  private unresolvedReason(expansion: Expansion): string {
    const reasons = [...expansion.unset].map((name) => {
      const variable = this.env.get(name);
      if (variable?.kind === 'automatic')
        return `${name} is set by the builder for each platform; vouch cannot know it (pass --build-arg ${name}=…)`;
      const declaration = this.declarationOf(name);
      if (declaration)
        return `ARG ${name} (line ${declaration.line}) has no default value and no --build-arg ${name}=… was given`;
      return `${name} is not declared by an ARG before the first FROM`;
    });
    for (const problem of expansion.problems) if (!reasons.includes(problem)) reasons.push(problem);
    return reasons.join('; ');
  }

  private declarationOf(name: string): ArgDeclaration | undefined {
    for (let i = this.declarations.length - 1; i >= 0; i--)
      if (this.declarations[i]?.name === name) return this.declarations[i];
    return undefined;
  }

  /** Expands a word, turning BuildKit syntax errors into located diagnostics (undefined then). */
  private expand(word: LogicalText, line: number): Expansion | undefined {
    try {
      return expandWord(word.text, word.origins, this.escape, this.env);
    } catch (error) {
      if (!(error instanceof BuildError && error.index !== undefined)) throw error;
      const origin = word.origins[error.index];
      const at = origin !== undefined && origin >= 0 ? this.lines.positionOf(origin).line : line;
      this.error(at, `${error.message} in ${JSON.stringify(word.text)}`);
      return undefined;
    }
  }

  /**
   * The text of a range with line continuations (escape character, optional blanks, newline) and the
   * comment or empty lines inside a continuation removed, as the parser joins them.
   */
  private logical(range: Range): LogicalText {
    const start = this.offset(range.start);
    const end = this.offset(range.end);
    const { text } = this;
    let out = '';
    const origins: number[] = [];
    let i = start;
    while (i < end) {
      const next = this.continuationEnd(i, end);
      if (next !== undefined) {
        i = next;
        continue;
      }
      out += text[i];
      origins.push(i);
      i++;
    }
    return { text: out, origins };
  }

  /** If a line continuation starts at `i`, the offset after it (and after any comment lines it spans). */
  private continuationEnd(i: number, end: number): number | undefined {
    const { text } = this;
    if (text[i] !== this.escape) return undefined;
    let j = i + 1;
    while (j < end && (text[j] === ' ' || text[j] === '\t')) j++;
    if (text[j] === '\r' && text[j + 1] === '\n') j += 2;
    else if (text[j] === '\n' || text[j] === '\r') j++;
    else return undefined;
    for (;;) {
      const lineEnd = /\r\n|\r|\n/g;
      lineEnd.lastIndex = j;
      const match = lineEnd.exec(text);
      const stop = match ? match.index : text.length;
      const content = text.slice(j, stop).trim();
      if (stop >= end || !(content === '' || content.startsWith('#'))) return j;
      j = stop + (match?.[0].length ?? 0);
    }
  }

  private offset(position: { line: number; character: number }): number {
    return this.lines.offsetAt(position);
  }

  private lineOf(range: Range): number {
    return range.start.line + 1;
  }

  private span(start: number, end: number): Span {
    const from = this.lines.positionOf(start);
    const to = this.lines.positionOf(end);
    return { line: from.line, column: from.column, endLine: to.line, endColumn: to.column };
  }

  private error(line: number, message: string): void {
    this.diagnostics.push({ file: this.file, line, message });
  }
}

function isResolved(expansion: Expansion): boolean {
  return expansion.unset.size === 0 && expansion.problems.length === 0;
}

function fromBuildArg(name: string, value: string): Expansion {
  const expansion = externalExpansion(value);
  expansion.buildArgs.add(name);
  return expansion;
}
