import type { Command } from 'commander';

/** `--cache` and `--cache-hmac-key-file`, for every command that runs the policy engine. */
export interface CacheFlags {
  cache?: string;
  cacheHmacKeyFile?: string;
}

/** Declares the cache flags on a command (registration only: no heavy imports here). */
export function addCacheOptions(command: Command): Command {
  return command
    .option(
      '--cache <memory|redis://…>',
      'verdict cache: in-process (default), or a Redis shared by several vouch processes',
      'memory',
    )
    .option(
      '--cache-hmac-key-file <file>',
      'key sealing Redis cache entries (default: $VOUCH_CACHE_HMAC_KEY); at least 32 bytes',
    );
}
