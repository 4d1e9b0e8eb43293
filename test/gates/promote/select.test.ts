/**
 * The selection loop with the real policy engine and real cosign signatures on the real registry:
 * newest first, a few at a time, stopping as soon as the answer is known, and writing only the digest
 * that was verified.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkPullable } from '../../../src/gates/promote/pullable.js';
import { selectNewestVerified } from '../../../src/gates/promote/select.js';
import { loadPolicyText, type PolicySet } from '../../../src/policy/index.js';
import type { ImageChecker } from '../../../src/policy/verdict.js';
import { RegistryClient, type Repository } from '../../../src/registry/index.js';
import type { PrivateKey } from '../../../src/signature/index.js';
import { Deadline } from '../../../src/util/deadline.js';
import {
  buildImage,
  buildIndex,
  type FakeRegistry,
  pushArtifact,
  startFakeRegistry,
  startRegistry,
  type TestRegistry,
} from '../../harness/index.js';
import {
  type CheckerHooks,
  engineFor,
  keyPolicy,
  latency,
  newKey,
  RecordingChecker,
  signArtifact,
} from './helpers.js';

let registry: TestRegistry;
let client: RegistryClient;
let repo: Repository;
const digests = new Map<string, string>();
const TAGS = Array.from({ length: 12 }, (_, i) => `1.0.${11 - i}`); // newest first
/** Signed 1.0.9 and older. */
let release: PrivateKey;
/** Signed 1.0.10 only. */
let stranger: PrivateKey;
/** Signed 1.0.6 and older. */
let late: PrivateKey;
/** Signed nothing. */
let nobody: PrivateKey;

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient();
  repo = { registry: registry.host, repository: 'acme/app' };
  [release, stranger, late, nobody] = await Promise.all([newKey(), newKey(), newKey(), newKey()]);
  for (const [index, tag] of TAGS.entries()) {
    const image = buildImage({ seed: `app-${tag}` });
    digests.set(tag, await pushArtifact(client, repo, image, tag));
    if (index === 1) await signArtifact(client, repo, image, stranger);
    if (index >= 2) await signArtifact(client, repo, image, release);
    if (index >= 5) await signArtifact(client, repo, image, late);
  }
  const multi = buildIndex({ seed: 'app-multi' });
  digests.set('multi', await pushArtifact(client, repo, multi, 'multi'));
});

afterAll(async () => {
  await client?.close();
  await registry?.stop();
});

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((engine) => engine.close()));
});

/** The real engine for `policySet` behind a recorder. */
function checkerFor(policySet: PolicySet, hooks: CheckerHooks = {}): RecordingChecker {
  const engine = engineFor(policySet);
  opened.push(engine);
  return new RecordingChecker(engine.engine, hooks);
}

async function signedBy(key: PrivateKey, glob = `${registry.host}/**`): Promise<PolicySet> {
  return keyPolicy('release', glob, key);
}

function select(
  checker: ImageChecker,
  candidates: readonly string[],
  registryClient = client,
  concurrency = 4,
) {
  return selectNewestVerified({
    image: `${registry.host}/acme/app`,
    repository: repo,
    candidates,
    checker,
    registry: registryClient,
    concurrency,
    timeoutMs: 10_000,
  });
}

describe('selecting the newest candidate that verifies', () => {
  it('falls back past unsigned and wrongly signed candidates and reports each with its reason', async () => {
    const selection = await select(checkerFor(await signedBy(release)), TAGS);
    expect(selection.chosen).toMatchObject({ tag: '1.0.9', digest: digests.get('1.0.9') });
    expect(selection.chosen?.verifiedReference).toBe(
      `${registry.host}/acme/app:1.0.9@${digests.get('1.0.9')}`,
    );
    expect(selection.rejected).toEqual([
      {
        tag: '1.0.11',
        digest: digests.get('1.0.11'),
        reason: 'unsigned',
        message: expect.stringMatching(
          new RegExp(`^failed policy: release: .*no signatures found for ${digests.get('1.0.11')}`),
        ),
      },
      {
        tag: '1.0.10',
        digest: digests.get('1.0.10'),
        reason: 'wrong-signer',
        message: expect.stringMatching(
          new RegExp(
            `^failed policy: release: .*no signature of ${digests.get('1.0.10')} verified: .*does not verify over the payload with key`,
          ),
        ),
      },
    ]);
  });

  it('verifies a few at a time, never more than the concurrency', async () => {
    const checker = checkerFor(await signedBy(nobody));
    const selection = await select(checker, TAGS, client, 3);
    expect(selection.chosen).toBeUndefined();
    expect(selection.examined).toBe(TAGS.length);
    expect(selection.rejected.map((r) => r.tag)).toEqual(TAGS);
    expect(selection.rejected.map((r) => r.reason)).toEqual([
      'unsigned',
      ...TAGS.slice(1).map(() => 'wrong-signer'),
    ]);
    expect(checker.maxInFlight).toBe(3);
  });

  it('stops as soon as the newest passing candidate is known: nothing older is started, nothing more is asked', async () => {
    const winner = '1.0.6'; // index 5: the newest that `late` signed
    const checker = checkerFor(await signedBy(late));
    const counting = new RegistryClient();
    try {
      const selection = await select(checker, TAGS, counting, 4);
      expect(selection.chosen?.tag).toBe(winner);
      expect(selection.rejected.map((r) => r.tag)).toEqual(TAGS.slice(0, 5));
      // Started in order, at most `concurrency - 1` past the winner before it was known.
      expect(checker.tags.slice(0, 6)).toEqual(TAGS.slice(0, 6));
      expect(checker.tags.length).toBeLessThanOrEqual(6 + 3);
      // The loop's own registry requests: only the winner's manifest, fetched once for pullability.
      expect(counting.stats.snapshot()).toEqual({ total: 1, byKind: { 'manifest-get': 1 } });
      const callsAtReturn = checker.calls.length;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(checker.calls.length).toBe(callsAtReturn);
      expect(counting.stats.total).toBe(1);
    } finally {
      await counting.close();
    }
  });

  it('cancels older candidates still in flight once a newer one passes', async () => {
    const candidates = TAGS.slice(2); // 1.0.9, the newest `release` signed, first
    const checker = checkerFor(await signedBy(release), {
      before: latency(5_000, (image) => !image.endsWith(':1.0.9')),
    });
    const selection = await select(checker, candidates);
    expect(selection.chosen?.tag).toBe('1.0.9');
    expect(selection.examined).toBe(1);
    expect(checker.calls).toHaveLength(4);
    // The three older ones were in flight; their deadlines were cancelled and the loop waited for them.
    expect(checker.cancelled.map((image) => image.split(':').pop()).sort()).toEqual([
      '1.0.6',
      '1.0.7',
      '1.0.8',
    ]);
  });

  it('changes nothing for an empty candidate list', async () => {
    const checker = checkerFor(await signedBy(release));
    const selection = await select(checker, []);
    expect(selection).toEqual({ rejected: [], examined: 0 });
    expect(checker.calls).toEqual([]);
  });

  it('writes the verified digest, not what the tag points at after verification', async () => {
    const before = buildImage({ seed: 'before-repoint' });
    const moved = buildImage({ seed: 'moved-after-verification' });
    await pushArtifact(client, repo, before, 'repointed');
    await signArtifact(client, repo, before, release);
    let verified: string | undefined;
    const checker = checkerFor(await signedBy(release), {
      // Once the engine has verified the tag's digest, the tag is moved, before the loop goes on.
      after: async (image, verdict) => {
        if (!image.endsWith(':repointed') || verified) return;
        verified = verdict.digest;
        await pushArtifact(client, repo, moved, 'repointed');
      },
    });
    const selection = await select(checker, ['repointed']);
    expect(verified).toBe(before.digest);
    expect(selection.chosen?.digest).toBe(before.digest);
    const now = await client.resolve({ ...repo, tag: 'repointed' });
    expect(now.digest).toBe(moved.digest);
  });

  it('passes on the warnings of an allowed verdict (a failing mode: warn policy)', async () => {
    const text = [
      { name: 'release', key: release.publicKey.pem, mode: 'enforce' },
      { name: 'audit', key: nobody.publicKey.pem, mode: 'warn' },
    ]
      .map(({ name, key, mode }) =>
        stringify({
          apiVersion: 'policy.sigstore.dev/v1beta1',
          kind: 'ClusterImagePolicy',
          metadata: { name },
          spec: { mode, images: [{ glob: `${registry.host}/**` }], authorities: [{ key: { data: key } }] },
        }),
      )
      .join('---\n');
    const { policySet } = await loadPolicyText(text, 'warn.yaml');
    const selection = await select(checkerFor(policySet), TAGS.slice(2, 3));
    expect(selection.chosen).toMatchObject({ tag: '1.0.9', digest: digests.get('1.0.9') });
    expect(selection.chosen?.warnings).toEqual([expect.stringMatching(/^failed policy: audit: /)]);
  });

  it('calls a candidate unsigned when the denying policy found no signature, even if another policy verified one', async () => {
    // `release` finds 1.0.9's signature beside it; `mirrored` looks in a signature repository that
    // holds none for it. Only the denying policy says why the candidate is rejected: unsigned.
    const text = [
      { name: 'release', source: undefined },
      { name: 'mirrored', source: [{ oci: `${registry.host}/acme/signatures` }] },
    ]
      .map(({ name, source }) =>
        stringify({
          apiVersion: 'policy.sigstore.dev/v1beta1',
          kind: 'ClusterImagePolicy',
          metadata: { name },
          spec: {
            images: [{ glob: `${registry.host}/acme/app*` }],
            authorities: [{ key: { data: release.publicKey.pem }, ...(source && { source }) }],
          },
        }),
      )
      .join('---\n');
    const { policySet } = await loadPolicyText(text, 'two.yaml');
    const selection = await select(checkerFor(policySet), ['1.0.9']);
    expect(selection.chosen).toBeUndefined();
    expect(selection.rejected).toEqual([
      expect.objectContaining({
        tag: '1.0.9',
        reason: 'unsigned',
        message: expect.stringMatching(/^failed policy: mirrored: .*no signatures found/),
      }),
    ]);
  });

  it('rejects an allowed verdict that verified no digest (a static pass), and a checker that throws', async () => {
    const text = stringify({
      apiVersion: 'policy.sigstore.dev/v1beta1',
      kind: 'ClusterImagePolicy',
      metadata: { name: 'anything-goes' },
      spec: { images: [{ glob: `${registry.host}/**` }], authorities: [{ static: { action: 'pass' } }] },
    });
    const { policySet } = await loadPolicyText(text, 'static.yaml');
    const staticPass = await select(checkerFor(policySet), ['1.0.11']);
    expect(staticPass.chosen).toBeUndefined();
    expect(staticPass.rejected).toEqual([
      { tag: '1.0.11', reason: 'invalid', message: expect.stringMatching(/names no verified digest/) },
    ]);

    // An engine that fails outright (deliberate misbehaviour) rejects the candidate; the next one wins.
    const exploding = checkerFor(await signedBy(release), {
      before: async (image) => {
        if (image.endsWith(':1.0.11')) throw new Error('engine exploded');
      },
    });
    const selection = await select(exploding, ['1.0.11', '1.0.9']);
    expect(selection.rejected).toEqual([{ tag: '1.0.11', reason: 'error', message: 'engine exploded' }]);
    expect(selection.chosen).toMatchObject({ tag: '1.0.9', digest: digests.get('1.0.9') });
  });
});

describe('pullability', () => {
  it('fetches the manifest, and every platform manifest of an index', async () => {
    const counting = new RegistryClient();
    try {
      const single = await checkPullable(counting, repo, digests.get('1.0.0') as string, {
        deadline: Deadline.after(5000),
      });
      expect(single).toEqual({ pullable: true, manifests: 1 });
      const index = await checkPullable(counting, repo, digests.get('multi') as string, {
        deadline: Deadline.after(5000),
      });
      expect(index).toEqual({ pullable: true, manifests: 3 });
      expect(counting.stats.count('manifest-get')).toBe(4);
    } finally {
      await counting.close();
    }
  });

  it('rejects a signed index whose platform manifest is gone, and takes the next candidate', async () => {
    const index = buildIndex({ seed: 'broken-index' });
    await pushArtifact(client, repo, index, '2.0.0');
    await signArtifact(client, repo, index, release);
    const armDigest = index.images[1]?.digest as string;
    const deleted = await fetch(`${registry.url}/v2/acme/app/manifests/${armDigest}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);
    const selection = await select(checkerFor(await signedBy(release)), ['2.0.0', '1.0.9']);
    expect(selection.rejected).toEqual([
      {
        tag: '2.0.0',
        digest: index.digest,
        reason: 'not-pullable',
        message: expect.stringMatching(new RegExp(`manifest .*acme/app@${armDigest} not found`)),
      },
    ]);
    expect(selection.chosen?.tag).toBe('1.0.9');
  });

  it('elects a signed index by its index digest when every platform manifest is there', async () => {
    const index = buildIndex({ seed: 'whole-index' });
    await pushArtifact(client, repo, index, '3.0.0');
    await signArtifact(client, repo, index, release);
    const selection = await select(checkerFor(await signedBy(release)), ['3.0.0']);
    expect(selection.chosen).toMatchObject({ tag: '3.0.0', digest: index.digest });
  });

  describe('a registry that refuses pulls with a message', () => {
    // A vulnerability-scanning proxy in front of the real registry: it passes everything through,
    // except that it answers 403 with its reason to a pull (GET) of the vulnerable manifest.
    let proxy: FakeRegistry;
    const proxied = { registry: '', repository: 'acme/proxied' };
    const good = buildImage({ seed: 'clean' });
    const vulnerable = buildImage({ seed: 'vulnerable' });
    beforeAll(async () => {
      const upstream = new URL(registry.url);
      proxy = await startFakeRegistry((incoming, outgoing) => {
        if (incoming.method === 'GET' && incoming.url === `/v2/acme/proxied/manifests/${vulnerable.digest}`) {
          outgoing.writeHead(403, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              errors: [
                { code: 'DENIED', message: 'pull blocked: image has critical vulnerability CVE-2026-0001' },
              ],
            }),
          );
          return;
        }
        const forwarded = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: incoming.method,
            path: incoming.url,
            headers: incoming.headers,
          },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
          },
        );
        forwarded.on('error', (error) => outgoing.writeHead(502).end(String(error)));
        incoming.pipe(forwarded);
      });
      const direct = { registry: registry.host, repository: proxied.repository };
      for (const [image, tag] of [
        [vulnerable, '3.0.0'],
        [good, '2.9.0'],
      ] as const) {
        await pushArtifact(client, direct, image, tag);
        await signArtifact(client, direct, image, release);
      }
      proxied.registry = proxy.host;
    });
    afterAll(async () => {
      await proxy?.stop();
    });

    it('rejects the candidate with the registry`s message and elects the next one', async () => {
      const proxyClient = new RegistryClient();
      try {
        const selection = await selectNewestVerified({
          image: `${proxy.host}/acme/proxied`,
          repository: proxied,
          candidates: ['3.0.0', '2.9.0'],
          checker: checkerFor(await signedBy(release, `${proxy.host}/**`)),
          registry: proxyClient,
          timeoutMs: 5000,
        });
        expect(selection.rejected).toEqual([
          {
            tag: '3.0.0',
            digest: vulnerable.digest,
            reason: 'not-pullable',
            message: expect.stringContaining('pull blocked: image has critical vulnerability CVE-2026-0001'),
          },
        ]);
        expect(selection.chosen).toMatchObject({ tag: '2.9.0', digest: good.digest });
      } finally {
        await proxyClient.close();
      }
    });
  });
});
