/**
 * The engine's warm path remembers what depends only on the image string (its parse and the
 * policies that match it) and reads cached verdicts without parsing them again. These tests pin what
 * must not change because of that: `match` rules still see each resource, a moved tag still gets the
 * verdict of its new digest, and what the cache hands out is shared and frozen, never rewritten.
 */

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCache } from '../../src/cache/redis.js';
import type { ResourceContext } from '../../src/policy/index.js';
import { RegistryClient } from '../../src/registry/index.js';
import type { PrivateKey } from '../../src/signature/index.js';
import { pushArtifact, startRedis, startRegistry, type TestRegistry } from '../harness/index.js';
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

describe('policy engine warm path', () => {
  let registry: TestRegistry;
  let setup: RegistryClient;
  let key: PrivateKey;
  let signed: PushedImage;
  let unsigned: PushedImage;

  beforeAll(async () => {
    registry = await startRegistry();
    setup = new RegistryClient();
    key = await newKey();
    signed = await pushImage(setup, registry.host, 'org/app', 'v1');
    await sign(setup, signed, key);
    unsigned = await pushImage(setup, registry.host, 'org/app', 'v2');
  });
  afterAll(async () => {
    await setup?.close();
    await registry?.stop();
  });

  const pod: ResourceContext = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } };
  const deployment: ResourceContext = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } };

  it('matches `match` rules against each resource, however often the same image string comes back', async () => {
    const set = await policies(
      cip('pods-signed', {
        images: [{ glob: `${registry.host}/org/**` }],
        match: [{ version: 'v1', resource: 'pods' }],
        authorities: [keyAuthority(key)],
      }),
      cip('everything-else', {
        images: [{ glob: '**' }],
        authorities: [{ static: { action: 'pass' } }],
      }),
    );
    const { engine, close } = engineFor(set);
    try {
      for (const resource of [pod, deployment, pod, deployment]) {
        const verdict = await engine.check({ image: unsigned.ref, resource });
        const names = verdict.policies.map((policy) => policy.name);
        if (resource === pod) {
          expect(verdict.allowed).toBe(false);
          expect(names).toEqual(['everything-else', 'pods-signed']);
        } else {
          expect(verdict.allowed).toBe(true);
          expect(names).toEqual(['everything-else']);
        }
      }
    } finally {
      await close();
    }
  });

  it('gives a tag that moved the verdict of its new digest', async () => {
    const set = await policies(
      cip('signed', { images: [{ glob: `${registry.host}/org/**` }], authorities: [keyAuthority(key)] }),
    );
    const { engine, close } = engineFor(set, { tagTtlMs: 1 });
    const moving = `${registry.host}/org/app:moving`;
    try {
      await pushArtifact(setup, signed.repo, signed.image, 'moving');
      const first = await engine.check({ image: moving });
      expect(first).toMatchObject({ allowed: true, digest: signed.digest });
      await pushArtifact(setup, unsigned.repo, unsigned.image, 'moving');
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await engine.check({ image: moving });
      expect(second).toMatchObject({ allowed: false, digest: unsigned.digest });
    } finally {
      await close();
    }
  });

  it('hands out cached verdicts shared and frozen, each naming the image as its caller wrote it', async () => {
    const set = await policies(
      cip('signed', { images: [{ glob: `${registry.host}/org/**` }], authorities: [keyAuthority(key)] }),
    );
    const { engine, client, close } = engineFor(set);
    try {
      const fresh = await engine.check({ image: signed.ref });
      expect(fresh.cached).toBeUndefined();
      const requests = client.stats.total;
      const [a, b] = [await engine.check({ image: signed.ref }), await engine.check({ image: signed.ref })];
      expect(client.stats.total).toBe(requests);
      expect(a).toBe(b);
      expect(a).toMatchObject({ cached: true, allowed: true, digest: signed.digest, image: signed.ref });
      expect(Object.isFrozen(a)).toBe(true);
      expect(Object.isFrozen(a.policies[0])).toBe(true);
      expect(() => {
        (a.errors as string[]).push('tampered');
      }).toThrow(TypeError);
      // The same digest written another way: the same verdict, under that caller's name.
      const pinned = `${signed.ref}@${signed.digest}`;
      const other = await engine.check({ image: pinned });
      expect(other).toMatchObject({ cached: true, allowed: true, image: pinned, digest: signed.digest });
      expect(other.verifiedReference).toBe(`${signed.ref}@${signed.digest}`);
      expect(engine.peek({ image: signed.ref })).toBe(a);
    } finally {
      await close();
    }
  });

  it('peek answers at once what check would answer from a memory cache, and nothing else', async () => {
    const set = await policies(
      cip('signed', { images: [{ glob: `${registry.host}/org/**` }], authorities: [keyAuthority(key)] }),
      cip('base', {
        images: [{ glob: `${registry.host}/base/**` }],
        authorities: [{ static: { action: 'pass' } }],
      }),
    );
    const { engine, client, close } = engineFor(set);
    try {
      expect(engine.peek({ image: signed.ref })).toBeUndefined();
      const checked = await engine.check({ image: signed.ref });
      await engine.check({ image: unsigned.ref });
      const requests = client.stats.total;
      const peeked = engine.peek({ image: signed.ref });
      expect(peeked).toEqual({ ...checked, cached: true });
      expect(peeked).toBe(await engine.check({ image: signed.ref }));
      expect(engine.peek({ image: `${signed.ref}@${signed.digest}` })).toMatchObject({ allowed: true });
      // A denial is remembered briefly too; static and uncovered images are check's to decide.
      expect(engine.peek({ image: unsigned.ref })).toMatchObject({ allowed: false, failure: 'signature' });
      expect(engine.peek({ image: `${registry.host}/base/img:1` })).toBeUndefined();
      expect(engine.peek({ image: 'Not A Reference' })).toBeUndefined();
      expect(client.stats.total).toBe(requests);
    } finally {
      await close();
    }
  });

  it('peek remembers an answer only as long as the cache entries it came from live', async () => {
    const set = await policies(
      cip('signed', { images: [{ glob: `${registry.host}/org/**` }], authorities: [keyAuthority(key)] }),
    );
    const { engine, client, close } = engineFor(set, { tagTtlMs: 80 });
    try {
      await engine.check({ image: signed.ref });
      expect(engine.peek({ image: signed.ref })).toMatchObject({ allowed: true });
      await new Promise((resolve) => setTimeout(resolve, 120));
      // The tag's answer expired: peek no longer knows which digest the tag names.
      expect(engine.peek({ image: signed.ref })).toBeUndefined();
      const requests = client.stats.total;
      expect(await engine.check({ image: signed.ref })).toMatchObject({ allowed: true, cached: true });
      expect(client.stats.count('manifest-head')).toBeGreaterThan(0);
      expect(client.stats.total).toBe(requests + 1);
      expect(engine.peek({ image: signed.ref })).toMatchObject({ allowed: true });
    } finally {
      await close();
    }
  });

  it('peek says nothing with a cache that cannot answer at once (Redis)', async () => {
    const redis = await startRedis();
    const cache = await RedisCache.connect({ url: redis.url, hmacKey: randomBytes(32) });
    const set = await policies(
      cip('signed', { images: [{ glob: `${registry.host}/org/**` }], authorities: [keyAuthority(key)] }),
    );
    const { engine, close } = engineFor(set, { cache });
    try {
      await engine.check({ image: signed.ref });
      expect((await engine.check({ image: signed.ref })).cached).toBe(true);
      expect(engine.peek({ image: signed.ref })).toBeUndefined();
    } finally {
      await close();
      await cache.close();
      await redis.stop();
    }
  });
});
