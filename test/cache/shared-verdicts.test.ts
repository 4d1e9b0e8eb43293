/**
 * The verdict cache shared through a real redis-server: two vouch processes share verdicts, a forged
 * entry written straight into Redis is refused (the engine verifies again), and Redis dying mid-run
 * degrades to direct verification without blocking or failing open.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { seal } from '../../src/cache/index.js';
import { RedisCache } from '../../src/cache/redis.js';
import { PolicyEngine, singleClient } from '../../src/policy/engine/index.js';
import type { PolicySet } from '../../src/policy/index.js';
import { RegistryClient } from '../../src/registry/index.js';
import type { PrivateKey } from '../../src/signature/index.js';
import { Deadline } from '../../src/util/deadline.js';
import { cip, keyAuthority, newKey, type PushedImage, policies, pushImage, sign } from '../engine/helpers.js';
import {
  runVouch,
  startRedis,
  startRegistry,
  type TestRedis,
  type TestRegistry,
  tempDir,
} from '../harness/index.js';

const HMAC_KEY = 'a shared secret of at least thirty-two bytes, for tests';

describe('verdicts shared through Redis', () => {
  let redis: TestRedis;
  let registry: TestRegistry;
  let key: PrivateKey;
  let signed: PushedImage;
  let unsigned: PushedImage;
  let policyFile: string;
  let set: PolicySet;

  beforeAll(async () => {
    redis = await startRedis();
    registry = await startRegistry();
    key = await newKey();
    const client = new RegistryClient();
    signed = await pushImage(client, registry.host, 'shared/app');
    await sign(client, signed, key);
    unsigned = await pushImage(client, registry.host, 'shared/unsigned');
    await client.close();
    const policy = cip('release', {
      images: [{ glob: `${registry.host}/shared/**` }],
      authorities: [keyAuthority(key)],
    });
    set = await policies(policy);
    const dir = await tempDir('shared-verdicts');
    policyFile = join(dir, 'policy.yaml');
    await writeFile(policyFile, stringify(policy));
  });
  afterAll(async () => {
    await registry?.stop();
    await redis?.stop();
  });

  const vouch = (...images: string[]) =>
    runVouch(['verify', '--policy', policyFile, '--cache', redis.url, ...images], {
      env: { VOUCH_CACHE_HMAC_KEY: HMAC_KEY },
    });

  async function redisKeys(pattern: string): Promise<string[]> {
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      return await client.keys(pattern);
    } finally {
      await client.close();
    }
  }

  async function redisSet(key: string, value: string): Promise<void> {
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      await client.set(key, value, { expiration: { type: 'PX', value: 60_000 } });
    } finally {
      await client.close();
    }
  }

  function engine(cache: RedisCache) {
    const client = new RegistryClient();
    return { engine: new PolicyEngine({ policySet: set, clients: singleClient(client), cache }), client };
  }

  it('a second vouch process answers from the first one’s verdict, with the registry stopped', async () => {
    const first = await vouch(signed.byDigest);
    expect(first.stdout).toBe(`✔ ${signed.byDigest} verified (policy release)\n`);
    expect(first.code).toBe(0);
    expect(await redisKeys(`vouch:verdict:*:${signed.digest}`)).toHaveLength(1);

    await registry.stop({ keepStorage: true });
    try {
      const second = await vouch(signed.byDigest);
      expect(second.stdout).toBe(`✔ ${signed.byDigest} verified (policy release)\n`);
      expect(second.code).toBe(0);
      // Without the shared cache the same check cannot be made now.
      const alone = await runVouch(['verify', '--policy', policyFile, signed.byDigest]);
      expect(alone.code).toBe(1);
      expect(alone.stdout).toContain('registry failure');
    } finally {
      const port = Number(registry.host.split(':')[1]);
      registry = await startRegistry({ storageDir: registry.storageDir, port });
    }
  });

  it('a forged "allowed" written into Redis is refused: the engine verifies again and denies', async () => {
    const denied = await vouch(unsigned.byDigest);
    expect(denied.code).toBe(1);
    const [entry] = await redisKeys(`vouch:verdict:*:${unsigned.digest}`);
    expect(entry).toBeDefined();
    const redisKey = entry as string;
    const forgedVerdict = JSON.stringify({
      image: unsigned.byDigest,
      digest: unsigned.digest,
      verifiedReference: unsigned.byDigest,
      allowed: true,
      errors: [],
      warnings: [],
      policies: [{ name: 'release', mode: 'enforce', passed: true, authorities: [] }],
    });
    // Sealed with a key that is not vouch's, and not sealed at all.
    const namespaceKey = redisKey.slice('vouch:verdict:'.length);
    for (const forged of [
      seal(Buffer.from('x'.repeat(40)), 'verdict', namespaceKey, forgedVerdict, Date.now() + 60_000),
      forgedVerdict,
    ]) {
      await redisSet(redisKey, forged);
      const again = await vouch(unsigned.byDigest);
      expect(again.stdout).toMatch(
        new RegExp(`^✘ ${unsigned.byDigest.replace(/[.]/g, '\\.')}: failed policy: release: `),
      );
      expect(again.code).toBe(1);
    }

    // In process, the refusal is counted and the verdict is evaluated afresh.
    await redisSet(
      redisKey,
      seal(Buffer.from('y'.repeat(40)), 'verdict', namespaceKey, forgedVerdict, Date.now() + 60_000),
    );
    const cache = await RedisCache.connect({ url: redis.url, hmacKey: Buffer.from(HMAC_KEY) });
    const { engine: checker, client } = engine(cache);
    try {
      const verdict = await checker.check({ image: unsigned.byDigest });
      expect(verdict).toMatchObject({ allowed: false, failure: 'signature' });
      expect(verdict.cached).toBeUndefined();
      expect(client.stats.total).toBeGreaterThan(0);
      expect(cache.stats().namespaces.verdict.forged).toBe(1);
    } finally {
      await client.close();
      await cache.close();
    }
  });

  it('Redis killed mid-run: checks go on by direct verification, reported as degraded, never blocked', async () => {
    const own = await startRedis();
    const cache = await RedisCache.connect({ url: own.url, hmacKey: Buffer.from(HMAC_KEY) });
    const { engine: checker, client } = engine(cache);
    try {
      const first = await checker.check({ image: signed.byDigest });
      expect(first.allowed).toBe(true);
      expect((await checker.check({ image: signed.byDigest })).cached).toBe(true);
      expect(cache.stats().degraded).toBe(false);

      await own.stop();
      const before = client.stats.total;
      const deadline = Deadline.after(5_000);
      const after = await checker.check({ image: signed.byDigest }, { deadline });
      expect(after).toMatchObject({ allowed: true, digest: signed.digest });
      expect(after.cached).toBeUndefined();
      expect(client.stats.total).toBeGreaterThan(before);
      expect(deadline.expired).toBe(false);
      expect(cache.stats().degraded).toBe(true);
      // A denial is never the cache's fault either: the unsigned image is still denied for what it is.
      expect(await checker.check({ image: unsigned.byDigest })).toMatchObject({
        allowed: false,
        failure: 'signature',
      });
    } finally {
      await client.close();
      await cache.close();
    }
  });
});
