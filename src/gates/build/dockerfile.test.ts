// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text writes ${NAME} literally
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from './dockerfile.js';
import { type BaseReference, formatDiagnostic, type ParsedBuildFile } from './types.js';

function parse(text: string, buildArgs: Record<string, string> = {}): ParsedBuildFile {
  return parseDockerfile('Dockerfile', text, { buildArgs });
}

/** The references, after checking the file has no diagnostics. */
function references(text: string, buildArgs: Record<string, string> = {}): BaseReference[] {
  const parsed = parse(text, buildArgs);
  expect(parsed.diagnostics.map(formatDiagnostic)).toEqual([]);
  return parsed.references;
}

function errors(text: string, buildArgs: Record<string, string> = {}): string[] {
  return parse(text, buildArgs).diagnostics.map(formatDiagnostic);
}

/** What a span points at in `text`. */
function textAt(text: string, reference: BaseReference): string {
  const lines = text.split('\n');
  const span = reference.span;
  if (!span) throw new Error('no span');
  if (span.line === span.endLine)
    return (lines[span.line - 1] as string).slice(span.column - 1, span.endColumn - 1);
  return [
    (lines[span.line - 1] as string).slice(span.column - 1),
    ...lines.slice(span.line, span.endLine - 1),
    (lines[span.endLine - 1] as string).slice(0, span.endColumn - 1),
  ].join('\n');
}

const MULTI_STAGE = `# syntax=docker/dockerfile:1.7
# A multi-stage build whose base images come from ARGs.
ARG REGISTRY=registry.example.com:5000
ARG GO_IMAGE=\${REGISTRY}/lang/golang
ARG GO_VERSION=1.22
ARG RUNTIME="\${REGISTRY}/base/static:nonroot"

FROM --platform=$BUILDPLATFORM \${GO_IMAGE}:\${GO_VERSION} AS Build
WORKDIR /src
RUN --mount=type=cache,target=/root/.cache \\
    --mount=type=bind,from=registry.example.com:5000/tools/protoc:25,source=/bin,target=/tools \\
    go build -o /out/app ./cmd/app

FROM build AS test
RUN go test ./...

FROM scratch AS empty

FROM $RUNTIME
COPY --from=Build /out/app /app
COPY --from=1 /src /src
COPY --from=registry.example.com:5000/tools/certs:2024 /etc/ssl /etc/ssl
ENTRYPOINT ["/app"]
`;

describe('parseDockerfile: a multi-stage Dockerfile', () => {
  const refs = references(MULTI_STAGE);

  it('finds the frontend, the images and nothing for stages or scratch', () => {
    expect(refs.map((ref) => [ref.kind, ref.line, ref.image])).toEqual([
      ['syntax', 1, 'docker/dockerfile:1.7'],
      ['from', 8, 'registry.example.com:5000/lang/golang:1.22'],
      ['mount-from', 11, 'registry.example.com:5000/tools/protoc:25'],
      ['from', 19, 'registry.example.com:5000/base/static:nonroot'],
      ['copy-from', 22, 'registry.example.com:5000/tools/certs:2024'],
    ]);
  });

  it('keeps the exact text and its span for each reference', () => {
    for (const ref of refs) expect(textAt(MULTI_STAGE, ref)).toBe(ref.text);
    expect(refs.map((ref) => ref.text)).toEqual([
      'docker/dockerfile:1.7',
      '${GO_IMAGE}:${GO_VERSION}',
      'registry.example.com:5000/tools/protoc:25',
      '$RUNTIME',
      'registry.example.com:5000/tools/certs:2024',
    ]);
    expect(refs[1]?.span).toEqual({ line: 8, column: 32, endLine: 8, endColumn: 57 });
  });

  it('records the stage name, the platform as written, and the ARGs used', () => {
    const build = refs[1] as BaseReference;
    expect(build.stage).toBe('Build');
    expect(build.platform).toBe('$BUILDPLATFORM');
    expect(build.args).toEqual([
      { name: 'REGISTRY', line: 3, source: 'default' },
      { name: 'GO_IMAGE', line: 4, source: 'default' },
      { name: 'GO_VERSION', line: 5, source: 'default' },
    ]);
  });

  it('says which ARG line supplies the end of an ARG-built reference', () => {
    expect(refs[1]?.fromArg).toEqual({ name: 'GO_VERSION', line: 5 });
    expect(refs[3]?.fromArg).toEqual({ name: 'RUNTIME', line: 6 });
    expect(refs[0]?.fromArg).toBeUndefined();
    expect(refs[2]?.fromArg).toBeUndefined();
  });

  it('places the pin right after the last character, inside the quotes of a quoted default', () => {
    const runtimeLine = 'ARG RUNTIME="${REGISTRY}/base/static:nonroot"';
    const runtimeAt = MULTI_STAGE.indexOf(runtimeLine);
    expect(refs[3]?.pin).toEqual({
      kind: 'insert',
      offset: runtimeAt + runtimeLine.length - 1,
      arg: { name: 'RUNTIME', line: 6 },
    });
    const versionLine = 'ARG GO_VERSION=1.22';
    expect(refs[1]?.pin).toMatchObject({
      kind: 'insert',
      offset: MULTI_STAGE.indexOf(versionLine) + versionLine.length,
    });
  });
});

describe('parseDockerfile: FROM', () => {
  it('reads instructions whatever their case', () => {
    expect(references('from alpine:3.20 as base\nFrOm base\nrun true\n').map((ref) => ref.image)).toEqual([
      'alpine:3.20',
    ]);
  });

  it('treats stage names case-insensitively, and only earlier stages as stages', () => {
    const refs = references('FROM alpine AS Base\nFROM BASE\nFROM later\nFROM busybox AS later\n');
    expect(refs.map((ref) => ref.image)).toEqual(['alpine', 'later', 'busybox']);
  });

  it('pulls the image when a FROM names the stage it declares', () => {
    expect(references('FROM node AS node\n').map((ref) => ref.image)).toEqual(['node']);
  });

  it('treats scratch as no image, in any case', () => {
    expect(references('FROM scratch\nFROM SCRATCH\n')).toEqual([]);
  });

  it('resolves a stage named through an ARG', () => {
    expect(references('ARG FROM_STAGE=builder\nFROM alpine AS builder\nFROM ${FROM_STAGE}\n').length).toBe(1);
  });

  it('accepts --platform with the automatic platform ARGs', () => {
    const refs = references(
      'FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nFROM --platform=${TARGETPLATFORM} alpine\n',
    );
    expect(refs.map((ref) => ref.platform)).toEqual(['$BUILDPLATFORM', '${TARGETPLATFORM}']);
  });

  it('joins line continuations and skips comment lines inside them', () => {
    const text = 'FROM \\\n# the base\n  alpine:3.20 \\\n  AS base\nRUN echo \\\n  hi\n';
    const [ref] = references(text);
    expect(ref?.image).toBe('alpine:3.20');
    expect(ref?.line).toBe(3);
    expect(ref?.span).toEqual({ line: 3, column: 3, endLine: 3, endColumn: 14 });
    expect(ref?.stage).toBe('base');
  });

  it('joins a continuation in the middle of the image name', () => {
    const [ref] = references('FROM alpi\\\nne:3.20\n');
    expect(ref?.image).toBe('alpine:3.20');
    expect(ref?.text).toBe('alpi\\\nne:3.20');
    expect(ref?.pin).toEqual({ kind: 'insert', offset: 'FROM alpi\\\nne:3.20'.length });
  });

  it('uses the escape character set by the escape directive', () => {
    const [ref] = references('# escape=`\nFROM alpine:`\n3.20\n');
    expect(ref?.image).toBe('alpine:3.20');
  });

  it('ignores comments and here-documents', () => {
    const text = '# FROM evil:1\nFROM alpine\nRUN <<EOF\nFROM evil:2\nEOF\n  # FROM evil:3\n';
    expect(references(text).map((ref) => ref.image)).toEqual(['alpine']);
  });

  it('removes quotes around the image', () => {
    expect(references('FROM "alpine:3.20"\n')[0]?.image).toBe('alpine:3.20');
  });

  it('keeps offsets right after a byte-order mark', () => {
    const text = '\uFEFF# syntax=docker/dockerfile:1\nFROM alpine\n';
    const refs = references(text);
    expect(refs.map((ref) => ref.image)).toEqual(['docker/dockerfile:1', 'alpine']);
    for (const ref of refs) expect(textAt(text, ref)).toBe(ref.text);
    expect(refs[0]?.pin).toEqual({ kind: 'insert', offset: text.indexOf('\n') });
  });

  it('handles CRLF line endings', () => {
    const text = 'ARG TAG=3.20\r\nFROM alpine:${TAG} \\\r\n  AS base\r\n';
    const [ref] = references(text);
    expect(ref?.image).toBe('alpine:3.20');
    expect(ref?.pin).toMatchObject({ offset: 'ARG TAG=3.20'.length });
  });
});

describe('parseDockerfile: ARG', () => {
  it('expands global ARGs with defaults, :- and :+', () => {
    const text =
      'ARG REPO=alpine\nARG TAG\nARG SUFFIX=-slim\nFROM ${REPO}:${TAG:-3.20}\nFROM python:3.12${SUFFIX:+-slim}\n';
    expect(references(text).map((ref) => ref.image)).toEqual(['alpine:3.20', 'python:3.12-slim']);
  });

  it('lets --build-arg override a default, and says so', () => {
    const [ref] = references('ARG TAG=3.19\nFROM alpine:${TAG}\n', { TAG: '3.20' });
    expect(ref?.image).toBe('alpine:3.20');
    expect(ref?.args).toEqual([{ name: 'TAG', line: 1, source: 'build-arg' }]);
    expect(ref?.pin).toEqual({
      kind: 'none',
      reason: 'it depends on --build-arg TAG, which the file does not hold',
    });
  });

  it('ignores --build-arg for names no global ARG declares, as BuildKit does', () => {
    const [ref] = references('FROM alpine:${TAG}\n', { TAG: '3.20' });
    expect(ref?.image).toBeUndefined();
  });

  it('reports a reference built from an unset ARG as unresolvable, naming the ARG', () => {
    const [ref] = references('ARG BASE\nFROM ${BASE}\n');
    expect(ref?.image).toBeUndefined();
    expect(ref?.unresolved).toBe(
      'ARG BASE (line 1) has no default value and no --build-arg BASE=… was given',
    );
    expect(ref?.args).toEqual([{ name: 'BASE', line: 1, source: 'unset' }]);
    expect(ref?.text).toBe('${BASE}');
  });

  it('names an ARG that is not declared before the first FROM', () => {
    const [ref] = references('FROM alpine\nARG TAG=3\nFROM alpine:${TAG}\n').slice(1);
    expect(ref?.unresolved).toBe('TAG is not declared by an ARG before the first FROM');
  });

  it('names an automatic platform ARG used in the image', () => {
    const [ref] = references('FROM example.com/app-$TARGETARCH:1\n');
    expect(ref?.unresolved).toMatch(/^TARGETARCH is set by the builder for each platform/);
    expect(references('FROM example.com/app-$TARGETARCH:1\n', { TARGETARCH: 'arm64' })[0]?.image).toBe(
      'example.com/app-arm64:1',
    );
  });

  it('reads several ARGs on one line, quoted values and ARGs built from ARGs', () => {
    const text = 'ARG REPO=alpine TAG="3.20"\nARG IMAGE=${REPO}:${TAG}\nFROM $IMAGE\n';
    const [ref] = references(text);
    expect(ref?.image).toBe('alpine:3.20');
    expect(ref?.fromArg).toEqual({ name: 'TAG', line: 1 });
    expect(ref?.pin).toMatchObject({ offset: text.indexOf('3.20"') + 4 });
  });

  it('treats ARG NAME= as the empty string, so the reference is invalid rather than unresolvable', () => {
    expect(errors('ARG BASE=\nFROM ${BASE}\n')).toEqual([
      'Dockerfile:2: invalid reference "": reference is empty (${BASE} expands to "")',
    ]);
  });

  it('does not pin into an ARG that a stage redeclares, or that --platform uses', () => {
    const redeclared = references('ARG TAG=3.20\nFROM alpine:${TAG}\nARG TAG\nRUN echo $TAG\n');
    expect(redeclared[0]?.pin).toEqual({
      kind: 'none',
      reason: 'ARG TAG (line 1) is redeclared in a stage at line 3, which would see the digest too',
    });
    expect(redeclared[0]?.fromArg).toEqual({ name: 'TAG', line: 1 });
    const platform = references('ARG OS=linux\nFROM --platform=$OS/amd64 example.com/base:$OS\n');
    expect(platform[0]?.pin).toEqual({
      kind: 'none',
      reason: 'ARG OS (line 1) is also used by --platform at line 2',
    });
  });

  it('finds a digest already written and offers to replace exactly it', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const text = `ARG BASE=alpine:3.20@${digest}\nFROM \${BASE}\n`;
    const [ref] = references(text);
    expect(ref?.pin).toEqual({
      kind: 'replace',
      start: text.indexOf(digest),
      end: text.indexOf(digest) + digest.length,
      current: digest,
      arg: { name: 'BASE', line: 1 },
    });
  });
});

describe('parseDockerfile: COPY --from and RUN --mount from=', () => {
  it('treats stage names (any case), stage indexes and scratch as no image', () => {
    const text =
      'FROM alpine AS base\nFROM busybox\nCOPY --from=BASE /a /a\nCOPY --from=0 /b /b\nCOPY --from=later /c /c\n' +
      'RUN --mount=from=base,target=/x true\nFROM alpine AS later\n';
    expect(references(text).map((ref) => ref.kind)).toEqual(['from', 'from', 'from']);
  });

  it('reports images named in --from with their exact span', () => {
    const text =
      'FROM alpine\nCOPY --from=nginx:1.27 ["/a", "/b"]\nRUN --mount=type=cache,from=busybox:1,target=/x true\n';
    const refs = references(text).slice(1);
    expect(refs.map((ref) => [ref.kind, ref.image, textAt(text, ref)])).toEqual([
      ['copy-from', 'nginx:1.27', 'nginx:1.27'],
      ['mount-from', 'busybox:1', 'busybox:1'],
    ]);
  });

  it('does not expand variables in --from (BuildKit does not) and says so', () => {
    const [ref] = references('ARG IMG=nginx\nFROM alpine\nCOPY --from=$IMG /a /a\n').slice(1);
    expect(ref?.image).toBeUndefined();
    expect(ref?.unresolved).toMatch(/^BuildKit does not expand variables in COPY --from/);
  });

  it('ignores ONBUILD triggers: they run in a later build', () => {
    expect(references('FROM alpine\nONBUILD COPY --from=nginx /a /a\n').length).toBe(1);
  });
});

describe('parseDockerfile: the syntax directive', () => {
  it('is read only at the very top', () => {
    expect(references('# syntax=docker/dockerfile:1\nFROM alpine\n')[0]?.kind).toBe('syntax');
    expect(references('# hello\n# syntax=docker/dockerfile:1\nFROM alpine\n')[0]?.kind).toBe('from');
    expect(references('#syntax = docker/dockerfile:1.7\nFROM alpine\n')[0]?.image).toBe(
      'docker/dockerfile:1.7',
    );
  });
});

describe('parseDockerfile: syntax errors are located', () => {
  it.each([
    ['FROM\n', 'Dockerfile:1: FROM names no image'],
    ['FROM --platform=linux/amd64\n', 'Dockerfile:1: FROM names no image'],
    [
      'FROM --platform alpine\n',
      'Dockerfile:1: --platform needs a value: --platform=<os>/<arch>[/<variant>]',
    ],
    [
      'FROM --platform= alpine\n',
      'Dockerfile:1: --platform needs a value: --platform=<os>/<arch>[/<variant>]',
    ],
    ['FROM --pull alpine\n', 'Dockerfile:1: unknown flag: --pull (FROM accepts only --platform)'],
    [
      'FROM alpine base\n',
      'Dockerfile:1: FROM requires either one or three arguments: FROM [--platform=…] <image> [AS <name>]',
    ],
    [
      'FROM alpine AS a b\n',
      'Dockerfile:1: FROM requires either one or three arguments: FROM [--platform=…] <image> [AS <name>]',
    ],
    ['FROM alpine:${TAG\n', `Dockerfile:1: missing '}' in "alpine:\${TAG"`],
    ['FROM --platform=${BUILDPLATFORM alpine\n', `Dockerfile:1: missing '}' in "\${BUILDPLATFORM"`],
    ['ARG X=${\nFROM alpine\n', `Dockerfile:1: missing '}' in "\${"`],
    [
      'FROM "alpine\n',
      'Dockerfile:1: unexpected end of statement while looking for matching double-quote in "\\"alpine"',
    ],
    ['FROM Alpine\n', 'Dockerfile:1: invalid reference "Alpine": repository "Alpine" must be lowercase'],
    [
      'FROM alpine AS 1st\n',
      `Dockerfile:1: invalid name for build stage: "1st", name can't start with a number or contain symbols`,
    ],
    ['FROM alpine AS a\nFROM alpine AS A\n', 'Dockerfile:2: duplicate stage name "A"'],
    ['RUN true\nFROM alpine\n', 'Dockerfile:1: RUN before the first FROM (only ARG may come before FROM)'],
    ['FROM alpine\nRUNN true\n', 'Dockerfile:2: unknown instruction: RUNN'],
    ['ARG X=1\n', 'Dockerfile:1: no FROM instruction'],
    ['', 'Dockerfile: no FROM instruction'],
    [
      'FROM alpine\nCOPY --from= /a /b\n',
      'Dockerfile:2: COPY --from needs a value: a stage name, a stage index or an image',
    ],
    ['# escape=x\nFROM alpine\n', 'Dockerfile:1: invalid escape token "x": it must be \\ or `'],
    ['# syntax=a\n# syntax=b\nFROM alpine\n', 'Dockerfile:2: only one syntax parser directive can be used'],
  ])('%j', (text, message) => {
    expect(errors(text)).toEqual([message]);
  });

  it('locates an error on the line where it is, inside a continuation', () => {
    expect(errors('FROM alpine \\\n  AS base \\\n  extra\n')).toEqual([
      'Dockerfile:1: FROM requires either one or three arguments: FROM [--platform=…] <image> [AS <name>]',
    ]);
    expect(errors('ARG A=1 \\\n  B=${oops\nFROM alpine\n')).toEqual([
      `Dockerfile:2: missing '}' in "\${oops"`,
    ]);
  });

  it('reports every error in the file, not just the first', () => {
    expect(errors('FROM\nFROM --platform alpine\nFROM ok\n').length).toBe(2);
  });

  it('reports an invalid reference built from a --build-arg, naming the text', () => {
    expect(errors('ARG TAG=1\nFROM alpine:${TAG}\n', { TAG: 'no good' })).toEqual([
      'Dockerfile:2: invalid reference "alpine:no good": reference contains white space (alpine:${TAG} expands to "alpine:no good")',
    ]);
  });
});
