/**
 * Plain data of the build gate: the base-image references found in build files, where exactly they
 * are written, and where a digest would be pinned.
 */

export type BuildFileKind = 'dockerfile' | 'ko';

/** A file the gate reads: a Dockerfile/Containerfile or a ko configuration. */
export interface BuildFile {
  path: string;
  kind: BuildFileKind;
}

export type ReferenceKind =
  /** `# syntax=` parser directive: the BuildKit frontend image. */
  | 'syntax'
  /** `FROM <image>`. */
  | 'from'
  /** `COPY --from=<image>`. */
  | 'copy-from'
  /** `RUN --mount=…,from=<image>`. */
  | 'mount-from'
  /** `.ko.yaml` `defaultBaseImage`. */
  | 'ko-default'
  /** `.ko.yaml` `baseImageOverrides[<import path>]`. */
  | 'ko-override'
  /** ko's built-in default base, used because the file sets no `defaultBaseImage`. */
  | 'ko-builtin';

/** One-based lines and columns (UTF-16 code units); the end column is exclusive. */
export interface Span {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** A located problem in an input file, printed `file:line: message` (`file: message` when line is 0). */
export interface Diagnostic {
  file: string;
  line: number;
  message: string;
}

/** A global `ARG` declaration, by name and one-based line. */
export interface ArgLocation {
  name: string;
  line: number;
}

/** How a reference used an ARG: its declaration's default, a `--build-arg`, or nothing (unset). */
export interface ArgUse {
  name: string;
  /** Line of the global ARG declaration; 0 when the name is not declared (or is an automatic platform ARG). */
  line: number;
  source: 'default' | 'build-arg' | 'unset';
}

/**
 * Where `--pin` writes the verified digest: an insertion of `@sha256:…` right after the reference's last
 * character, or a replacement of the digest already written; offsets are into the file's text. `arg` is
 * set when the place lies in a global ARG line (the reference was built from that ARG's default).
 */
export type PinSite =
  | { kind: 'insert'; offset: number; arg?: ArgLocation }
  | { kind: 'replace'; start: number; end: number; current: string; arg?: ArgLocation }
  | { kind: 'none'; reason: string };

export interface BaseReference {
  file: string;
  kind: ReferenceKind;
  /** One-based line where the reference's text starts (0 for ko's built-in default). */
  line: number;
  /** Span of `text` in the file; absent for ko's built-in default. */
  span?: Span;
  /** The exact text in the file (before ARG expansion); empty for ko's built-in default. */
  text: string;
  /** The image reference after ARG expansion; absent when it cannot be resolved. */
  image?: string;
  /** Why the reference cannot be resolved (an unset ARG, …); set exactly when `image` is absent. */
  unresolved?: string;
  /** ARGs the reference was built from, in order of first use. */
  args: ArgUse[];
  /** The global ARG whose default supplies the end of the reference, where `--pin` writes. */
  fromArg?: ArgLocation;
  /** `AS <name>` of the FROM. */
  stage?: string;
  /** `--platform` of the FROM, as written. */
  platform?: string;
  /** The ko import path of a `baseImageOverrides` entry. */
  importPath?: string;
  pin: PinSite;
  /** Keys (`line:NAME`) of every global ARG declaration the value depends on; used to keep pins consistent. */
  argDeclarations: string[];
}

/** One input file, read and parsed. */
export interface ParsedBuildFile extends BuildFile {
  /** The file's text exactly as read; pins are offsets into it. */
  text: string;
  references: BaseReference[];
  diagnostics: Diagnostic[];
}

export function formatDiagnostic(diagnostic: Diagnostic): string {
  return diagnostic.line > 0
    ? `${diagnostic.file}:${diagnostic.line}: ${diagnostic.message}`
    : `${diagnostic.file}: ${diagnostic.message}`;
}
