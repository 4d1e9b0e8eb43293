/**
 * Signatures live per repository: the same digest pushed to two repositories is signed in one and not
 * in the other. A verdict is therefore about (policies, repository, digest), and one made for one
 * repository never answers for another — neither from the cache nor from a verification in flight.
 * Otherwise one dry-run Pod naming `any/repo@<digest of a signed image>` caches "no signatures" and
 * the signed image is denied for as long as the denial lives, with a message about the other repository
 * (issue 15, item 2).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheBackend } from '../../src/cache/index.js';
import { RedisCache } from '../../src/cache/redis.js';
import type { PolicySet } from '../../src/policy/index.js';
import { RegistryClient } from '../../src/registry/index.js';
import type { PrivateKey } from '../../src/signature/index.js';
import { startRedis, startRegistry, type TestRedis, type TestRegistry } from '../harness/index.js';
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

describe('verdicts are about the repository that was asked about', () => {
  let registry: TestRegistry;
  let redis: TestRedis;
  let key: PrivateKey;
  let signed: PushedImage;
  let set: PolicySet;
  /** The signed image's digest named in a repository where nobody signed it (it does not even exist). */
  let elsewhere: string;

  beforeAll(async () => {
    [registry, redis] = await Promise.all([startRegistry(), startRedis()]);
    const setup = new RegistryClient();
    key = await newKey();
    signed = await pushImage(setup, registry.host, 'team/app', 'v1');
    await sign(setup, signed, key);
    await setup.close();
    elsewhere = `${registry.host}/any/repo@${signed.digest}`;
    set = await policies(
      cip('everything-signed', {
        images: [{ glob: `${registry.host}/**` }],
        authorities: [keyAuthority(key)],
      }),
    );
  });
  afterAll(async () => {
    await registry?.stop();
    await redis?.stop();
  });

  const mentions = (errors: readonly string[], text: string) => errors.some((error) => error.includes(text));

  const caches: Array<[string, () => Promise<CacheBackend | undefined>]> = [
    ['memory', async () => undefined],
    ['redis', async () => RedisCache.connect({ url: redis.url, hmacKey: randomBytes(32) })],
  ];

  describe.each(caches)('%s cache', (_name, openCache) => {
    async function engine() {
      const cache = await openCache();
      const built = engineFor(set, cache ? { cache } : {});
      return {
        ...built,
        async close() {
          await built.close();
          await cache?.close();
        },
      };
    }

    it('a denial cached for another repository does not deny the signed image', async () => {
      const { engine: checker, close } = await engine();
      try {
        const poison = await checker.check({ image: elsewhere });
        expect(poison).toMatchObject({ allowed: false, failure: 'signature' });
        expect(mentions(poison.errors, `${registry.host}/any/repo`)).toBe(true);

        const genuine = await checker.check({ image: signed.byDigest });
        expect(genuine).toMatchObject({ allowed: true, digest: signed.digest, image: signed.byDigest });
        expect(genuine.cached).toBeUndefined();
        // And the denial, asked again, is still about the repository it was made for.
        const again = await checker.check({ image: elsewhere });
        expect(again).toMatchObject({ allowed: false, cached: true });
        expect(mentions(again.errors, 'team/app')).toBe(false);
      } finally {
        await close();
      }
    });

    it('a pass cached for the signed repository does not admit the digest named elsewhere', async () => {
      const { engine: checker, close } = await engine();
      try {
        expect(await checker.check({ image: signed.byDigest })).toMatchObject({ allowed: true });
        const other = await checker.check({ image: elsewhere });
        expect(other).toMatchObject({ allowed: false, failure: 'signature', image: elsewhere });
        expect(other.cached).toBeUndefined();
        expect(mentions(other.errors, `${registry.host}/any/repo@${signed.digest}`)).toBe(true);
        expect(mentions(other.errors, 'team/app')).toBe(false);
      } finally {
        await close();
      }
    });

    it('checks of both at once each get their own repository’s verdict', async () => {
      const { engine: checker, close } = await engine();
      try {
        const [other, genuine] = await Promise.all([
          checker.check({ image: elsewhere }),
          checker.check({ image: signed.byDigest }),
        ]);
        expect(other).toMatchObject({ allowed: false, image: elsewhere });
        expect(mentions(other.errors, 'team/app')).toBe(false);
        expect(genuine).toMatchObject({ allowed: true, image: signed.byDigest });
        // From the cache, in the other order.
        expect(
          checker.peek?.({ image: signed.byDigest }) ?? (await checker.check({ image: signed.byDigest })),
        ).toMatchObject({ allowed: true });
        const cachedOther = await checker.check({ image: elsewhere });
        expect(cachedOther).toMatchObject({ allowed: false, cached: true });
        expect(mentions(cachedOther.errors, 'team/app')).toBe(false);
      } finally {
        await close();
      }
    });
  });
});
