import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../reference/index.js';
import { MemoryCache } from './memory.js';
import { ArtefactCache, TagCache, VerdictCache, verdictHasTransientFailure } from './stores.js';

const DIGEST = `sha256:${'1'.repeat(64)}`;
const KEY = { fingerprint: 'f', repository: 'registry.example/app', digest: DIGEST };

interface V {
  allowed: boolean;
  warnings: string[];
  failure?: string;
  policies: { passed: boolean; authorities: { passed: boolean; failure?: string }[] }[];
  cached?: boolean;
}
const pass: V = {
  allowed: true,
  warnings: [],
  policies: [{ passed: true, authorities: [{ passed: true }] }],
};
const deny: V = {
  allowed: false,
  warnings: [],
  failure: 'signature',
  policies: [{ passed: false, authorities: [{ passed: false, failure: 'signature' }] }],
};

describe('MemoryCache', () => {
  it('evicts the least recently used entry beyond its entry bound', async () => {
    const cache = new MemoryCache({ maxEntries: 2 });
    await cache.set('tag', 'a', '1', 60_000);
    await cache.set('tag', 'b', '2', 60_000);
    await cache.get('tag', 'a');
    await cache.set('tag', 'c', '3', 60_000);
    expect(await cache.get('tag', 'a')).toBe('1');
    expect(await cache.get('tag', 'b')).toBeUndefined();
    expect(await cache.get('tag', 'c')).toBe('3');
    expect(cache.stats().entries).toBe(2);
  });

  it('stays within its byte bound and refuses single entries too large for it', async () => {
    const cache = new MemoryCache({ maxBytes: 10_000, maxEntryBytes: 4_000 });
    for (let i = 0; i < 10; i++) await cache.set('artefact', `k${i}`, 'x'.repeat(1_000), 60_000);
    expect(cache.stats().bytes).toBeLessThanOrEqual(10_000);
    expect(cache.stats().entries).toBeLessThan(10);
    expect(await cache.get('artefact', 'k9')).toBe('x'.repeat(1_000));
    await cache.set('artefact', 'huge', 'y'.repeat(3_000), 60_000);
    expect(await cache.get('artefact', 'huge')).toBeUndefined();
  });

  it('keeps namespaces apart', async () => {
    const cache = new MemoryCache();
    await cache.set('tag', 'same', 'tag value', 60_000);
    expect(await cache.get('verdict', 'same')).toBeUndefined();
  });

  it('peeks at an entry at once, with when it expires', async () => {
    const cache = new MemoryCache();
    expect(cache.peek('tag', 'a')).toBeUndefined();
    const before = Date.now();
    await cache.set('tag', 'a', 'x', 60_000);
    const peeked = cache.peek('tag', 'a');
    expect(peeked?.value).toBe('x');
    expect(peeked?.expiresAt).toBeGreaterThanOrEqual(before + 59_000);
    expect(peeked?.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(cache.stats().namespaces.tag.hits).toBe(0);
  });

  it('never returns an expired entry', async () => {
    const cache = new MemoryCache();
    await cache.set('tag', 'short', 'v', 20);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await cache.get('tag', 'short')).toBeUndefined();
  });
});

describe('VerdictCache', () => {
  it('keeps a clean pass long, failures and warnings briefly, registry failures never', () => {
    const verdicts = new VerdictCache<V>(new MemoryCache(), { passMs: 600_000, failMs: 30_000 });
    expect(verdicts.ttlFor(pass)).toBe(600_000);
    expect(verdicts.ttlFor(deny)).toBe(30_000);
    expect(verdicts.ttlFor({ ...pass, warnings: ['failed policy: p: …'] })).toBe(30_000);
    expect(verdicts.ttlFor({ ...deny, failure: 'registry' })).toBe(0);
    expect(verdicts.ttlFor({ ...deny, failure: 'timeout' })).toBe(0);
    // A warn-mode policy that failed only because the registry failed: admitted, but not cacheable.
    const warnedOnRegistry: V = {
      allowed: true,
      warnings: ['failed policy: p: registry answered 429'],
      policies: [{ passed: false, authorities: [{ passed: false, failure: 'registry' }] }],
    };
    expect(verdictHasTransientFailure(warnedOnRegistry)).toBe(true);
    expect(verdicts.ttlFor(warnedOnRegistry)).toBe(0);
  });

  it('does not store what it must not cache, and marks what it returns as cached', async () => {
    const backend = new MemoryCache();
    const verdicts = new VerdictCache<V>(backend);
    expect(await verdicts.put(KEY, { ...deny, failure: 'registry' })).toBe(false);
    expect(await verdicts.get(KEY)).toBeUndefined();
    expect(await verdicts.put(KEY, { ...pass, cached: true })).toBe(true);
    expect(await backend.get('verdict', `f:registry.example/app:${DIGEST}`)).not.toContain('cached');
    expect(await verdicts.get(KEY)).toEqual({ ...pass, cached: true });
    expect(await verdicts.get({ ...KEY, variant: 'resource-1' })).toBeUndefined();
    // Signatures live per repository: the same digest elsewhere is another question.
    expect(await verdicts.get({ ...KEY, repository: 'registry.example/other' })).toBeUndefined();
    expect(backend.stats().namespaces.verdict).toMatchObject({ hits: 1, misses: 3, writes: 1 });
  });

  it('parses a stored text once, hands the result out frozen, and follows the text when it changes', async () => {
    const backend = new MemoryCache();
    const verdicts = new VerdictCache<V>(backend);
    await verdicts.put(KEY, pass);
    const first = await verdicts.get(KEY);
    expect(await verdicts.get(KEY)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first?.policies[0]?.authorities)).toBe(true);
    await verdicts.put(KEY, { ...pass, warnings: ['late warning'] });
    expect(await verdicts.get(KEY)).toEqual({ ...pass, warnings: ['late warning'], cached: true });
    expect(backend.stats().namespaces.verdict).toMatchObject({ hits: 3, errors: 0 });
  });

  it('treats a stored value that is not a verdict as a miss', async () => {
    const backend = new MemoryCache();
    await backend.set('verdict', `f:registry.example/app:${DIGEST}`, '{"allowed":"yes"}', 60_000);
    expect(await new VerdictCache<V>(backend).get(KEY)).toBeUndefined();
    expect(backend.stats().namespaces.verdict).toMatchObject({ errors: 1, misses: 1, hits: 0 });
  });
});

describe('TagCache', () => {
  it('answers tag lookups and ignores entries without a valid digest', async () => {
    const backend = new MemoryCache();
    const tags = new TagCache(backend);
    await tags.put('ghcr.io/org/app:v1', {
      digest: DIGEST,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect(await tags.get('ghcr.io/org/app:v1')).toEqual({
      digest: DIGEST,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    await backend.set('tag', 'ghcr.io/org/app:v2', '{"digest":"sha256:nothex"}', 60_000);
    expect(await tags.get('ghcr.io/org/app:v2')).toBeUndefined();
  });
});

describe('ArtefactCache', () => {
  it('returns bytes only when they hash to their digest', async () => {
    const backend = new MemoryCache();
    const artefacts = new ArtefactCache(backend);
    const bytes = new TextEncoder().encode('{"critical":{}}');
    const digest = sha256Digest(bytes);
    expect(await artefacts.put(digest, bytes)).toBe(true);
    expect(Buffer.from((await artefacts.get(digest)) ?? []).toString()).toBe('{"critical":{}}');

    // Bytes that do not match are refused on the way in and on the way out.
    expect(await artefacts.put(DIGEST, bytes)).toBe(false);
    await backend.set('artefact', DIGEST, Buffer.from('substituted').toString('base64'), 60_000);
    expect(await artefacts.get(DIGEST)).toBeUndefined();
    expect(backend.stats().namespaces.artefact.forged).toBe(1);
  });

  it('does not keep artefacts larger than its limit', async () => {
    const artefacts = new ArtefactCache(new MemoryCache(), { maxBytes: 8 });
    const bytes = new TextEncoder().encode('more than eight bytes');
    expect(await artefacts.put(sha256Digest(bytes), bytes)).toBe(false);
  });
});
