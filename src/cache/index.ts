export {
  CACHE_NAMESPACES,
  type CacheBackend,
  type CacheCallOptions,
  type CacheLogger,
  CacheMetrics,
  type CacheNamespace,
  type CacheStats,
  type NamespaceCounters,
  type Peeked,
  silentLogger,
} from './backend.js';
export { type CreateCacheOptions, createCache } from './create.js';
export { CacheError, type CacheErrorCode } from './errors.js';
export { DEFAULT_HMAC_KEY_ENV, loadHmacKey, MIN_HMAC_KEY_BYTES, open, seal } from './hmac.js';
export { MemoryCache, type MemoryCacheOptions } from './memory.js';
// RedisCache itself is imported from './redis.js' where needed: the redis library is heavy to load.
export type { RedisCache, RedisCacheOptions } from './redis.js';
export {
  ArtefactCache,
  type CacheableVerdict,
  DEFAULT_ARTEFACT_TTL_MS,
  DEFAULT_MAX_ARTEFACT_BYTES,
  DEFAULT_TAG_TTL_MS,
  DEFAULT_VERDICT_TTLS,
  type ResolvedTag,
  TagCache,
  UNCACHEABLE_FAILURES,
  VerdictCache,
  type VerdictKey,
  type VerdictTtls,
  verdictHasTransientFailure,
} from './stores.js';
