/**
 * The engine `vouch bases` builds (`createChecker`), in process so that its registry requests can be
 * counted: each distinct image verified once however often and however it is written; and which
 * no-match policy applies (the build's `warn` unless the policy files or `--no-match-policy` choose).
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text writes ${NAME} literally
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BasesOptions, createChecker } from '../../../src/cli/commands/bases.js';
import { type BuildGateResult, loadBuildInputs, runBuildGate } from '../../../src/gates/build/index.js';
import type { PolicyEngine } from '../../../src/policy/engine/index.js';
import type { ImageChecker, ImageCheckRequest, Verdict } from '../../../src/policy/verdict.js';
import type { Deadline } from '../../../src/util/deadline.js';
import { BuildFixture, type Published } from './fixture.js';

/** Passes every call to the real engine and writes down which images the gate asked about. */
class Recorder implements ImageChecker {
  readonly images: string[] = [];
  constructor(private readonly engine: PolicyEngine) {}
  check(request: ImageCheckRequest, options?: { deadline?: Deadline }): Promise<Verdict> {
    this.images.push(request.image);
    return this.engine.check(request, options);
  }
}

const defaults: BasesOptions = { strict: false, pin: false, output: 'text' };

async function engineOf(
  options: Partial<BasesOptions>,
): Promise<{ engine: PolicyEngine; close(): Promise<void> }> {
  const setup = await createChecker({ ...defaults, ...options });
  if (!setup.ok) throw new Error(`createChecker refused the options (exit ${setup.exitCode})`);
  return { engine: setup.checker, close: setup.close };
}

describe('vouch bases: the engine it builds (in process, real registry)', () => {
  let fixture: BuildFixture;
  let base: Published;
  let baseLatest: Published;
  let sameDigest: Published;

  beforeAll(async () => {
    fixture = await BuildFixture.start();
    base = await fixture.publish('count/base:1', { signer: fixture.key });
    // Other tags of the same content: the same digest, already signed.
    baseLatest = await fixture.publish('count/base:latest', { seed: 'count/base:1' });
    sameDigest = await fixture.publish('count/base:also', { seed: 'count/base:1' });
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  /** Runs the gate over `files` with a fresh engine (empty cache): its result, requests and the images asked. */
  async function run(
    files: Record<string, string>,
    options: Partial<BasesOptions> = { key: fixture.keyFile },
  ): Promise<{ result: BuildGateResult; requests: number; asked: string[] }> {
    const paths = await Promise.all(Object.entries(files).map(([name, text]) => fixture.file(name, text)));
    const { engine, close } = await engineOf(options);
    try {
      const recorder = new Recorder(engine);
      const result = await runBuildGate(await loadBuildInputs(paths), {
        checker: recorder,
        timeoutMs: 30_000,
      });
      return { result, requests: engine.stats().registryRequests, asked: recorder.images };
    } finally {
      await close();
    }
  }

  it('verifies each distinct image once, however often and however it is written', async () => {
    const once = await run({ 'one.Dockerfile': `FROM ${base.ref}\n` });
    expect(once.result.rows.map((row) => row.status)).toEqual(['verified']);
    expect(once.requests).toBeGreaterThan(1);

    const many = await run({
      'many.Dockerfile':
        `ARG BASE=${base.ref}\n` +
        'FROM ${BASE} AS build\n' +
        `RUN --mount=type=bind,from=${base.ref},target=/b true\n` +
        `COPY --from=${base.ref} /a /a\n` +
        `FROM ${base.ref}\n`,
      'also.Dockerfile': `FROM ${base.ref} AS again\n`,
      '.ko.yaml': `defaultBaseImage: ${base.ref}\n`,
    });
    expect(many.result.rows.map((row) => [row.status, row.verdict?.digest])).toEqual(
      Array.from({ length: 6 }, () => ['verified', base.digest]),
    );
    expect(many.asked).toEqual([base.ref]);
    expect(many.requests).toBe(once.requests);

    // `repo` and `repo:latest` are one image.
    const spellings = await run({
      'latest.Dockerfile': `FROM ${fixture.host}/count/base\nFROM ${baseLatest.ref}\n`,
    });
    expect(spellings.asked).toHaveLength(1);
    expect(spellings.result.rows.map((row) => [row.status, row.verdict?.digest])).toEqual([
      ['verified', base.digest],
      ['verified', base.digest],
    ]);
    expect(spellings.requests).toBe(once.requests);
  });

  it('two tags of one digest: each tag resolved, the digest verified once', async () => {
    const twoTags = await run({ 'two-tags.Dockerfile': `FROM ${base.ref}\nFROM ${sameDigest.ref}\n` });
    expect(sameDigest.digest).toBe(base.digest);
    expect(twoTags.asked.sort()).toEqual([base.ref, sameDigest.ref].sort());
    expect(twoTags.result.rows.map((row) => row.status)).toEqual(['verified', 'verified']);
    const once = await run({ 'one-again.Dockerfile': `FROM ${base.ref}\n` });
    // One more request: the second tag's HEAD.
    expect(twoTags.requests).toBe(once.requests + 1);
  });

  describe('no-match policy', () => {
    let policyFile: string;
    beforeAll(async () => {
      policyFile = await fixture.yaml(
        'count-policy.yaml',
        fixture.keyPolicy('count', `${fixture.host}/count/**`),
      );
    });

    const config = (noMatch: string) =>
      fixture.yaml(`config-${noMatch}.yaml`, {
        'no-match-policy': noMatch,
        policies: [{ path: 'count-policy.yaml' }],
      });

    it('is warn for builds when neither the policy files nor the flag choose one', async () => {
      const { engine, close } = await engineOf({ policy: [policyFile] });
      await close();
      expect(engine.policySet.noMatchPolicy).toBe('warn');
      expect(engine.policySet.noMatchPolicyConfigured).toBeUndefined();
    });

    it.each(['allow', 'warn', 'deny'] as const)(
      'is the verification config’s when it says %s',
      async (choice) => {
        const { engine, close } = await engineOf({ policy: [await config(choice)] });
        await close();
        expect(engine.policySet.noMatchPolicy).toBe(choice);
      },
    );

    it('is --no-match-policy’s over the verification config’s and over the build default', async () => {
      const overConfig = await engineOf({ policy: [await config('allow')], noMatchPolicy: 'deny' });
      await overConfig.close();
      expect(overConfig.engine.policySet.noMatchPolicy).toBe('deny');
      const overDefault = await engineOf({ policy: [policyFile], noMatchPolicy: 'deny' });
      await overDefault.close();
      expect(overDefault.engine.policySet.noMatchPolicy).toBe('deny');
    });

    it('never applies with --key: its one policy covers every image', async () => {
      const elsewhere = await fixture.publish('elsewhere/unsigned:1');
      const { result } = await run({ 'key-covers.Dockerfile': `FROM ${elsewhere.ref}\n` });
      expect(result.rows[0]).toMatchObject({ status: 'denied', verdict: { failure: 'signature' } });
    });
  });
});
