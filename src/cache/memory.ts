/** The embedded default: an in-process LRU bounded by entries and by bytes (`lru-cache`). */
import { LRUCache } from 'lru-cache';
import {
  type CacheBackend,
  CacheMetrics,
  type CacheNamespace,
  type CacheStats,
  type Peeked,
} from './backend.js';

export interface MemoryCacheOptions {
  /** Most entries held (default 10 000). */
  maxEntries?: number;
  /** Most bytes held, approximately (default 64 MiB). */
  maxBytes?: number;
  /** Largest single entry (default an eighth of maxBytes), so one artefact cannot evict everything. */
  maxEntryBytes?: number;
}

/** Rough size of a string entry in memory: UTF-16 key and value plus bookkeeping. */
function entrySize(key: string, value: string): number {
  return 2 * (key.length + value.length) + 64;
}

export class MemoryCache implements CacheBackend {
  readonly kind = 'memory';
  readonly metrics = new CacheMetrics();
  private readonly lru: LRUCache<string, string>;

  constructor(options: MemoryCacheOptions = {}) {
    const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.lru = new LRUCache<string, string>({
      max: options.maxEntries ?? 10_000,
      maxSize: maxBytes,
      maxEntrySize: options.maxEntryBytes ?? Math.floor(maxBytes / 8),
      sizeCalculation: (value, key) => entrySize(key, value),
      // Expired entries are never returned; they are dropped when read or evicted.
      allowStale: false,
      updateAgeOnGet: false,
    });
  }

  async get(namespace: CacheNamespace, key: string): Promise<string | undefined> {
    return this.lru.get(`${namespace}:${key}`);
  }

  peek(namespace: CacheNamespace, key: string): Peeked<string> | undefined {
    const fullKey = `${namespace}:${key}`;
    const value = this.lru.get(fullKey);
    if (value === undefined) return undefined;
    return { value, expiresAt: Date.now() + this.lru.getRemainingTTL(fullKey) };
  }

  async set(namespace: CacheNamespace, key: string, value: string, ttlMs: number): Promise<void> {
    if (ttlMs <= 0) return;
    const fullKey = `${namespace}:${key}`;
    if (entrySize(fullKey, value) > this.lru.maxEntrySize) return;
    this.lru.set(fullKey, value, { ttl: ttlMs });
    this.metrics.add(namespace, 'writes');
  }

  stats(): CacheStats {
    return {
      backend: 'memory',
      degraded: false,
      namespaces: this.metrics.snapshot(),
      entries: this.lru.size,
      bytes: this.lru.calculatedSize,
    };
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
