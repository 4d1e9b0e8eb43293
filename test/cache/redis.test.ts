/**
 * The Redis backend against a real redis-server: entries shared between clients, forged entries
 * refused, and a Redis that dies, stalls or never was degrading to misses without blocking.
 */
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CacheLogger,
  createCache,
  loadHmacKey,
  seal,
  TagCache,
  VerdictCache,
} from '../../src/cache/index.js';
import { RedisCache } from '../../src/cache/redis.js';
import { Deadline } from '../../src/util/deadline.js';
import {
  freePort,
  type ManagedProcess,
  startProcess,
  startRedis,
  type TestRedis,
  tempDir,
  waitFor,
} from '../harness/index.js';

const KEY = Buffer.from('k'.repeat(40));
const FINGERPRINT = 'a'.repeat(64);
const DIGEST = `sha256:${'1'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'2'.repeat(64)}`;
const REPOSITORY = 'registry.example/app';
/** The verdict cache key of (FINGERPRINT, REPOSITORY, digest). */
const about = (digest: string, fingerprint = FINGERPRINT) => ({
  fingerprint,
  repository: REPOSITORY,
  digest,
});

interface TestVerdict {
  image: string;
  allowed: boolean;
  errors: string[];
  warnings: string[];
  policies: { passed: boolean; authorities: { passed: boolean; failure?: string }[] }[];
  failure?: string;
  cached?: boolean;
}

const passed: TestVerdict = {
  image: 'registry.example/app@' + DIGEST,
  allowed: true,
  errors: [],
  warnings: [],
  policies: [{ passed: true, authorities: [{ passed: true }] }],
};

function recordingLogger(): CacheLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn: (_fields, message) => lines.push(`warn ${message}`),
    info: (_fields, message) => lines.push(`info ${message}`),
  };
}

describe('Redis cache', () => {
  let redis: TestRedis;
  let raw: ReturnType<typeof createClient>;
  const caches: RedisCache[] = [];

  async function connect(url = redis.url, extra: Partial<Parameters<typeof RedisCache.connect>[0]> = {}) {
    const cache = await RedisCache.connect({ url, hmacKey: KEY, ...extra });
    caches.push(cache);
    return cache;
  }

  beforeAll(async () => {
    redis = await startRedis();
    raw = createClient({ url: redis.url });
    raw.on('error', () => {});
    await raw.connect();
  });
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
    if (raw.isReady) await raw.flushAll();
  });
  afterAll(async () => {
    if (raw.isOpen) raw.destroy();
    await redis?.stop();
  });

  it('shares verdicts between two clients', async () => {
    const a = new VerdictCache<TestVerdict>(await connect());
    const b = new VerdictCache<TestVerdict>(await connect());
    expect(await b.get(about(DIGEST))).toBeUndefined();
    expect(await a.put(about(DIGEST), passed)).toBe(true);
    const fromB = await b.get(about(DIGEST));
    expect(fromB).toEqual({ ...passed, cached: true });
    expect(await b.get(about(OTHER_DIGEST))).toBeUndefined();
    expect(await b.get(about(DIGEST, 'b'.repeat(64)))).toBeUndefined();
  });

  it('counts hits, misses and writes per namespace', async () => {
    const backend = await connect();
    const verdicts = new VerdictCache<TestVerdict>(backend);
    const tags = new TagCache(backend);
    await verdicts.get(about(DIGEST));
    await verdicts.put(about(DIGEST), passed);
    await verdicts.get(about(DIGEST));
    await tags.put('registry.example/app:v1', { digest: DIGEST });
    expect(await tags.get('registry.example/app:v1')).toEqual({ digest: DIGEST });
    const stats = backend.stats();
    expect(stats.backend).toBe('redis');
    expect(stats.degraded).toBe(false);
    expect(stats.namespaces.verdict).toEqual({ hits: 1, misses: 1, writes: 1, forged: 0, errors: 0 });
    expect(stats.namespaces.tag).toEqual({ hits: 1, misses: 0, writes: 1, forged: 0, errors: 0 });
  });

  it('refuses a value larger than any vouch writes without reading it whole, and counts it as forged', async () => {
    const logger = recordingLogger();
    const backend = await connect(redis.url, { logger, maxValueBytes: 64 * 1024 });
    const verdicts = new VerdictCache<TestVerdict>(backend);
    const key = `vouch:verdict:${FINGERPRINT}:${REPOSITORY}:${DIGEST}`;
    // 20 MB under a key the engine reads (issue 15 item 7: a 300 MB value pushed a replica to 1 GB).
    await raw.set(key, 'x'.repeat(20 * 1024 * 1024));
    const sent = async () => Number(/total_net_output_bytes:(\d+)/.exec(await raw.info('stats'))?.[1]);
    const before = await sent();
    expect(await verdicts.get(about(DIGEST))).toBeUndefined();
    // What left Redis for that read (and this INFO call): the limit and a little, not 20 MB.
    expect((await sent()) - before).toBeLessThan(256 * 1024);
    expect(backend.stats().namespaces.verdict).toMatchObject({ forged: 1, hits: 0, errors: 0 });
    expect(logger.lines.some((line) => line.includes('larger than 65536 bytes'))).toBe(true);

    // And vouch does not write what it would refuse to read.
    const big = { ...passed, errors: ['e'.repeat(100 * 1024)] };
    await verdicts.put(about(OTHER_DIGEST), { ...big, allowed: false });
    expect(await raw.exists(`vouch:verdict:${FINGERPRINT}:${REPOSITORY}:${OTHER_DIGEST}`)).toBe(0);
    // A missing key is a miss, not an empty value.
    expect(await backend.get('verdict', 'nothing-here')).toBeUndefined();
    expect(backend.stats().namespaces.verdict.forged).toBe(1);
  });

  it('stores entries with the Redis expiry of their TTL', async () => {
    const backend = await connect();
    await new VerdictCache<TestVerdict>(backend, { passMs: 60_000 }).put(about(DIGEST), passed);
    const ttl = await raw.pTTL(`vouch:verdict:${FINGERPRINT}:${REPOSITORY}:${DIGEST}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('rejects a forged entry written directly into Redis, and counts and logs it', async () => {
    const logger = recordingLogger();
    const backend = await connect(redis.url, { logger });
    const verdicts = new VerdictCache<TestVerdict>(backend);
    const key = `vouch:verdict:${FINGERPRINT}:${REPOSITORY}:${DIGEST}`;

    // A plain "allowed" verdict, as someone with write access to Redis but not the key would write it.
    await raw.set(key, JSON.stringify(passed));
    expect(await verdicts.get(about(DIGEST))).toBeUndefined();

    // Sealed with another key.
    await raw.set(
      key,
      seal(
        Buffer.from('x'.repeat(40)),
        'verdict',
        `${FINGERPRINT}:${REPOSITORY}:${DIGEST}`,
        JSON.stringify(passed),
        Date.now() + 60_000,
      ),
    );
    expect(await verdicts.get(about(DIGEST))).toBeUndefined();

    // A genuine entry for another image, copied onto this image's key.
    await verdicts.put(about(OTHER_DIGEST), passed);
    await raw.set(
      key,
      (await raw.get(`vouch:verdict:${FINGERPRINT}:${REPOSITORY}:${OTHER_DIGEST}`)) as string,
    );
    expect(await verdicts.get(about(DIGEST))).toBeUndefined();

    // A genuine denial with its payload flipped to "allowed".
    await verdicts.put(about(DIGEST), {
      ...passed,
      allowed: false,
      errors: ['failed policy: p: no signatures found'],
    });
    const genuine = (await raw.get(key)) as string;
    await raw.set(key, genuine.replace('"allowed":false', '"allowed":true'));
    expect(await verdicts.get(about(DIGEST))).toBeUndefined();

    expect(backend.stats().namespaces.verdict.forged).toBe(4);
    expect(backend.stats().namespaces.verdict.hits).toBe(0);
    expect(logger.lines.some((line) => line.includes('fails its HMAC check'))).toBe(true);

    // The genuine denial itself still reads back.
    await raw.set(key, genuine);
    expect((await verdicts.get(about(DIGEST)))?.allowed).toBe(false);
  });

  it('treats a sealed entry past its sealed expiry as absent even if Redis still holds it', async () => {
    const backend = await connect();
    const key = `${FINGERPRINT}:${REPOSITORY}:${DIGEST}`;
    await raw.set(
      `vouch:verdict:${key}`,
      seal(KEY, 'verdict', key, JSON.stringify(passed), Date.now() - 1000),
    );
    expect(await new VerdictCache<TestVerdict>(backend).get(about(DIGEST))).toBeUndefined();
    expect(backend.stats().namespaces.verdict.forged).toBe(0);
  });

  it('gives up when the caller deadline has passed', async () => {
    const backend = await connect();
    const verdicts = new VerdictCache<TestVerdict>(backend);
    await verdicts.put(about(DIGEST), passed);
    const expired = Deadline.after(0);
    expect(await verdicts.get(about(DIGEST), { deadline: expired })).toBeUndefined();
    expect(backend.stats().namespaces.verdict.errors).toBe(1);
    expect(await verdicts.get(about(DIGEST))).toBeDefined();
  });

  it('keeps separate deployments apart with a key prefix', async () => {
    const a = new VerdictCache<TestVerdict>(await connect(redis.url, { keyPrefix: 'team-a:' }));
    const b = new VerdictCache<TestVerdict>(await connect(redis.url, { keyPrefix: 'team-b:' }));
    await a.put(about(DIGEST), passed);
    expect(await b.get(about(DIGEST))).toBeUndefined();
  });
});

describe('Redis cache failures', () => {
  const caches: RedisCache[] = [];
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
  });

  function startRedisOn(port: number, dir: string): ManagedProcess {
    return startProcess('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ]);
  }

  it('degrades to misses when Redis is killed mid-run, and recovers when it is back', async () => {
    const port = await freePort();
    const dir = await tempDir('redis-kill');
    let server = startRedisOn(port, dir);
    const url = `redis://127.0.0.1:${port}`;
    const ping = async () => {
      const probe = createClient({ url, socket: { reconnectStrategy: false } });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        if (probe.isOpen) probe.destroy();
      }
    };
    await waitFor('redis-server', ping);
    const logger = recordingLogger();
    const backend = await RedisCache.connect({ url, hmacKey: KEY, logger });
    caches.push(backend);
    const verdicts = new VerdictCache<TestVerdict>(backend);
    await verdicts.put(about(DIGEST), passed);
    expect((await verdicts.get(about(DIGEST)))?.allowed).toBe(true);

    await server.stop();
    await waitFor('the client to notice', async () => backend.stats().degraded);
    expect(await verdicts.get(about(DIGEST))).toBeUndefined();
    await verdicts.put(about(OTHER_DIGEST), passed);
    const stats = backend.stats();
    expect(stats.degraded).toBe(true);
    expect(stats.namespaces.verdict.errors).toBe(2);
    expect(stats.namespaces.verdict.misses).toBe(1);
    expect(logger.lines.some((line) => line.startsWith('warn cache: Redis failed'))).toBe(true);

    server = startRedisOn(port, dir);
    try {
      await waitFor('the client to reconnect', async () => !backend.stats().degraded, 15_000);
      await verdicts.put(about(DIGEST), passed);
      expect((await verdicts.get(about(DIGEST)))?.allowed).toBe(true);
      expect(logger.lines.some((line) => line.startsWith('info cache: Redis is reachable'))).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('does not wait for a Redis that stops answering (process stopped with SIGSTOP)', async () => {
    const redis = await startRedis();
    const backend = await RedisCache.connect({ url: redis.url, hmacKey: KEY, commandTimeoutMs: 100 });
    caches.push(backend);
    const verdicts = new VerdictCache<TestVerdict>(backend);
    await verdicts.put(about(DIGEST), passed);
    process.kill(redis.process.pid, 'SIGSTOP');
    try {
      expect(await verdicts.get(about(DIGEST))).toBeUndefined();
      expect(backend.stats().namespaces.verdict.errors).toBe(1);
      expect(backend.stats().degraded).toBe(true);
    } finally {
      process.kill(redis.process.pid, 'SIGCONT');
    }
    try {
      // Answering again clears the degradation without a reconnect.
      await waitFor('Redis to answer again', async () => (await verdicts.get(about(DIGEST))) !== undefined);
      expect(backend.stats().degraded).toBe(false);
    } finally {
      await backend.close();
      await redis.stop();
    }
  });

  it('starts degraded when Redis is not there at all', async () => {
    const port = await freePort();
    const logger = recordingLogger();
    const backend = await RedisCache.connect({
      url: `redis://127.0.0.1:${port}`,
      hmacKey: KEY,
      logger,
      connectTimeoutMs: 200,
    });
    caches.push(backend);
    const verdicts = new VerdictCache<TestVerdict>(backend);
    expect(await verdicts.get(about(DIGEST))).toBeUndefined();
    expect(await verdicts.put(about(DIGEST), passed)).toBe(true);
    expect(backend.stats()).toMatchObject({
      degraded: true,
      namespaces: { verdict: { errors: 2, misses: 1, hits: 0 } },
    });
    expect(logger.lines.some((line) => line.includes('not reachable'))).toBe(true);
  });
});

describe('cache configuration', () => {
  it('needs an HMAC key of at least 32 bytes for Redis', async () => {
    await expect(loadHmacKey({ environment: {} })).rejects.toThrow(
      /needs an HMAC key: set VOUCH_CACHE_HMAC_KEY/,
    );
    await expect(loadHmacKey({ environment: { VOUCH_CACHE_HMAC_KEY: 'short' } })).rejects.toThrow(
      'the cache HMAC key from $VOUCH_CACHE_HMAC_KEY is 5 bytes; it must be at least 32',
    );
    expect((await loadHmacKey({ environment: { VOUCH_CACHE_HMAC_KEY: 'z'.repeat(32) } })).length).toBe(32);
  });

  it('reads the HMAC key from a file, dropping the final newline', async () => {
    const { writeFile } = await import('node:fs/promises');
    const dir = await tempDir('hmac');
    await writeFile(`${dir}/key`, `${'q'.repeat(40)}\n`);
    expect((await loadHmacKey({ file: `${dir}/key` })).toString()).toBe('q'.repeat(40));
    await expect(loadHmacKey({ file: `${dir}/missing` })).rejects.toThrow(
      /cannot read the cache HMAC key file/,
    );
  });

  it('refuses cache specs it cannot use', async () => {
    await expect(createCache('memcached://x')).rejects.toThrow(
      '--cache must be "memory" or a redis:// or rediss:// URL',
    );
    await expect(createCache('redis://127.0.0.1:1', { hmacKeyEnv: 'VOUCH_TEST_UNSET_KEY' })).rejects.toThrow(
      /VOUCH_TEST_UNSET_KEY/,
    );
    const memory = await createCache(undefined);
    expect(memory.kind).toBe('memory');
  });
});
