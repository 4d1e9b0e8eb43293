/**
 * The three things vouch caches, each with its own expiry rules, over any `CacheBackend`:
 * - verdicts, keyed by (policy fingerprint, repository, image digest): a clean pass for long, a failure
 *   or a pass with warnings only briefly (so that a fix is seen soon), and a verdict caused by a registry
 *   error or a timeout never (it says nothing about the image). The repository is part of the key
 *   because signatures live per repository: the same digest is signed in one and not in another, and a
 *   verdict made for one must never answer for the other;
 * - tag→digest answers, briefly (tags move);
 * - artefacts by digest (immutable): checked against their digest when read, so even a backend that
 *   returns wrong bytes cannot feed vouch a substituted signature.
 */
import { LRUCache } from 'lru-cache';
import { digestLike, isDigest } from '../reference/index.js';
import { isRecord } from '../util/is-record.js';
import type { CacheBackend, CacheCallOptions, Peeked } from './backend.js';

/** The parts of a verdict the cache reads to decide how long to keep it (structurally the policy `Verdict`). */
export interface CacheableVerdict {
  allowed: boolean;
  failure?: string;
  warnings?: readonly string[];
  cached?: boolean;
  policies?: readonly { passed: boolean; authorities: readonly { passed: boolean; failure?: string }[] }[];
}

/** Failure kinds that describe the registry or the clock, not the image: never cached. */
export const UNCACHEABLE_FAILURES: ReadonlySet<string> = new Set(['registry', 'timeout']);

export interface VerdictTtls {
  /** An allowed verdict without warnings (default 10 minutes). */
  passMs: number;
  /** A denied verdict, or an allowed one with warnings (default 30 seconds). */
  failMs: number;
}

export const DEFAULT_VERDICT_TTLS: VerdictTtls = { passMs: 10 * 60_000, failMs: 30_000 };
export const DEFAULT_TAG_TTL_MS = 30_000;
export const DEFAULT_ARTEFACT_TTL_MS = 24 * 60 * 60_000;
export const DEFAULT_MAX_ARTEFACT_BYTES = 1024 * 1024;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Distinct stored texts whose parsed form is kept (per cache object). */
const PARSED_TEXTS = 1024;

/**
 * Parsed values by the exact text stored: a warm webhook reads the same few entries thousands of
 * times a second, and parsing each read was most of a cache hit's cost. Keyed by content, so it can
 * only ever give back what that text says; the values are frozen because every reader shares them.
 */
class ParsedTexts<T> {
  private readonly parsed = new LRUCache<string, { value: T }>({ max: PARSED_TEXTS });

  /** `parse(text)` (undefined when the text is not a valid value), memoised. */
  get(text: string, parse: (text: string) => T | undefined): T | undefined {
    const known = this.parsed.get(text);
    if (known !== undefined) return known.value;
    const value = parse(text);
    if (value !== undefined) this.parsed.set(text, { value: deepFreeze(value) });
    return value;
  }
}

/** Whether a verdict (or any failed policy inside it) was caused by the registry or the clock. */
export function verdictHasTransientFailure(verdict: CacheableVerdict): boolean {
  if (verdict.failure !== undefined && UNCACHEABLE_FAILURES.has(verdict.failure)) return true;
  return (verdict.policies ?? []).some(
    (policy) =>
      !policy.passed &&
      policy.authorities.some(
        (authority) => authority.failure !== undefined && UNCACHEABLE_FAILURES.has(authority.failure),
      ),
  );
}

/** A stored verdict as read back (marked `cached`), or undefined when the text is not one. */
function parseVerdict(text: string): CacheableVerdict | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || typeof parsed.allowed !== 'boolean') return undefined;
  return { ...(parsed as unknown as CacheableVerdict), cached: true };
}

/** What a verdict is about: every part changes the answer. */
export interface VerdictKey {
  /** Identifies the policy material (see the policy layer's `policyFingerprint`). */
  fingerprint: string;
  /** `registry/repository` of the image asked about (where its signatures are looked up). */
  repository: string;
  digest: string;
  /** Set when the verdict also depends on the resource: a hash of what the policies read of it. */
  variant?: string;
}

export class VerdictCache<V extends CacheableVerdict> {
  private readonly ttls: VerdictTtls;
  private readonly parsed = new ParsedTexts<CacheableVerdict>();

  constructor(
    private readonly backend: CacheBackend,
    ttls: Partial<VerdictTtls> = {},
  ) {
    this.ttls = { ...DEFAULT_VERDICT_TTLS, ...ttls };
  }

  /**
   * `fingerprint:registry/repository:digest[:variant]`. Unambiguous: a fingerprint has no `:` after its
   * algorithm, and a repository path never holds one (only its registry's port does).
   */
  static key({ fingerprint, repository, digest, variant }: VerdictKey): string {
    const base = `${fingerprint}:${repository}:${digest}`;
    return variant === undefined ? base : `${base}:${variant}`;
  }

  /** How long this verdict may be kept, 0 for never. */
  ttlFor(verdict: V): number {
    if (verdictHasTransientFailure(verdict)) return 0;
    if (verdict.allowed && (verdict.warnings ?? []).length === 0) return this.ttls.passMs;
    return this.ttls.failMs;
  }

  async get(key: VerdictKey, options?: CacheCallOptions): Promise<V | undefined> {
    const value = await this.backend.get('verdict', VerdictCache.key(key), options);
    if (value === undefined) {
      this.backend.metrics.add('verdict', 'misses');
      return undefined;
    }
    const verdict = this.parsed.get(value, parseVerdict);
    if (verdict === undefined) {
      this.backend.metrics.add('verdict', 'errors');
      this.backend.metrics.add('verdict', 'misses');
      return undefined;
    }
    this.backend.metrics.add('verdict', 'hits');
    return verdict as V;
  }

  /**
   * The verdict `get` would return, when the backend can answer at once (see `CacheBackend.peek`);
   * undefined otherwise. Only hits are counted (a caller that then calls `get` is counted there).
   */
  peek(key: VerdictKey): Peeked<V> | undefined {
    const found = this.backend.peek?.('verdict', VerdictCache.key(key));
    const verdict = found === undefined ? undefined : this.parsed.get(found.value, parseVerdict);
    if (verdict === undefined) return undefined;
    this.backend.metrics.add('verdict', 'hits');
    return { value: verdict as V, expiresAt: (found as Peeked<string>).expiresAt };
  }

  /** Stores the verdict unless it must not be cached; returns whether it was stored. */
  async put(key: VerdictKey, verdict: V, options?: CacheCallOptions): Promise<boolean> {
    const ttl = this.ttlFor(verdict);
    if (ttl <= 0) return false;
    const { cached: _cached, ...stored } = verdict;
    await this.backend.set('verdict', VerdictCache.key(key), JSON.stringify(stored), ttl, options);
    return true;
  }
}

export interface ResolvedTag {
  digest: string;
  mediaType?: string;
}

function parseResolvedTag(text: string): ResolvedTag | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || typeof parsed.digest !== 'string' || !isDigest(parsed.digest)) return undefined;
  return {
    digest: parsed.digest,
    ...(typeof parsed.mediaType === 'string' && { mediaType: parsed.mediaType }),
  };
}

/** `registry/repository:tag` → digest, kept briefly. */
export class TagCache {
  private readonly parsed = new ParsedTexts<ResolvedTag>();

  constructor(
    private readonly backend: CacheBackend,
    private readonly ttlMs = DEFAULT_TAG_TTL_MS,
  ) {}

  async get(reference: string, options?: CacheCallOptions): Promise<ResolvedTag | undefined> {
    const value = await this.backend.get('tag', reference, options);
    const resolved = value === undefined ? undefined : this.parsed.get(value, parseResolvedTag);
    if (resolved === undefined) {
      if (value !== undefined) this.backend.metrics.add('tag', 'errors');
      this.backend.metrics.add('tag', 'misses');
      return undefined;
    }
    this.backend.metrics.add('tag', 'hits');
    return resolved;
  }

  /** What `get` would return, when the backend can answer at once; only hits are counted. */
  peek(reference: string): Peeked<ResolvedTag> | undefined {
    const found = this.backend.peek?.('tag', reference);
    const resolved = found === undefined ? undefined : this.parsed.get(found.value, parseResolvedTag);
    if (resolved === undefined) return undefined;
    this.backend.metrics.add('tag', 'hits');
    return { value: resolved, expiresAt: (found as Peeked<string>).expiresAt };
  }

  async put(reference: string, resolved: ResolvedTag, options?: CacheCallOptions): Promise<void> {
    await this.backend.set('tag', reference, JSON.stringify(resolved), this.ttlMs, options);
  }
}

/** Content-addressed bytes (signature manifests, layers, bundles), checked against their digest on every read. */
export class ArtefactCache {
  constructor(
    private readonly backend: CacheBackend,
    private readonly options: { ttlMs?: number; maxBytes?: number } = {},
  ) {}

  async get(digest: string, options?: CacheCallOptions): Promise<Uint8Array | undefined> {
    const value = await this.backend.get('artefact', digest, options);
    if (value === undefined) {
      this.backend.metrics.add('artefact', 'misses');
      return undefined;
    }
    const bytes = Buffer.from(value, 'base64');
    if (!isDigest(digest) || digestLike(digest, bytes) !== digest) {
      this.backend.metrics.add('artefact', 'forged');
      this.backend.metrics.add('artefact', 'misses');
      return undefined;
    }
    this.backend.metrics.add('artefact', 'hits');
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Stores bytes under their digest; refuses bytes that do not hash to it, and oversized ones. */
  async put(digest: string, bytes: Uint8Array, options?: CacheCallOptions): Promise<boolean> {
    if (bytes.byteLength > (this.options.maxBytes ?? DEFAULT_MAX_ARTEFACT_BYTES)) return false;
    if (!isDigest(digest) || digestLike(digest, bytes) !== digest) return false;
    await this.backend.set(
      'artefact',
      digest,
      Buffer.from(bytes).toString('base64'),
      this.options.ttlMs ?? DEFAULT_ARTEFACT_TTL_MS,
      options,
    );
    return true;
  }
}
