/**
 * The base images of a ko configuration (`.ko.yaml`): `defaultBaseImage`, every `baseImageOverrides`
 * entry, and ko's built-in default when the file sets no `defaultBaseImage`. Keys are matched without
 * regard to case, as ko's configuration loader (viper) does. Positions come from the YAML library's
 * source tokens, so that `--pin` can rewrite a value in place and leave comments and layout alone.
 */
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  type Scalar,
} from 'yaml';
import { InvalidReferenceError, parseReference } from '../../reference/index.js';
import { pinSiteFromOrigins } from './pin.js';
import type { BaseReference, Diagnostic, ParsedBuildFile, PinSite, ReferenceKind } from './types.js';

/** ko's default base image when `.ko.yaml` sets none (ko's `configDefaultBaseImage`, 2026). */
export const KO_DEFAULT_BASE_IMAGE = 'cgr.dev/chainguard/static:latest';

export function parseKoConfig(file: string, text: string): ParsedBuildFile {
  return new KoConfigReader(file, text).read();
}

class KoConfigReader {
  private readonly lineCounter = new LineCounter();
  private readonly diagnostics: Diagnostic[] = [];
  private readonly references: BaseReference[] = [];
  private document: Document | undefined;

  constructor(
    private readonly file: string,
    private readonly text: string,
  ) {}

  read(): ParsedBuildFile {
    const result = (): ParsedBuildFile => ({
      path: this.file,
      kind: 'ko',
      text: this.text,
      references: this.references,
      diagnostics: this.diagnostics,
    });
    const document = parseDocument(this.text, {
      keepSourceTokens: true,
      lineCounter: this.lineCounter,
      uniqueKeys: true,
    });
    this.document = document;
    for (const error of document.errors) {
      const line = error.linePos?.[0].line ?? 0;
      this.diagnostics.push({ file: this.file, line, message: firstLine(error.message) });
    }
    if (document.errors.length) return result();

    const root = document.contents;
    if (root !== null && !isMap(root)) {
      this.error(root, 'a ko configuration must be a mapping');
      return result();
    }
    const defaultBase = root ? this.entries(root.items, 'defaultbaseimage') : [];
    const overrides = root ? this.entries(root.items, 'baseimageoverrides') : [];
    for (const pairs of [defaultBase, overrides]) {
      if (pairs.length > 1)
        this.error(pairs[1]?.key as Node | undefined, `${keyName(pairs[1])} is set more than once`);
    }

    const defaultPair = defaultBase[0];
    if (defaultPair) {
      this.readImage('ko-default', defaultPair, 'defaultBaseImage');
    } else {
      this.references.push({
        file: this.file,
        kind: 'ko-builtin',
        line: 0,
        text: '',
        image: KO_DEFAULT_BASE_IMAGE,
        args: [],
        argDeclarations: [],
        pin: {
          kind: 'none',
          reason: `it is ko's built-in default; set defaultBaseImage in ${this.file} to pin it`,
        },
      });
    }

    const overridesPair = overrides[0];
    if (overridesPair && overridesPair.value !== null) {
      const map = overridesPair.value;
      if (!isMap(map)) {
        this.error(map as Node, 'baseImageOverrides must map import paths to images');
      } else {
        for (const pair of map.items) this.readImage('ko-override', pair, 'baseImageOverrides');
      }
    }
    return result();
  }

  private entries(items: Pair<unknown, unknown>[], lowercaseKey: string): Pair<unknown, unknown>[] {
    return items.filter(
      (pair) =>
        isScalar(pair.key) &&
        typeof pair.key.value === 'string' &&
        pair.key.value.toLowerCase() === lowercaseKey,
    );
  }

  private readImage(kind: ReferenceKind, pair: Pair<unknown, unknown>, what: string): void {
    const key = pair.key as Node | null;
    const importPath = kind === 'ko-override' && isScalar(key) ? String(key.value) : undefined;
    const label = importPath === undefined ? what : `${what}[${JSON.stringify(importPath)}]`;
    const written = pair.value as Node | null;
    // An alias (`*base`) reads the anchored value; pinning it would change every use of the anchor.
    const node = isAlias(written) && this.document ? written.resolve(this.document) : written;
    if (!isScalar(node) || typeof node.value !== 'string') {
      this.error(node ?? key, `${label} must be an image reference (a string)`);
      return;
    }
    const value = node.value;
    // ko uses the default base for an override that is empty.
    if (kind === 'ko-override' && value === '') return;
    try {
      parseReference(value);
    } catch (error) {
      if (!(error instanceof InvalidReferenceError)) throw error;
      this.error(node, `${label}: ${error.message}`);
      return;
    }
    const token = written?.srcToken;
    const start = token?.offset ?? written?.range?.[0] ?? 0;
    const source = token && 'source' in token ? token.source : value;
    const startPos = this.lineCounter.linePos(start);
    const endPos = this.lineCounter.linePos(start + source.length);
    this.references.push({
      file: this.file,
      kind,
      line: startPos.line,
      span: { line: startPos.line, column: startPos.col, endLine: endPos.line, endColumn: endPos.col },
      text: source,
      image: value,
      args: [],
      argDeclarations: [],
      ...(importPath !== undefined && { importPath }),
      pin: isAlias(written)
        ? { kind: 'none', reason: `the value is the YAML alias ${source}` }
        : this.pinSite(node, start, source),
    });
  }

  /** The scalar's content is rewritten only when its source text is exactly its value (no escapes, no folding). */
  private pinSite(node: Scalar, start: number, source: string): PinSite {
    if (node.anchor) return { kind: 'none', reason: `the value carries the YAML anchor &${node.anchor}` };
    const type = node.srcToken?.type;
    const quoted = type === 'single-quoted-scalar' || type === 'double-quoted-scalar';
    if (!quoted && type !== 'scalar')
      return { kind: 'none', reason: 'the value is not a one-line YAML scalar' };
    const content = quoted ? source.slice(1, -1) : source;
    if (content !== node.value)
      return { kind: 'none', reason: 'the value is written with YAML escapes or line folding' };
    const contentStart = start + (quoted ? 1 : 0);
    return pinSiteFromOrigins(
      content,
      Array.from({ length: content.length }, (_, i) => contentStart + i),
    );
  }

  private error(node: Node | null | undefined, message: string): void {
    const offset = node?.range?.[0];
    const line = offset === undefined ? 0 : this.lineCounter.linePos(offset).line;
    this.diagnostics.push({ file: this.file, line, message });
  }
}

function keyName(pair: Pair<unknown, unknown> | undefined): string {
  return isScalar(pair?.key) ? String(pair.key.value) : 'key';
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}
