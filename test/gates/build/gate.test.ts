/**
 * The build gate's pure parts over given verdicts: how a verdict is classified, the table and JSON,
 * the bytes `--pin` writes (CRLF, tabs, non-ASCII, shared ARGs, files changed meanwhile), and a checker
 * that throws. Verdicts are plain data, so these tests hand the gate an ImageChecker that answers from a
 * table. Everything the real engine decides — signed and unsigned bases, default vs --strict, uncovered
 * images, each image verified once — is tested end to end in registry.test.ts and checker.test.ts.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text writes ${NAME} literally
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type BuildGateResult,
  classifyVerdict,
  formatMessages,
  formatTable,
  loadBuildInputs,
  runBuildGate,
  toJson,
} from '../../../src/gates/build/index.js';
import type { ImageChecker, Verdict } from '../../../src/policy/verdict.js';
import { tempDir } from '../../harness/index.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const D3 = `sha256:${'3'.repeat(64)}`;
const INDEX = `sha256:${'9'.repeat(64)}`;

function verified(image: string, digest: string): Verdict {
  return {
    image,
    digest,
    verifiedReference: `resolved/${image}@${digest}`,
    allowed: true,
    errors: [],
    warnings: [],
    policies: [{ name: 'bases', mode: 'enforce', passed: true, authorities: [] }],
  };
}

function denied(image: string, digest: string, error: string): Verdict {
  return {
    image,
    digest,
    allowed: false,
    errors: [error],
    warnings: [],
    policies: [{ name: 'bases', mode: 'enforce', passed: false, message: error, authorities: [] }],
    failure: 'signature',
  };
}

function uncovered(image: string, warning?: string): Verdict {
  return { image, allowed: true, errors: [], warnings: warning ? [warning] : [], policies: [] };
}

/** An ImageChecker answering from a table, counting the calls per image. */
class TableChecker implements ImageChecker {
  readonly calls: string[] = [];
  constructor(private readonly answers: Record<string, Verdict | Error>) {}
  async check(request: { image: string }): Promise<Verdict> {
    this.calls.push(request.image);
    const answer = this.answers[request.image];
    if (answer === undefined) throw new Error(`test checker has no answer for ${request.image}`);
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

let dir: string;
beforeEach(async () => {
  dir = await tempDir('bases-gate');
});
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function put(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function gate(
  paths: string[],
  checker: ImageChecker,
  options: { strict?: boolean; pin?: boolean; buildArgs?: Record<string, string> } = {},
): Promise<BuildGateResult> {
  const inputs = await loadBuildInputs(paths, { buildArgs: options.buildArgs ?? {} });
  return runBuildGate(inputs, { checker, strict: options.strict ?? false, pin: options.pin ?? false });
}

describe('classifyVerdict', () => {
  it.each([
    [verified('x', D1), 'verified'],
    [{ ...verified('x', D1), warnings: ['failed policy: warn-only'] }, 'warning'],
    [denied('x', D1, 'no matching signatures'), 'denied'],
    [{ ...denied('x', D1, 'registry said 429'), policies: [], failure: 'registry' as const }, 'denied'],
    [uncovered('x', 'x is uncovered by policy'), 'uncovered'],
    [uncovered('x'), 'uncovered'],
    [{ ...uncovered('x'), allowed: false, errors: ['no policy'], failure: 'no-match' as const }, 'uncovered'],
  ])('classifies %j as %s', (verdict, status) => {
    expect(classifyVerdict(verdict)).toBe(status);
  });
});

describe('runBuildGate: a checker that throws', () => {
  it('has verified nothing: an error row, a WARNING by default, a failure under --strict', async () => {
    const path = await put('Dockerfile', 'FROM signed:1 AS a\nFROM broken:1\n');
    const answers = { 'signed:1': verified('signed:1', D1), 'broken:1': new Error('registry timed out') };
    const result = await gate([path], new TableChecker(answers));
    expect(result.rows.map((row) => row.status)).toEqual(['verified', 'error']);
    expect(result.exitCode).toBe(0);
    expect(formatMessages(result)).toEqual([
      `WARNING: ${path}:2: broken:1: verification failed: registry timed out`,
    ]);
    const strict = await gate([path], new TableChecker(answers), { strict: true });
    expect(strict.exitCode).toBe(1);
    expect(formatMessages(strict)).toEqual([
      `ERROR: ${path}:2: broken:1: verification failed: registry timed out`,
    ]);
  });
});

describe('output', () => {
  it('prints a table of file:line, image, digest and verdict', async () => {
    const dockerfile = await put(
      'Dockerfile',
      '# syntax=docker/dockerfile:1\nARG TAG\nFROM alpine:3.20\nFROM example.com/app:${TAG}\n',
    );
    const ko = await put('.ko.yaml', 'baseImageOverrides:\n  example.com/cmd/x: busybox:1\n');
    const checker = new TableChecker({
      'docker/dockerfile:1': verified('docker/dockerfile:1', D1),
      'alpine:3.20': denied('alpine:3.20', D2, 'no signatures found'),
      'cgr.dev/chainguard/static:latest': verified('cgr.dev/chainguard/static:latest', D3),
      'busybox:1': uncovered('busybox:1', 'busybox:1 is uncovered by policy'),
    });
    const result = await gate([dockerfile, ko], checker);
    const pad = (text: string, width: number) => text.padEnd(width);
    const locationWidth = `${dockerfile}:1`.length;
    const imageWidth = 'cgr.dev/chainguard/static:latest (ko default)'.length;
    const digestWidth = D1.length;
    const row = (where: string, image: string, digest: string, verdict: string) =>
      `${pad(where, locationWidth)}  ${pad(image, imageWidth)}  ${pad(digest, digestWidth)}  ${verdict}`;
    expect(formatTable(result)).toEqual([
      row('FILE:LINE', 'IMAGE', 'DIGEST', 'VERDICT'),
      row(`${dockerfile}:1`, 'docker/dockerfile:1', D1, 'verified'),
      row(`${dockerfile}:3`, 'alpine:3.20', D2, 'denied'),
      row(`${dockerfile}:4`, 'example.com/app:${TAG}', '-', 'unresolvable'),
      row(ko, 'cgr.dev/chainguard/static:latest (ko default)', D3, 'verified'),
      row(`${ko}:2`, 'busybox:1', '-', 'uncovered'),
    ]);
  });

  it('gives machines one JSON document with every reference, its location, ARG origin and verdict', async () => {
    const path = await put('Dockerfile', 'ARG BASE=alpine:3.20\nFROM ${BASE} AS base\n');
    const result = await gate([path], new TableChecker({ 'alpine:3.20': verified('alpine:3.20', D1) }), {
      strict: true,
    });
    const json = JSON.parse(JSON.stringify(toJson(result)));
    expect(json).toEqual({
      strict: true,
      exitCode: 0,
      files: [path],
      written: [],
      writeErrors: [],
      references: [
        {
          file: path,
          line: 2,
          column: 6,
          endLine: 2,
          endColumn: 13,
          kind: 'from',
          text: '${BASE}',
          image: 'alpine:3.20',
          status: 'verified',
          digest: D1,
          verifiedReference: `resolved/alpine:3.20@${D1}`,
          reasons: [],
          args: [{ name: 'BASE', line: 1, source: 'default' }],
          fromArg: { name: 'BASE', line: 1 },
          stage: 'base',
          verdict: verified('alpine:3.20', D1),
        },
      ],
    });
  });
});

describe('--pin', () => {
  /** Every byte outside the pinned references must survive: CRLF, tabs, trailing blanks, non-ASCII, no final newline. */
  const ORIGINAL =
    '# syntax=docker/dockerfile:1.7\r\n' +
    '# Basis für alle Stufen \t \r\n' +
    'ARG BASE="signed/base:1.0"\r\n' +
    'ARG TAG=3.20\r\n' +
    'FROM ${BASE} AS build\r\n' +
    '\tRUN --mount=type=cache,from=signed/tools:2,target=/t  make \\\r\n' +
    '\t    all   \r\n' +
    'FROM alpine:${TAG} AS runtime\r\n' +
    'FROM example.com/other:${TAG} AS other\r\n' +
    'COPY --from=build /out /out\r\n' +
    'COPY --from=unsigned:1 /x /x';

  const answers = {
    'docker/dockerfile:1.7': verified('docker/dockerfile:1.7', D1),
    'signed/base:1.0': verified('signed/base:1.0', INDEX),
    'signed/tools:2': verified('signed/tools:2', D2),
    'alpine:3.20': verified('alpine:3.20', D3),
    'example.com/other:3.20': verified('example.com/other:3.20', D2),
    'unsigned:1': denied('unsigned:1', D1, 'no signatures found'),
  };

  it('rewrites each verified reference in place and no other byte', async () => {
    const path = await put('Dockerfile', ORIGINAL);
    const result = await gate([path], new TableChecker(answers), { pin: true });
    const expected =
      `# syntax=docker/dockerfile:1.7@${D1}\r\n` +
      '# Basis für alle Stufen \t \r\n' +
      `ARG BASE="signed/base:1.0@${INDEX}"\r\n` +
      'ARG TAG=3.20\r\n' +
      'FROM ${BASE} AS build\r\n' +
      `\tRUN --mount=type=cache,from=signed/tools:2@${D2},target=/t  make \\\r\n` +
      '\t    all   \r\n' +
      'FROM alpine:${TAG} AS runtime\r\n' +
      'FROM example.com/other:${TAG} AS other\r\n' +
      'COPY --from=build /out /out\r\n' +
      'COPY --from=unsigned:1 /x /x';
    expect(await readFile(path, 'utf8')).toBe(expected);
    expect(result.written).toEqual([path]);
    expect(result.exitCode).toBe(0);
    expect(result.rows.map((row) => row.pin?.status ?? '-')).toEqual([
      'pinned',
      'pinned',
      'pinned',
      'skipped',
      'skipped',
      '-',
    ]);
    expect(formatMessages(result)).toEqual([
      `pinned ${path}:1: docker/dockerfile:1.7@${D1}`,
      `pinned ${path}:3 (ARG BASE): signed/base:1.0@${INDEX}`,
      `pinned ${path}:6: signed/tools:2@${D2}`,
      `WARNING: ${path}:8: alpine:3.20: not pinned: ARG TAG (line 4) is also used by ${path}:9 (example.com/other:3.20), which would change too`,
      `WARNING: ${path}:9: example.com/other:3.20: not pinned: ARG TAG (line 4) is also used by ${path}:8 (alpine:3.20), which would change too`,
      `WARNING: ${path}:11: unsigned:1: no signatures found`,
    ]);
  });

  it('changes nothing when run a second time', async () => {
    const path = await put('Dockerfile', ORIGINAL);
    await gate([path], new TableChecker(answers), { pin: true });
    const once = await readFile(path);
    const pinnedAnswers = Object.fromEntries(
      Object.entries(answers).map(([image, verdict]) => [`${image}@${verdict.digest}`, verdict]),
    );
    const second = await gate([path], new TableChecker({ ...answers, ...pinnedAnswers }), { pin: true });
    expect((await readFile(path)).equals(once)).toBe(true);
    expect(second.written).toEqual([]);
    expect(second.rows.map((row) => row.pin?.status ?? '-')).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
      'skipped',
      'skipped',
      '-',
    ]);
  });

  it('leaves a file with nothing verified byte for byte as it was', async () => {
    const text = 'FROM unsigned:1 \r\nFROM  unsigned:1\t\n';
    const path = await put('Dockerfile', text);
    const result = await gate([path], new TableChecker(answers), { pin: true });
    expect(await readFile(path, 'utf8')).toBe(text);
    expect(result.written).toEqual([]);
  });

  it('does not pin a verdict that names no digest (a static policy)', async () => {
    const path = await put('Dockerfile', 'FROM trusted:1\n');
    const { digest: _none, ...staticPass } = verified('trusted:1', D1);
    const result = await gate([path], new TableChecker({ 'trusted:1': staticPass }), { pin: true });
    expect(await readFile(path, 'utf8')).toBe('FROM trusted:1\n');
    expect(result.rows[0]?.pin).toEqual({ status: 'skipped', reason: 'the verdict names no digest to pin' });
  });

  it('does not pin when not asked to', async () => {
    const path = await put('Dockerfile', ORIGINAL);
    await gate([path], new TableChecker(answers));
    expect(await readFile(path, 'utf8')).toBe(ORIGINAL);
  });

  it('pins .ko.yaml values in place and keeps comments', async () => {
    const text =
      '# base images\ndefaultBaseImage: signed/base:1.0 # default\nbaseImageOverrides:\n  example.com/cmd/tool: "signed/tools:2"\n';
    const path = await put('.ko.yaml', text);
    await gate([path], new TableChecker(answers), { pin: true });
    expect(await readFile(path, 'utf8')).toBe(
      `# base images\ndefaultBaseImage: signed/base:1.0@${INDEX} # default\nbaseImageOverrides:\n  example.com/cmd/tool: "signed/tools:2@${D2}"\n`,
    );
  });

  it('refuses to overwrite a file that changed while it was being checked', async () => {
    const path = await put('Dockerfile', 'FROM signed/base:1.0\n');
    const inputs = await loadBuildInputs([path]);
    await writeFile(path, 'FROM signed/base:1.0\nRUN edited\n');
    const result = await runBuildGate(inputs, { checker: new TableChecker(answers), pin: true });
    expect(await readFile(path, 'utf8')).toBe('FROM signed/base:1.0\nRUN edited\n');
    expect(result.exitCode).toBe(1);
    expect(result.writeErrors).toEqual([
      `${path} changed while vouch was checking it (or is not UTF-8); not pinned`,
    ]);
    expect(result.rows[0]?.pin).toEqual({ status: 'skipped', reason: result.writeErrors[0] });
  });
});
