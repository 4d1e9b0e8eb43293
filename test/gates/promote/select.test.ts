import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPullable } from '../../../src/gates/promote/pullable.js';
import { selectNewestVerified } from '../../../src/gates/promote/select.js';
import type { ImageChecker, Verdict } from '../../../src/policy/verdict.js';
import { RegistryClient, type Repository } from '../../../src/registry/index.js';
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
import { StandInChecker } from './helpers.js';

let registry: TestRegistry;
let client: RegistryClient;
let repo: Repository;
const digests = new Map<string, string>();
const TAGS = Array.from({ length: 12 }, (_, i) => `1.0.${11 - i}`); // newest first

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient();
  repo = { registry: registry.host, repository: 'acme/app' };
  for (const tag of TAGS)
    digests.set(tag, await pushArtifact(client, repo, buildImage({ seed: `app-${tag}` }), tag));
  digests.set('multi', await pushArtifact(client, repo, buildIndex({ seed: 'app-multi' }), 'multi'));
});

afterAll(async () => {
  await client?.close();
  await registry?.stop();
});

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
    const checker = new StandInChecker(client, (tag) =>
      tag === '1.0.11'
        ? { allow: false, reason: 'unsigned' }
        : tag === '1.0.10'
          ? { allow: false, reason: 'wrong-signer' }
          : { allow: true },
    );
    const selection = await select(checker, TAGS);
    expect(selection.chosen).toMatchObject({ tag: '1.0.9', digest: digests.get('1.0.9') });
    expect(selection.chosen?.verifiedReference).toBe(
      `${registry.host}/acme/app:1.0.9@${digests.get('1.0.9')}`,
    );
    expect(selection.rejected).toEqual([
      {
        tag: '1.0.11',
        digest: digests.get('1.0.11'),
        reason: 'unsigned',
        message: 'failed policy: release: no signatures found',
      },
      {
        tag: '1.0.10',
        digest: digests.get('1.0.10'),
        reason: 'wrong-signer',
        message: 'failed policy: release: no signature verified with the key',
      },
    ]);
  });

  it('verifies a few at a time, never more than the concurrency', async () => {
    const checker = new StandInChecker(client, () => ({ allow: false, reason: 'unsigned' }), { delayMs: 5 });
    const selection = await select(checker, TAGS, client, 3);
    expect(selection.chosen).toBeUndefined();
    expect(selection.examined).toBe(TAGS.length);
    expect(selection.rejected.map((r) => r.tag)).toEqual(TAGS);
    expect(checker.maxInFlight).toBe(3);
  });

  it('stops as soon as the newest passing candidate is known: nothing older is started, nothing more is asked', async () => {
    const winner = '1.0.6'; // index 5
    const checker = new StandInChecker(
      client,
      (tag) =>
        TAGS.indexOf(tag) >= TAGS.indexOf(winner) ? { allow: true } : { allow: false, reason: 'unsigned' },
      { delayMs: 20 },
    );
    const counting = new RegistryClient();
    try {
      const selection = await select(checker, TAGS, counting, 4);
      expect(selection.chosen?.tag).toBe(winner);
      // Started in order, at most `concurrency - 1` past the winner before it was known.
      const started = checker.calls.map((image) => image.split(':').pop());
      expect(started.slice(0, 6)).toEqual(TAGS.slice(0, 6));
      expect(started.length).toBeLessThanOrEqual(6 + 3);
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
    const checker = new StandInChecker(
      client,
      (tag) => (tag === '1.0.11' ? { allow: true } : { allow: false, reason: 'unsigned' }),
      {
        delayMs: (tag) => (tag === '1.0.11' ? 0 : 300),
      },
    );
    const selection = await select(checker, TAGS);
    expect(selection.chosen?.tag).toBe('1.0.11');
    expect(selection.examined).toBe(1);
    expect(checker.calls).toHaveLength(4);
    // The three older ones were in flight; their deadlines were cancelled and the loop waited for them.
    expect(checker.cancelled.map((image) => image.split(':').pop()).sort()).toEqual([
      '1.0.10',
      '1.0.8',
      '1.0.9',
    ]);
  });

  it('changes nothing for an empty candidate list', async () => {
    const checker = new StandInChecker(client, () => ({ allow: true }));
    const selection = await select(checker, []);
    expect(selection).toEqual({ rejected: [], examined: 0 });
    expect(checker.calls).toEqual([]);
  });

  it('writes the verified digest, not what the tag points at after verification', async () => {
    const moved = buildImage({ seed: 'moved-after-verification' });
    let verified: string | undefined;
    const checker = new StandInChecker(client, () => ({ allow: true }), {
      afterResolve: async (image, digest) => {
        if (!image.endsWith(':repointed') || verified) return;
        verified = digest;
        await pushArtifact(client, repo, moved, 'repointed');
      },
    });
    await pushArtifact(client, repo, buildImage({ seed: 'before-repoint' }), 'repointed');
    const selection = await select(checker, ['repointed']);
    expect(verified).toBeDefined();
    expect(selection.chosen?.digest).toBe(verified);
    const now = await client.resolve({ ...repo, tag: 'repointed' });
    expect(now.digest).toBe(moved.digest);
    expect(selection.chosen?.digest).not.toBe(now.digest);
  });

  it('rejects a checker that throws, and an allowed verdict without a digest', async () => {
    const checker: ImageChecker = {
      async check(request): Promise<Verdict> {
        if (request.image.endsWith(':1.0.11')) throw new Error('engine exploded');
        if (request.image.endsWith(':1.0.10'))
          return { image: request.image, allowed: true, errors: [], warnings: [], policies: [] };
        return {
          image: request.image,
          allowed: true,
          digest: digests.get('1.0.9'),
          errors: [],
          warnings: ['warn mode'],
          policies: [],
        };
      },
      cached: async () => undefined,
    };
    const selection = await select(checker, TAGS.slice(0, 3));
    expect(selection.rejected).toEqual([
      { tag: '1.0.11', reason: 'error', message: 'engine exploded' },
      { tag: '1.0.10', reason: 'invalid', message: expect.stringMatching(/names no verified digest/) },
    ]);
    expect(selection.chosen).toMatchObject({ tag: '1.0.9', warnings: ['warn mode'] });
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

  it('rejects an index whose platform manifest is gone, and takes the next candidate', async () => {
    const index = buildIndex({ seed: 'broken-index' });
    await pushArtifact(client, repo, index, '2.0.0');
    const armDigest = index.images[1]?.digest as string;
    const deleted = await fetch(`${registry.url}/v2/acme/app/manifests/${armDigest}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);
    const checker = new StandInChecker(client, () => ({ allow: true }));
    const selection = await select(checker, ['2.0.0', '1.0.11']);
    expect(selection.rejected).toEqual([
      {
        tag: '2.0.0',
        digest: index.digest,
        reason: 'not-pullable',
        message: expect.stringMatching(new RegExp(`manifest .*acme/app@${armDigest} not found`)),
      },
    ]);
    expect(selection.chosen?.tag).toBe('1.0.11');
  });

  describe('a registry that refuses pulls with a message', () => {
    let fake: FakeRegistry;
    const good = buildImage({ seed: 'clean' });
    const vulnerable = buildImage({ seed: 'vulnerable' });
    beforeAll(async () => {
      fake = await startFakeRegistry((request, response) => {
        if (request.url === '/v2/') {
          response.writeHead(200).end('{}');
        } else if (request.url === `/v2/acme/app/manifests/${vulnerable.digest}`) {
          response.writeHead(403, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              errors: [
                { code: 'DENIED', message: 'pull blocked: image has critical vulnerability CVE-2026-0001' },
              ],
            }),
          );
        } else if (request.url === `/v2/acme/app/manifests/${good.digest}`) {
          response
            .writeHead(200, { 'content-type': good.mediaType, 'docker-content-digest': good.digest })
            .end(Buffer.from(good.manifest));
        } else {
          response.writeHead(404).end();
        }
      });
    });
    afterAll(async () => {
      await fake?.stop();
    });

    it('rejects the candidate with the registry`s message and elects the next one', async () => {
      const fakeClient = new RegistryClient();
      const verdicts: Record<string, string> = { '3.0.0': vulnerable.digest, '2.9.0': good.digest };
      const checker: ImageChecker = {
        async check(request): Promise<Verdict> {
          const tag = request.image.split(':').pop() as string;
          return {
            image: request.image,
            allowed: true,
            digest: verdicts[tag],
            errors: [],
            warnings: [],
            policies: [],
          };
        },
        cached: async () => undefined,
      };
      try {
        const selection = await selectNewestVerified({
          image: `${fake.host}/acme/app`,
          repository: { registry: fake.host, repository: 'acme/app' },
          candidates: ['3.0.0', '2.9.0'],
          checker,
          registry: fakeClient,
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
        await fakeClient.close();
      }
    });
  });
});
