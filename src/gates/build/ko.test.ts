import { describe, expect, it } from 'vitest';
import { KO_DEFAULT_BASE_IMAGE, parseKoConfig } from './ko.js';
import { applyEdits } from './pin.js';
import { formatDiagnostic } from './types.js';

const CONFIG = `# ko configuration
defaultBaseImage: registry.example.com/base/static:nonroot   # the default
baseImageOverrides:
  # needs a shell
  github.com/example/app/cmd/debug: "registry.example.com/base/busybox:1.36"
  github.com/example/app/cmd/tool: 'alpine:3.20'
  github.com/example/app/cmd/empty: ""
builds:
  - id: app
    main: ./cmd/app
`;

describe('parseKoConfig', () => {
  it('finds defaultBaseImage and every override, with exact spans', () => {
    const parsed = parseKoConfig('.ko.yaml', CONFIG);
    expect(parsed.diagnostics).toEqual([]);
    expect(
      parsed.references.map((ref) => [ref.kind, ref.line, ref.image, ref.importPath, ref.text, ref.span]),
    ).toEqual([
      [
        'ko-default',
        2,
        'registry.example.com/base/static:nonroot',
        undefined,
        'registry.example.com/base/static:nonroot',
        { line: 2, column: 19, endLine: 2, endColumn: 59 },
      ],
      [
        'ko-override',
        5,
        'registry.example.com/base/busybox:1.36',
        'github.com/example/app/cmd/debug',
        '"registry.example.com/base/busybox:1.36"',
        { line: 5, column: 37, endLine: 5, endColumn: 77 },
      ],
      [
        'ko-override',
        6,
        'alpine:3.20',
        'github.com/example/app/cmd/tool',
        "'alpine:3.20'",
        { line: 6, column: 36, endLine: 6, endColumn: 49 },
      ],
    ]);
  });

  it('pins in place inside the quotes, leaving comments and layout alone', () => {
    const parsed = parseKoConfig('.ko.yaml', CONFIG);
    const digest = `sha256:${'b'.repeat(64)}`;
    const edits = parsed.references.map((ref) => {
      if (ref.pin.kind !== 'insert') throw new Error(`expected an insertion, got ${ref.pin.kind}`);
      return { start: ref.pin.offset, end: ref.pin.offset, text: `@${digest}` };
    });
    expect(applyEdits(CONFIG, edits)).toBe(
      CONFIG.replace('static:nonroot   #', `static:nonroot@${digest}   #`)
        .replace('busybox:1.36"', `busybox:1.36@${digest}"`)
        .replace("alpine:3.20'", `alpine:3.20@${digest}'`),
    );
  });

  it("reports ko's built-in default when the file sets none", () => {
    const parsed = parseKoConfig('.ko.yaml', 'baseImageOverrides:\n  example.com/cmd/a: alpine\n');
    expect(parsed.references.map((ref) => [ref.kind, ref.line, ref.image])).toEqual([
      ['ko-builtin', 0, KO_DEFAULT_BASE_IMAGE],
      ['ko-override', 2, 'alpine'],
    ]);
    expect(parsed.references[0]?.pin).toEqual({
      kind: 'none',
      reason: "it is ko's built-in default; set defaultBaseImage in .ko.yaml to pin it",
    });
    expect(KO_DEFAULT_BASE_IMAGE).toBe('cgr.dev/chainguard/static:latest');
    expect(parseKoConfig('.ko.yaml', '').references.map((ref) => ref.image)).toEqual([KO_DEFAULT_BASE_IMAGE]);
    expect(parseKoConfig('.ko.yaml', '# nothing\n').references.map((ref) => ref.kind)).toEqual([
      'ko-builtin',
    ]);
  });

  it('matches keys without regard to case, as ko does', () => {
    const parsed = parseKoConfig(
      '.ko.yaml',
      'defaultbaseimage: alpine\nBASEIMAGEOVERRIDES:\n  a/b: busybox\n',
    );
    expect(parsed.references.map((ref) => ref.image)).toEqual(['alpine', 'busybox']);
  });

  it('offers to replace a digest already written', () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    const text = `defaultBaseImage: alpine:3.20@${digest}\n`;
    expect(parseKoConfig('.ko.yaml', text).references[0]?.pin).toEqual({
      kind: 'replace',
      start: text.indexOf(digest),
      end: text.indexOf(digest) + digest.length,
      current: digest,
    });
  });

  it('does not pin values it cannot rewrite exactly', () => {
    const text =
      'defaultBaseImage: &base alpine\nbaseImageOverrides:\n  a/b: *base\n  c/d: "alp\\u0069ne"\n  e/f: >-\n    busybox\n';
    const parsed = parseKoConfig('.ko.yaml', text);
    expect(parsed.diagnostics).toEqual([]);
    expect(
      parsed.references.map((ref) => [ref.image, ref.pin.kind === 'none' ? ref.pin.reason : ref.pin.kind]),
    ).toEqual([
      ['alpine', 'the value carries the YAML anchor &base'],
      ['alpine', 'the value is the YAML alias *base'],
      ['alpine', 'the value is written with YAML escapes or line folding'],
      ['busybox', 'the value is not a one-line YAML scalar'],
    ]);
  });

  it.each([
    ['defaultBaseImage: [a\n', /^\.ko\.yaml:2: /],
    ['defaultBaseImage: Alpine\n', /^\.ko\.yaml:1: defaultBaseImage: invalid reference "Alpine"/],
    ['defaultBaseImage:\n', /^\.ko\.yaml:1: defaultBaseImage must be an image reference \(a string\)$/],
    ['defaultBaseImage: 12\n', /^\.ko\.yaml:1: defaultBaseImage must be an image reference/],
    ['baseImageOverrides: alpine\n', /^\.ko\.yaml:1: baseImageOverrides must map import paths to images$/],
    [
      'baseImageOverrides:\n  a/b: [x]\n',
      /^\.ko\.yaml:2: baseImageOverrides\["a\/b"\] must be an image reference/,
    ],
    ['- alpine\n', /^\.ko\.yaml:1: a ko configuration must be a mapping$/],
    ['defaultBaseImage: a\ndefaultBaseImage: b\n', /^\.ko\.yaml:2: /],
    ['defaultBaseImage: a\ndefaultbaseimage: b\n', /^\.ko\.yaml:2: defaultbaseimage is set more than once$/],
  ])('locates the problem in %j', (text, message) => {
    const diagnostics = parseKoConfig('.ko.yaml', text).diagnostics.map(formatDiagnostic);
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics[0]).toMatch(message);
  });
});
