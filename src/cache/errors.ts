import { VouchError } from '../errors.js';

export type CacheErrorCode =
  | 'CONFIG' // a --cache value vouch cannot use
  | 'HMAC_KEY'; // the Redis HMAC key is missing, unreadable or too short

/** A cache that cannot be set up. A cache that fails at run time never throws: it answers "miss". */
export class CacheError extends VouchError<CacheErrorCode> {
  readonly layer = 'cache';
}
