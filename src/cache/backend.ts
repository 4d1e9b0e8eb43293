/**
 * The cache contract: a string key-value store with per-entry expiry, split into namespaces, that
 * never throws and never blocks past its caller's deadline. A backend that fails answers "miss" and
 * counts the failure, so that the caller verifies directly: a broken cache can make vouch slower,
 * never make it say "verified".
 */
import type { Deadline } from '../util/deadline.js';

/** What is cached: verdicts, tag→digest answers, and content-addressed artefacts (signature manifests, blobs). */
export type CacheNamespace = 'verdict' | 'tag' | 'artefact';
export const CACHE_NAMESPACES: readonly CacheNamespace[] = ['verdict', 'tag', 'artefact'];

export interface NamespaceCounters {
  /** Reads answered from the cache with a valid entry. */
  hits: number;
  /** Reads with no usable entry (absent, expired, forged, invalid, or the backend failed). */
  misses: number;
  /** Entries stored. */
  writes: number;
  /** Entries that failed authentication (HMAC) or whose content did not hash to its digest. */
  forged: number;
  /** Backend failures (Redis unreachable, command timeout), each answered as a miss or a dropped write. */
  errors: number;
}

export interface CacheStats {
  backend: 'memory' | 'redis';
  /** True while the backend is failing (Redis unreachable): vouch is verifying without the cache. */
  degraded: boolean;
  namespaces: Record<CacheNamespace, NamespaceCounters>;
  /** Memory backend: entries and approximate bytes held. */
  entries?: number;
  bytes?: number;
}

export interface CacheCallOptions {
  /** The caller's deadline: the cache gives up (miss) rather than outlive it. */
  deadline?: Deadline;
}

/** A value found at once, and until when it may be used (epoch ms). */
export interface Peeked<T> {
  value: T;
  expiresAt: number;
}

export interface CacheBackend {
  readonly kind: 'memory' | 'redis';
  /** Shared by the typed caches on top, which count hits, misses and bad content. */
  readonly metrics: CacheMetrics;
  /** The stored value, or undefined (absent, expired, forged or backend failure). Never throws. */
  get(namespace: CacheNamespace, key: string, options?: CacheCallOptions): Promise<string | undefined>;
  /**
   * The stored value and when it expires (epoch ms), when the backend holds it in this process and can
   * answer at once (the memory backend); undefined otherwise, and for a backend that cannot answer
   * synchronously (Redis). It counts nothing: a caller that then calls `get` is counted there.
   */
  peek?(namespace: CacheNamespace, key: string): Peeked<string> | undefined;
  /** Stores a value for `ttlMs`; failures are counted and swallowed. Never throws. */
  set(
    namespace: CacheNamespace,
    key: string,
    value: string,
    ttlMs: number,
    options?: CacheCallOptions,
  ): Promise<void>;
  stats(): CacheStats;
  close(): Promise<void>;
}

/** pino-compatible: `logger.warn({ fields }, 'message')`. */
export interface CacheLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: CacheLogger = { warn() {}, info() {} };

export class CacheMetrics {
  private readonly counters: Record<CacheNamespace, NamespaceCounters>;

  constructor() {
    this.counters = {
      verdict: emptyCounters(),
      tag: emptyCounters(),
      artefact: emptyCounters(),
    };
  }

  add(namespace: CacheNamespace, counter: keyof NamespaceCounters, by = 1): void {
    this.counters[namespace][counter] += by;
  }

  snapshot(): Record<CacheNamespace, NamespaceCounters> {
    return {
      verdict: { ...this.counters.verdict },
      tag: { ...this.counters.tag },
      artefact: { ...this.counters.artefact },
    };
  }
}

function emptyCounters(): NamespaceCounters {
  return { hits: 0, misses: 0, writes: 0, forged: 0, errors: 0 };
}
