/**
 * `vouch bases` end to end, as a user runs it (the built bin/vouch: `npm run build` first, which
 * `npm test` does), against a real distribution registry with base images signed by the project's own
 * signature layer (and, for keyless, by the test Sigstore): what is found in Dockerfiles and .ko.yaml,
 * the verdicts, the table / WARNING lines / JSON, the exit codes, and the bytes `--pin` writes.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text writes ${NAME} literally
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BasesReferenceJson, BasesReportJson } from '../../../src/gates/build/index.js';
import { runVouch } from '../../harness/index.js';
import { createTestSigstore } from '../../sigstore/index.js';
import { sigstoreSigner } from '../../sigstore/signer.js';
import {
  BuildFixture,
  type MultiStageImages,
  multiStage,
  type Published,
  publishMultiStage,
  tableRows,
} from './fixture.js';

let fixture: BuildFixture;
let host: string;

beforeAll(async () => {
  fixture = await BuildFixture.start();
  host = fixture.host;
});
afterAll(async () => {
  await fixture?.stop();
});

/** `vouch bases` with `args`; the JSON report parsed when `-o json` is among them. */
async function bases(args: string[]) {
  const run = await runVouch(['bases', ...args]);
  return run;
}

async function basesJson(args: string[]): Promise<{ code: number; report: BasesReportJson; stderr: string }> {
  const run = await runVouch(['bases', '-o', 'json', ...args]);
  if (run.stdout === '') throw new Error(`no JSON on stdout (exit ${run.code}): ${run.stderr}`);
  return { code: run.code, report: JSON.parse(run.stdout) as BasesReportJson, stderr: run.stderr };
}

const summary = (references: BasesReferenceJson[]) =>
  references.map((reference) => [reference.line, reference.kind, reference.status, reference.digest ?? '-']);

/** The "no signatures" reason of the `--key` authority for an unsigned image. */
function unsignedReason(image: Published, repository: string, policy = '--key', authority = '--key'): string {
  const hex = image.digest.slice('sha256:'.length);
  return (
    `failed policy: ${policy}: signature key validation failed for authority ${authority} for ${host}/${repository}@${image.digest}: ` +
    `no signatures found for ${image.digest} (looked in ${host}/${repository}:sha256-${hex}.sig and the referrers of ${image.digest} (tag schema))`
  );
}

describe('a multi-stage Dockerfile (syntax frontend, ARG-built FROMs, stages, scratch, COPY --from, RUN --mount from=)', () => {
  let images: MultiStageImages;
  let path: string;
  beforeAll(async () => {
    images = await publishMultiStage(fixture, 'ms');
    path = await fixture.file('ms.Dockerfile', multiStage(host, 'ms'));
  });

  it('default: a table of every image pulled, WARNING lines for the unsigned one, exit 0', async () => {
    const run = await bases(['--key', fixture.keyFile, path]);
    const rows = tableRows(run.stdout);
    expect(rows).toEqual([
      ['FILE:LINE', 'IMAGE', 'DIGEST', 'VERDICT'],
      [`${path}:1`, images.frontend.ref, images.frontend.digest, 'verified'],
      [`${path}:5`, images.base1.ref, images.base1.digest, 'verified'],
      [`${path}:6`, images.tools.ref, images.tools.digest, 'verified'],
      [`${path}:9`, images.assets.ref, images.assets.digest, 'verified'],
      [`${path}:12`, images.runtime.ref, images.runtime.digest, 'verified'],
      [`${path}:15`, images.unsigned.ref, images.unsigned.digest, 'denied'],
    ]);
    // Columns are padded to their widest cell, two spaces apart.
    const lines = run.stdout.split('\n');
    expect(lines[0]?.indexOf('IMAGE')).toBe(`${path}:12`.length + 2);
    expect(run.stderr).toBe(
      `WARNING: ${path}:15: ${images.unsigned.ref}: ${unsignedReason(images.unsigned, 'ms/unsigned')}\n`,
    );
    expect(run.code).toBe(0);
  });

  it('--strict: the same reasons as ERROR lines, exit 1', async () => {
    const run = await bases(['--key', fixture.keyFile, '--strict', path]);
    expect(run.stderr).toBe(
      `ERROR: ${path}:15: ${images.unsigned.ref}: ${unsignedReason(images.unsigned, 'ms/unsigned')}\n`,
    );
    expect(run.code).toBe(1);
  });

  it('--output json: every reference with its kind, location, ARG origin and verdict', async () => {
    const { code, report, stderr } = await basesJson(['--key', fixture.keyFile, path]);
    expect(code).toBe(0);
    expect(report).toMatchObject({ strict: false, exitCode: 0, files: [path], written: [], writeErrors: [] });
    expect(summary(report.references)).toEqual([
      [1, 'syntax', 'verified', images.frontend.digest],
      [5, 'from', 'verified', images.base1.digest],
      [6, 'mount-from', 'verified', images.tools.digest],
      [9, 'copy-from', 'verified', images.assets.digest],
      [12, 'from', 'verified', images.runtime.digest],
      [15, 'from', 'denied', images.unsigned.digest],
    ]);
    const base = report.references[1];
    expect(base).toMatchObject({
      text: `\${REGISTRY}/ms/base:\${BASE_TAG}`,
      image: images.base1.ref,
      stage: 'build',
      args: [
        { name: 'REGISTRY', line: 2, source: 'default' },
        { name: 'BASE_TAG', line: 3, source: 'default' },
      ],
      verifiedReference: `${images.base1.ref}@${images.base1.digest}`,
      reasons: [],
    });
    expect(base?.verdict?.policies[0]?.authorities[0]).toMatchObject({ type: 'key', passed: true });
    expect(report.references[4]).toMatchObject({ text: '${RUNTIME}', fromArg: { name: 'RUNTIME', line: 4 } });
    expect(report.references[5]).toMatchObject({
      reasons: [unsignedReason(images.unsigned, 'ms/unsigned')],
      verdict: { allowed: false, failure: 'signature' },
    });
    // In JSON mode the reasons still reach stderr.
    expect(stderr).toContain(`WARNING: ${path}:15: ${images.unsigned.ref}: failed policy: --key:`);
  });

  it('--build-arg overrides a global ARG default: the base actually pulled is the one verified', async () => {
    const { report } = await basesJson(['--key', fixture.keyFile, '--build-arg', 'BASE_TAG=2', path]);
    expect(report.references[1]).toMatchObject({
      image: images.base2.ref,
      status: 'verified',
      digest: images.base2.digest,
      args: [
        { name: 'REGISTRY', line: 2, source: 'default' },
        { name: 'BASE_TAG', line: 3, source: 'build-arg' },
      ],
    });
    expect(images.base2.digest).not.toBe(images.base1.digest);
  });

  it('--key and --policy with the same key give the same verdicts and exit codes', async () => {
    const policy = await fixture.yaml('ms-policy.yaml', fixture.keyPolicy('release', `${host}/**`));
    const byKey = await basesJson(['--key', fixture.keyFile, '--strict', path]);
    const byPolicy = await basesJson(['--policy', policy, '--strict', path]);
    expect(summary(byPolicy.report.references)).toEqual(summary(byKey.report.references));
    expect([byKey.code, byPolicy.code]).toEqual([1, 1]);
    expect(byPolicy.report.references[5]?.reasons).toEqual([
      unsignedReason(images.unsigned, 'ms/unsigned', 'release', 'authority-0'),
    ]);
  });
});

describe('--key and COSIGN_REPOSITORY', () => {
  it('looks for signatures where COSIGN_REPOSITORY says, as cosign and vouch verify do', async () => {
    const image = await fixture.publish('elsewhere-signed/base:1', {
      signer: fixture.key,
      signatureRepository: 'signatures/store',
    });
    const path = await fixture.file('cosign-repository.Dockerfile', `FROM ${image.ref}\n`);
    const beside = await bases(['--key', fixture.keyFile, '--strict', path]);
    expect([beside.code, tableRows(beside.stdout)[1]?.[3]]).toEqual([1, 'denied']);
    const run = await runVouch(['bases', '--key', fixture.keyFile, '--strict', path], {
      env: { COSIGN_REPOSITORY: `${host}/signatures/store` },
    });
    expect([run.code, tableRows(run.stdout)[1]]).toEqual([
      0,
      [`${path}:1`, image.ref, image.digest, 'verified'],
    ]);
  });
});

describe('--pin', () => {
  it('pins every verified reference in place (ARG lines included) and nothing else; a second run changes nothing and verifies by digest', async () => {
    const images = await publishMultiStage(fixture, 'pin');
    const original = multiStage(host, 'pin');
    const path = await fixture.file('pin.Dockerfile', original);
    const first = await bases(['--key', fixture.keyFile, '--pin', path]);
    const p = `${host}/pin`;
    const pinned = [
      `# syntax=${p}/frontend:1@${images.frontend.digest}`,
      `ARG REGISTRY=${host}`,
      `ARG BASE_TAG=1@${images.base1.digest}`,
      `ARG RUNTIME=${p}/runtime:1@${images.runtime.digest}`,
      `FROM \${REGISTRY}/pin/base:\${BASE_TAG} AS build`,
      `RUN --mount=type=bind,from=${p}/tools:1@${images.tools.digest},target=/tools \\`,
      '    /tools/build --out /out',
      'FROM scratch AS empty',
      `COPY --from=${p}/assets:1@${images.assets.digest} /assets /assets`,
      'FROM build AS test',
      'RUN make test',
      'FROM ${RUNTIME}',
      'COPY --from=build /out /out',
      'COPY --from=empty /assets /assets',
      `FROM ${p}/unsigned:1 AS extra`,
      '',
    ].join('\n');
    expect(await readFile(path, 'utf8')).toBe(pinned);
    expect(first.stderr.trimEnd().split('\n')).toEqual([
      `pinned ${path}:1: ${images.frontend.ref}@${images.frontend.digest}`,
      `pinned ${path}:3 (ARG BASE_TAG): ${images.base1.ref}@${images.base1.digest}`,
      `pinned ${path}:6: ${images.tools.ref}@${images.tools.digest}`,
      `pinned ${path}:9: ${images.assets.ref}@${images.assets.digest}`,
      `pinned ${path}:4 (ARG RUNTIME): ${images.runtime.ref}@${images.runtime.digest}`,
      `WARNING: ${path}:15: ${images.unsigned.ref}: ${unsignedReason(images.unsigned, 'pin/unsigned')}`,
    ]);
    expect(first.code).toBe(0);

    // The tags move to an unsigned image: the pinned file still names, and verifies, what was verified.
    const moved = await fixture.publish('pin/runtime:1', { seed: 'pin/moved' });
    await fixture.publish('pin/base:1', { seed: 'pin/moved' });
    const second = await basesJson(['--key', fixture.keyFile, '--pin', path]);
    expect(await readFile(path, 'utf8')).toBe(pinned);
    expect(second.report.written).toEqual([]);
    expect(
      second.report.references.map((reference) => [reference.status, reference.pin?.status ?? '-']),
    ).toEqual([
      ['verified', 'unchanged'],
      ['verified', 'unchanged'],
      ['verified', 'unchanged'],
      ['verified', 'unchanged'],
      ['verified', 'unchanged'],
      ['denied', '-'],
    ]);
    expect(second.report.references[4]).toMatchObject({
      image: `${images.runtime.ref}@${images.runtime.digest}`,
      digest: images.runtime.digest,
    });
    expect(second.stderr).not.toContain('pinned');

    // The unpinned file now pulls the moved, unsigned tag: denied, so the run above really verified by digest.
    const unpinned = await fixture.file('pin-unpinned.Dockerfile', original);
    const third = await basesJson(['--key', fixture.keyFile, unpinned]);
    expect(third.report.references[4]).toMatchObject({ status: 'denied', digest: moved.digest });
  });

  it('pins a multi-platform base to its index digest (the digest that was signed and verified)', async () => {
    const multi = await fixture.publish('multi/base:1', { signer: fixture.key, index: true });
    const path = await fixture.file(
      'multi.Dockerfile',
      `FROM --platform=linux/arm64 ${multi.ref} AS build\n`,
    );
    const run = await bases(['--key', fixture.keyFile, '--strict', '--pin', path]);
    expect(run.code).toBe(0);
    expect(await readFile(path, 'utf8')).toBe(
      `FROM --platform=linux/arm64 ${multi.ref}@${multi.digest} AS build\n`,
    );
    expect(multi.platformDigests).toHaveLength(2);
    expect(multi.platformDigests).not.toContain(multi.digest);
    expect(tableRows(run.stdout)[1]).toEqual([`${path}:1`, multi.ref, multi.digest, 'verified']);
  });
});

describe('.ko.yaml', () => {
  it('verifies defaultBaseImage and every baseImageOverrides entry, and pins them in place', async () => {
    const signer = fixture.key;
    const base = await fixture.publish('ko/base:1', { signer });
    const tool = await fixture.publish('ko/tool:1', { signer });
    const legacy = await fixture.publish('ko/legacy:1');
    const dir = join(fixture.dir, 'ko-project');
    await mkdir(dir);
    const text =
      '# ko build configuration\n' +
      `defaultBaseImage: ${base.ref}   # every binary\n` +
      'baseImageOverrides:\n' +
      `  example.com/app/cmd/tool: "${tool.ref}"\n` +
      `  example.com/app/cmd/legacy: ${legacy.ref}\n`;
    const path = join(dir, '.ko.yaml');
    await writeFile(path, text);

    const { code, report } = await basesJson(['--key', fixture.keyFile, '--pin', dir]);
    expect(code).toBe(0);
    expect(report.files).toEqual([path]);
    expect(
      report.references.map((reference) => [
        reference.line,
        reference.kind,
        reference.importPath ?? '-',
        reference.status,
        reference.digest,
      ]),
    ).toEqual([
      [2, 'ko-default', '-', 'verified', base.digest],
      [4, 'ko-override', 'example.com/app/cmd/tool', 'verified', tool.digest],
      [5, 'ko-override', 'example.com/app/cmd/legacy', 'denied', legacy.digest],
    ]);
    expect(await readFile(path, 'utf8')).toBe(
      '# ko build configuration\n' +
        `defaultBaseImage: ${base.ref}@${base.digest}   # every binary\n` +
        'baseImageOverrides:\n' +
        `  example.com/app/cmd/tool: "${tool.ref}@${tool.digest}"\n` +
        `  example.com/app/cmd/legacy: ${legacy.ref}\n`,
    );
    expect((await bases(['--key', fixture.keyFile, '--strict', dir])).code).toBe(1);
  });
});

describe('policies: uncovered images, no-match-policy, warn mode', () => {
  let covered: Published;
  let elsewhere: Published;
  let unsigned: Published;
  let policy: string;
  let path: string;
  beforeAll(async () => {
    covered = await fixture.publish('stage/base:1', { signer: fixture.key });
    unsigned = await fixture.publish('stage/unsigned:1');
    elsewhere = await fixture.publish('elsewhere/app:1', { signer: fixture.key });
    policy = await fixture.yaml('stage-policy.yaml', fixture.keyPolicy('stage', `${host}/stage/**`));
    path = await fixture.file('cover.Dockerfile', `FROM ${covered.ref}\nFROM ${elsewhere.ref}\n`);
  });

  it('an image no policy covers is a WARNING for builds (no-match-policy warn), and fails --strict', async () => {
    const run = await bases(['--policy', policy, path]);
    expect(tableRows(run.stdout).slice(1)).toEqual([
      [`${path}:1`, covered.ref, covered.digest, 'verified'],
      // Nothing covers it, so nothing about it is verified: the engine does not even resolve the tag.
      [`${path}:2`, elsewhere.ref, '-', 'uncovered'],
    ]);
    expect(run.stderr).toBe(`WARNING: ${path}:2: ${elsewhere.ref}: no matching policies\n`);
    expect(run.code).toBe(0);
    // warn, not the engine's own default (deny): allowed, with the warning.
    const { report } = await basesJson(['--policy', policy, path]);
    expect(report.references[1]?.verdict).toEqual({
      image: elsewhere.ref,
      allowed: true,
      errors: [],
      warnings: ['no matching policies'],
      policies: [],
      failure: 'no-match',
    });
    const strict = await bases(['--policy', policy, '--strict', path]);
    expect(strict.stderr).toBe(`ERROR: ${path}:2: ${elsewhere.ref}: no matching policies\n`);
    expect(strict.code).toBe(1);
  });

  it('the policy files choose the no-match policy (a verification config), and --no-match-policy overrides them', async () => {
    const allowConfig = await fixture.yaml('allow-config.yaml', {
      'no-match-policy': 'allow',
      policies: [{ path: 'stage-policy.yaml' }],
    });
    const allowed = await bases(['--policy', allowConfig, path]);
    expect([allowed.code, allowed.stderr]).toEqual([0, '']);
    expect(tableRows(allowed.stdout)[2]?.[3]).toBe('uncovered');
    // Allowed silently, still not verified: --strict fails it and says why.
    const strict = await bases(['--policy', allowConfig, '--strict', path]);
    expect([strict.code, strict.stderr]).toEqual([
      1,
      `ERROR: ${path}:2: ${elsewhere.ref}: no policy covers this image\n`,
    ]);
    const overridden = await basesJson(['--policy', allowConfig, '--no-match-policy', 'deny', path]);
    expect(overridden.report.references[1]).toMatchObject({
      status: 'uncovered',
      verdict: { allowed: false, failure: 'no-match', errors: ['no matching policies'] },
    });
    expect(overridden.code).toBe(0);

    const denyConfig = await fixture.yaml('deny-config.yaml', {
      'no-match-policy': 'deny',
      policies: [{ path: 'stage-policy.yaml' }],
    });
    const denied = await basesJson(['--policy', denyConfig, path]);
    expect(denied.report.references[1]?.verdict).toMatchObject({ allowed: false, failure: 'no-match' });
    const warned = await basesJson(['--policy', denyConfig, '--no-match-policy', 'warn', path]);
    expect(warned.report.references[1]?.verdict).toMatchObject({
      allowed: true,
      failure: 'no-match',
      warnings: ['no matching policies'],
    });
  });

  it('a warn-mode policy that fails is a warning: exit 0, and exit 1 under --strict', async () => {
    const warnPolicy = await fixture.yaml(
      'warn-policy.yaml',
      fixture.keyPolicy('soft', `${host}/stage/**`, { mode: 'warn' }),
    );
    const file = await fixture.file('warn.Dockerfile', `FROM ${unsigned.ref}\n`);
    const run = await bases(['--policy', warnPolicy, file]);
    expect(tableRows(run.stdout)[1]).toEqual([`${file}:1`, unsigned.ref, unsigned.digest, 'warning']);
    expect(run.stderr).toBe(
      `WARNING: ${file}:1: ${unsigned.ref}: ${unsignedReason(unsigned, 'stage/unsigned', 'soft', 'authority-0')}\n`,
    );
    expect(run.code).toBe(0);
    expect((await bases(['--policy', warnPolicy, '--strict', file])).code).toBe(1);
  });

  it('an ARG without a value is reported as unresolvable (failing --strict) until --build-arg gives it', async () => {
    const file = await fixture.file('unset.Dockerfile', 'ARG BASE\nFROM ${BASE}\n');
    const unset = await bases(['--policy', policy, '--strict', file]);
    expect(tableRows(unset.stdout)[1]).toEqual([`${file}:2`, '${BASE}', '-', 'unresolvable']);
    expect(unset.stderr).toBe(
      `ERROR: ${file}:2: \${BASE}: cannot be resolved: ARG BASE (line 1) has no default value and no --build-arg BASE=… was given\n`,
    );
    expect(unset.code).toBe(1);
    const given = await bases(['--policy', policy, '--strict', '--build-arg', `BASE=${covered.ref}`, file]);
    expect(tableRows(given.stdout)[1]).toEqual([`${file}:2`, covered.ref, covered.digest, 'verified']);
    expect(given.code).toBe(0);
  });

  it('invalid policies: exit 2 with located errors, nothing verified', async () => {
    const bad = await fixture.yaml('bad-policy.yaml', {
      apiVersion: 'policy.sigstore.dev/v1beta1',
      kind: 'ClusterImagePolicy',
      metadata: { name: 'bad' },
      spec: { images: [{ glob: '**' }], authorities: [] },
    });
    const run = await bases(['--policy', bad, path]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      new RegExp(
        `^vouch: ${escapeRegExp(bad)}: document 1 \\(ClusterImagePolicy "bad"\\): spec.authorities: at least one authority is required.*\\n$`,
      ),
    );
  });

  it('--no-match-policy without --policy, and --policy with the flags, are usage errors', async () => {
    const flags = await bases(['--key', fixture.keyFile, '--no-match-policy', 'allow', path]);
    expect([flags.code, flags.stderr]).toEqual([
      2,
      'vouch: --no-match-policy applies only with --policy (--key and the keyless flags cover every image)\n',
    ]);
    const both = await bases(['--policy', policy, '--trusted-root', fixture.keyFile, path]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--policy replaces --key, the keyless flags and -a/);
  });
});

describe('keyless (test Sigstore)', () => {
  it('verifies bases signed by the identity, denies another signer, and warns about checks turned off', async () => {
    const sigstore = await createTestSigstore();
    const root = await fixture.file('trusted_root.json', JSON.stringify(sigstore.trustedRootJson));
    const good = await fixture.publish('keyless/base:1', { signer: sigstoreSigner(sigstore) });
    const other = await fixture.publish('keyless/other:1', {
      signer: sigstoreSigner(sigstore, { identity: { email: 'intruder@vouch.test' } }),
    });
    const path = await fixture.file('keyless.Dockerfile', `FROM ${good.ref} AS build\nFROM ${other.ref}\n`);
    const identity = [
      '--certificate-identity',
      sigstore.defaultIdentity.subject,
      '--certificate-oidc-issuer',
      sigstore.defaultIdentity.issuer,
      '--trusted-root',
      root,
    ];
    const run = await bases([...identity, path]);
    expect(tableRows(run.stdout).slice(1)).toEqual([
      [`${path}:1`, good.ref, good.digest, 'verified'],
      [`${path}:2`, other.ref, other.digest, 'denied'],
    ]);
    expect(run.stderr).toMatch(
      new RegExp(
        `^WARNING: ${escapeRegExp(`${path}:2: ${other.ref}: failed policy: keyless: signature keyless validation failed for authority keyless`)}.*intruder@vouch\\.test.*\\n$`,
      ),
    );
    expect(run.code).toBe(0);

    const { report, stderr, code } = await basesJson([
      ...identity,
      '--insecure-ignore-sct',
      '--strict',
      path,
    ]);
    expect(stderr.split('\n')[0]).toBe('vouch: warning: SCT check skipped (--insecure-ignore-sct)');
    expect(report.references[0]?.verdict?.policies[0]?.authorities[0]).toMatchObject({
      type: 'keyless',
      passed: true,
      tlog: { status: 'verified' },
    });
    expect(code).toBe(1);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
