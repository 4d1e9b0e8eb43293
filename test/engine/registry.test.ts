/**
 * The engine and the registry: requests counted, artefacts shared, credentials per authority, a
 * registry that is down or too slow, the verdict and tag caches, and concurrent checks sharing one
 * evaluation. Real distribution registries throughout; a fake HTTP server only to stall on purpose.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCache } from '../../src/cache/index.js';
import { PolicyEngine, PullSecretClients, singleClient } from '../../src/policy/engine/index.js';
import { anonymous, RegistryClient, StaticCredentials } from '../../src/registry/index.js';
import type { PrivateKey } from '../../src/signature/index.js';
import { Deadline } from '../../src/util/deadline.js';
import {
  buildIndex,
  pushArtifact,
  startFakeRegistry,
  startRegistry,
  type TestRegistry,
} from '../harness/index.js';
import {
  cip,
  engineFor,
  keyAuthority,
  newKey,
  type PushedImage,
  policies,
  pushImage,
  sign,
} from './helpers.js';

describe('policy engine and the registry', () => {
  let registry: TestRegistry;
  let setup: RegistryClient;
  let keys: PrivateKey[];
  let image: PushedImage;

  beforeAll(async () => {
    registry = await startRegistry();
    setup = new RegistryClient();
    keys = await Promise.all([newKey(), newKey(), newKey()]);
    image = await pushImage(setup, registry.host, 'team/app');
    for (const key of keys) await sign(setup, image, key);
  });
  afterAll(async () => {
    await setup?.close();
    await registry?.stop();
  });

  const fiveByThree = () =>
    Array.from({ length: 5 }, (_, i) =>
      cip(`policy-${i}`, {
        images: [{ glob: `${registry.host}/team/**` }],
        authorities: keys.map((key, k) => ({ name: `key-${k}`, ...keyAuthority(key) })),
      }),
    );

  it('5 matching policies of 3 authorities make the requests of one key verification', async () => {
    const single = engineFor(
      await policies(
        cip('one', { images: [{ glob: '**' }], authorities: [keyAuthority(keys[0] as PrivateKey)] }),
      ),
    );
    const many = engineFor(await policies(...fiveByThree()));
    try {
      const one = await single.engine.check({ image: image.ref });
      const all = await many.engine.check({ image: image.ref });
      expect(one.allowed).toBe(true);
      expect(all.allowed).toBe(true);
      expect(all.policies).toHaveLength(5);
      expect(
        all.policies.every((p) => p.authorities.length === 3 && p.authorities.every((a) => a.passed)),
      ).toBe(true);
      // Resolve, the .sig manifest and the payload blob (the three keys signed the same payload):
      // once, whatever the number of authorities.
      expect(single.client.stats.snapshot()).toEqual({
        total: 3,
        byKind: { 'manifest-head': 1, 'manifest-get': 1, 'blob-get': 1 },
      });
      expect(many.client.stats.snapshot()).toEqual(single.client.stats.snapshot());
    } finally {
      await single.close();
      await many.close();
    }
  });

  it('a verdict comes from the cache the second time: cached, and no registry request', async () => {
    const { engine, client, close } = engineFor(await policies(...fiveByThree()));
    try {
      expect(engine.peek({ image: image.ref })).toBeUndefined();
      const first = await engine.check({ image: image.ref });
      expect(first.cached).toBeUndefined();
      const requests = client.stats.total;
      const second = await engine.check({ image: image.ref });
      expect(client.stats.total).toBe(requests);
      expect(second).toEqual({ ...first, cached: true });
      // The same digest asked another way: same policies, same verdict, named as asked.
      const pinned = await engine.check({ image: image.byDigest });
      expect(client.stats.total).toBe(requests);
      expect(pinned).toMatchObject({
        image: image.byDigest,
        cached: true,
        allowed: true,
        digest: image.digest,
      });
      expect(pinned.verifiedReference).toBe(image.byDigest);
      // peek() answers from the caches only (the tag through the TagCache).
      expect(engine.peek({ image: image.ref })).toMatchObject({ cached: true, allowed: true });
      expect(client.stats.total).toBe(requests);
      expect(engine.stats().cache.namespaces.verdict.writes).toBe(1);
    } finally {
      await close();
    }
  });

  it('concurrent checks of one image share one evaluation', async () => {
    const { engine, client, close } = engineFor(await policies(...fiveByThree()));
    try {
      const verdicts = await Promise.all(
        Array.from({ length: 8 }, () => engine.check({ image: image.byDigest })),
      );
      expect(verdicts.every((v) => v.allowed)).toBe(true);
      // One .sig manifest and its payload blob; no resolve (the digest was given).
      expect(client.stats.total).toBe(2);
    } finally {
      await close();
    }
  });

  it('signaturePullSecrets: signatures in a Basic-auth registry are read with the secret’s credentials', async () => {
    const locked = await startRegistry({ auth: 'basic' });
    const writer = new RegistryClient({
      credentials: new StaticCredentials({
        [locked.host]: { username: locked.username, password: locked.password },
      }),
    });
    try {
      const pushed = await pushImage(setup, registry.host, 'team/pull-secret');
      await sign(writer, pushed, keys[0] as PrivateKey, {
        signatureRepository: { registry: locked.host, repository: 'sigs/app' },
      });
      const secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'sigs-pull', namespace: 'cosign-system' },
        type: 'kubernetes.io/dockerconfigjson',
        stringData: {
          '.dockerconfigjson': JSON.stringify({
            auths: { [locked.host]: { username: locked.username, password: locked.password } },
          }),
        },
      };
      const policy = (pullSecrets: boolean) =>
        cip('p', {
          images: [{ glob: `${registry.host}/team/**` }],
          authorities: [
            keyAuthority(keys[0] as PrivateKey, {
              source: [
                {
                  oci: `${locked.host}/sigs/app`,
                  ...(pullSecrets && { signaturePullSecrets: [{ name: 'sigs-pull' }] }),
                },
              ],
            }),
          ],
        });
      const run = async (withSecret: boolean) => {
        const set = await policies(policy(withSecret), ...(withSecret ? [secret] : []));
        const defaultClient = new RegistryClient();
        const clients = await PullSecretClients.build(
          set,
          defaultClient,
          async (credentials) => new RegistryClient({ credentials }),
          anonymous,
        );
        const cache = new MemoryCache();
        const engine = new PolicyEngine({ policySet: set, clients, cache });
        try {
          return { verdict: await engine.check({ image: pushed.ref }), cache };
        } finally {
          await clients.close();
        }
      };
      const withSecret = await run(true);
      expect(withSecret.verdict.allowed).toBe(true);
      const without = await run(false);
      expect(without.verdict).toMatchObject({ allowed: false, failure: 'registry' });
      expect(without.verdict.errors[0]).toMatch(/registry failure while reading the signatures/);
      // A registry failure says nothing about the image: it is never cached.
      expect(without.cache.stats().namespaces.verdict.writes).toBe(0);
    } finally {
      await writer.close();
      await locked.stop();
    }
  });

  it('registry down: a registry failure, never cached; the next check after it is back verifies', async () => {
    const own = await startRegistry();
    const port = Number(own.host.split(':')[1]);
    const writer = new RegistryClient();
    const pushed = await pushImage(writer, own.host, 'team/flaky');
    await sign(writer, pushed, keys[1] as PrivateKey);
    await writer.close();
    const { engine, close } = engineFor(
      await policies(
        cip('p', {
          images: [{ glob: `${own.host}/**` }],
          authorities: [keyAuthority(keys[1] as PrivateKey)],
        }),
      ),
    );
    let restarted: TestRegistry | undefined;
    try {
      await own.stop({ keepStorage: true });
      const down = await engine.check({ image: pushed.byDigest });
      expect(down).toMatchObject({ allowed: false, failure: 'registry', digest: pushed.digest });
      expect(engine.stats().cache.namespaces.verdict.writes).toBe(0);
      restarted = await startRegistry({ storageDir: own.storageDir, port });
      const up = await engine.check({ image: pushed.byDigest });
      expect(up).toMatchObject({ allowed: true });
      expect(up.cached).toBeUndefined();
    } finally {
      await close();
      await restarted?.stop();
    }
  });

  it('fetchConfigFile: the CEL input holds the config of every platform of an index', async () => {
    const index = buildIndex({ seed: `engine-config-${process.pid}` });
    await pushArtifact(setup, { registry: registry.host, repository: 'team/multi' }, index, 'v1');
    const policy = (data: string) =>
      cip('platforms', {
        images: [{ glob: `${registry.host}/team/multi*` }],
        authorities: [{ static: { action: 'pass' } }],
        policy: { type: 'cel', data, fetchConfigFile: true },
      });
    const run = async (data: string) => {
      const { engine, client, close } = engineFor(await policies(policy(data)));
      try {
        return {
          verdict: await engine.check({ image: `${registry.host}/team/multi:v1` }),
          requests: client.stats.total,
        };
      } finally {
        await close();
      }
    };
    const both = await run(
      'config["linux/amd64"].architecture == "amd64" && config["linux/arm64/v8"].variant == "v8" && size(config) == 2',
    );
    expect(both.verdict).toMatchObject({ allowed: true, digest: index.digest });
    // Resolve, the index, two platform manifests, two config blobs.
    expect(both.requests).toBe(6);
    const amd64Only = await run('size(config) == 1');
    expect(amd64Only.verdict).toMatchObject({ allowed: false, failure: 'policy' });
  });

  it('the deadline passes mid-evaluation: a timeout naming the image, the budget and the registry’s last problem', async () => {
    let signatureAsks = 0;
    const fake = await startFakeRegistry((request, response) => {
      if (request.url === '/v2/') {
        response.writeHead(200).end('{}');
        return;
      }
      if (request.url?.includes('/manifests/sha256-')) {
        signatureAsks++;
        // First a throttle, then a registry that never answers.
        if (signatureAsks === 1) {
          response.writeHead(429, { 'retry-after': '0' }).end();
          return;
        }
        return new Promise<void>(() => undefined);
      }
      response.writeHead(404).end();
    });
    const digest = `sha256:${'a'.repeat(64)}`;
    const set = await policies(
      cip('p', { images: [{ glob: '**' }], authorities: [keyAuthority(keys[0] as PrivateKey)] }),
    );
    const cache = new MemoryCache();
    let engine: PolicyEngine | undefined;
    const client = new RegistryClient({ onRequest: (event) => engine?.recordRequest(event) });
    engine = new PolicyEngine({ policySet: set, clients: singleClient(client), cache });
    try {
      const image = `${fake.host}/slow/app@${digest}`;
      const verdict = await engine.check({ image }, { deadline: Deadline.after(600) });
      expect(verdict).toMatchObject({ image, allowed: false, failure: 'timeout' });
      // The last thing the registry did: throttle, or (when the stalled request is cut off first) nothing.
      expect(verdict.errors).toHaveLength(1);
      expect(verdict.errors[0]).toMatch(
        new RegExp(
          `^verification of ${image.replace(/[.]/g, '\\.')} did not finish in 600 ms: registry ${fake.host.replace(/[.]/g, '\\.')} (answered 429|did not answer in time)$`,
        ),
      );
      expect(cache.stats().namespaces.verdict.writes).toBe(0);
    } finally {
      await client.close();
      await fake.stop();
    }
  });
});
