/** Builds the cache a command asked for with `--cache`: `memory` (the default) or `redis://…` / `rediss://…`. */
import type { CacheBackend, CacheLogger } from './backend.js';
import { CacheError } from './errors.js';
import { loadHmacKey } from './hmac.js';
import { MemoryCache, type MemoryCacheOptions } from './memory.js';

export interface CreateCacheOptions {
  memory?: MemoryCacheOptions;
  /** File holding the Redis HMAC key; without it the key is read from `hmacKeyEnv`. */
  hmacKeyFile?: string;
  /** Environment variable holding the Redis HMAC key (default VOUCH_CACHE_HMAC_KEY). */
  hmacKeyEnv?: string;
  logger?: CacheLogger;
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  keyPrefix?: string;
}

export async function createCache(
  spec: string | undefined,
  options: CreateCacheOptions = {},
): Promise<CacheBackend> {
  if (spec === undefined || spec === '' || spec === 'memory') return new MemoryCache(options.memory);
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new CacheError(
      'CONFIG',
      `--cache must be "memory" or a redis:// or rediss:// URL, got ${JSON.stringify(spec)}`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new CacheError(
      'CONFIG',
      `--cache must be "memory" or a redis:// or rediss:// URL, got ${JSON.stringify(spec)}`,
    );
  const hmacKey = await loadHmacKey({
    ...(options.hmacKeyFile !== undefined && { file: options.hmacKeyFile }),
    ...(options.hmacKeyEnv !== undefined && { env: options.hmacKeyEnv }),
  });
  // The redis client library is loaded only for a Redis cache: memory-cache runs never pay for it.
  const { RedisCache } = await import('./redis.js');
  return RedisCache.connect({
    url: spec,
    hmacKey,
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.commandTimeoutMs !== undefined && { commandTimeoutMs: options.commandTimeoutMs }),
    ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.keyPrefix !== undefined && { keyPrefix: options.keyPrefix }),
  });
}
