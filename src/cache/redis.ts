/**
 * A Redis-backed cache shared by several vouch processes (webhook replicas). Every entry is sealed with
 * an HMAC (see `hmac.ts`); an entry that fails the check is ignored, counted and logged. Redis being
 * slow or unreachable never fails a check and never blocks it: commands have a short timeout and are
 * also cut off by the caller's deadline, the client does not queue commands while disconnected, and
 * every failure is answered as a miss (the caller then verifies directly) and reported through the
 * `degraded` flag, the error counters and the logger.
 */
import { createClient } from 'redis';
import { describeError } from '../errors.js';
import {
  type CacheBackend,
  type CacheCallOptions,
  type CacheLogger,
  CacheMetrics,
  type CacheNamespace,
  type CacheStats,
  silentLogger,
} from './backend.js';
import { open, seal } from './hmac.js';

export interface RedisCacheOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  hmacKey: Buffer;
  /** Longest a single command may take (default 250 ms). */
  commandTimeoutMs?: number;
  /** Longest a connection attempt may take (default 1 s). */
  connectTimeoutMs?: number;
  /** Prefix of every key (default `vouch:`), so that several deployments can share one Redis. */
  keyPrefix?: string;
  /**
   * Largest value read or written (default 2 MiB: a sealed artefact of the 1 MiB the artefact cache
   * keeps is about 1.4 MB). A larger value is not vouch's: it is refused, counted as forged, and never
   * read whole — at most this many bytes of it leave Redis.
   */
  maxValueBytes?: number;
  logger?: CacheLogger;
}

type Client = ReturnType<typeof createClient>;

const FORGED_LOG_INTERVAL_MS = 10_000;
export const DEFAULT_MAX_VALUE_BYTES = 2 * 1024 * 1024;
const FAILED: unique symbol = Symbol('failed');

export class RedisCache implements CacheBackend {
  readonly kind = 'redis';
  readonly metrics = new CacheMetrics();
  private readonly client: Client;
  private readonly hmacKey: Buffer;
  private readonly commandTimeoutMs: number;
  private readonly keyPrefix: string;
  private readonly maxValueBytes: number;
  private readonly logger: CacheLogger;
  private readonly target: string;
  private degraded = true;
  private closed = false;
  private lastForgedLog = 0;

  private constructor(options: RedisCacheOptions) {
    this.hmacKey = options.hmacKey;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 250;
    this.keyPrefix = options.keyPrefix ?? 'vouch:';
    this.maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.logger = options.logger ?? silentLogger;
    this.target = redactUrl(options.url);
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      commandOptions: { timeout: this.commandTimeoutMs },
      socket: {
        connectTimeout: options.connectTimeoutMs ?? 1000,
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 2000),
      },
    });
    this.client.on('error', (error: unknown) => this.markDegraded(error));
    this.client.on('ready', () => this.markHealthy());
  }

  /**
   * Connects in the background and returns as soon as Redis is ready or `waitMs` has passed; an
   * unreachable Redis does not stop vouch from starting (it runs degraded and keeps reconnecting).
   */
  static async connect(
    options: RedisCacheOptions,
    waitMs = options.connectTimeoutMs ?? 1000,
  ): Promise<RedisCache> {
    const cache = new RedisCache(options);
    const connecting = cache.client.connect().then(
      () => true,
      (error: unknown) => {
        cache.markDegraded(error);
        return false;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMs);
    });
    const ready = await Promise.race([connecting, waited]);
    clearTimeout(timer);
    if (!ready)
      cache.logger.warn(
        { redis: cache.target },
        'cache: Redis is not reachable; verifying without the shared cache',
      );
    return cache;
  }

  private markHealthy(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.logger.info({ redis: this.target }, 'cache: Redis is reachable; shared cache in use');
  }

  private markDegraded(error: unknown): void {
    if (this.closed) return;
    if (!this.degraded)
      this.logger.warn(
        { redis: this.target, error: describeError(error) },
        'cache: Redis failed; verifying without the shared cache until it is back',
      );
    this.degraded = true;
  }

  private redisKey(namespace: CacheNamespace, key: string): string {
    return `${this.keyPrefix}${namespace}:${key}`;
  }

  /** Runs a command, giving up at the command timeout or the caller's deadline, whichever is first. */
  private async command<T>(
    run: () => Promise<T>,
    options: CacheCallOptions | undefined,
  ): Promise<T | typeof FAILED> {
    if (!this.client.isReady) return FAILED;
    const budget = Math.min(
      this.commandTimeoutMs,
      options?.deadline?.remainingMs() ?? Number.POSITIVE_INFINITY,
    );
    if (budget <= 0) return FAILED;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof FAILED>((resolve) => {
      timer = setTimeout(() => {
        // Only a command that used its whole own timeout says something about Redis; a caller's
        // nearly spent deadline does not.
        if (budget === this.commandTimeoutMs)
          this.markDegraded(new Error(`no answer within ${this.commandTimeoutMs} ms`));
        resolve(FAILED);
      }, budget);
    });
    const attempt: Promise<T | typeof FAILED> = run().then(
      (value): T | typeof FAILED => {
        this.markHealthy();
        return value;
      },
      (error: unknown): T | typeof FAILED => {
        this.markDegraded(error);
        return FAILED;
      },
    );
    try {
      return await Promise.race([attempt, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async get(namespace: CacheNamespace, key: string, options?: CacheCallOptions): Promise<string | undefined> {
    const redisKey = this.redisKey(namespace, key);
    // One byte more than the limit, never the whole value: a 300 MB value must not be read to be refused.
    const value = await this.command(() => this.client.getRange(redisKey, 0, this.maxValueBytes), options);
    if (value === FAILED) {
      this.metrics.add(namespace, 'errors');
      return undefined;
    }
    // GETRANGE answers "" for a missing key; a sealed entry is never empty.
    const text = String(value);
    if (text === '') return undefined;
    if (Buffer.byteLength(text) > this.maxValueBytes) {
      this.forged(
        namespace,
        redisKey,
        `cache: ignoring a Redis entry larger than ${this.maxValueBytes} bytes (not written by vouch)`,
      );
      return undefined;
    }
    const opened = open(this.hmacKey, namespace, key, text);
    if (opened.ok) return opened.payload;
    if (opened.reason === 'forged')
      this.forged(
        namespace,
        redisKey,
        'cache: ignoring a Redis entry that fails its HMAC check (written by something without the key)',
      );
    return undefined;
  }

  /** Counts a refused entry, and logs it at most every ten seconds (a flood must not flood the log). */
  private forged(namespace: CacheNamespace, redisKey: string, message: string): void {
    this.metrics.add(namespace, 'forged');
    const now = Date.now();
    if (now - this.lastForgedLog < FORGED_LOG_INTERVAL_MS) return;
    this.lastForgedLog = now;
    this.logger.warn({ redis: this.target, namespace, key: redisKey }, message);
  }

  async set(
    namespace: CacheNamespace,
    key: string,
    value: string,
    ttlMs: number,
    options?: CacheCallOptions,
  ): Promise<void> {
    if (ttlMs <= 0) return;
    const ttl = Math.max(1, Math.round(ttlMs));
    const sealed = seal(this.hmacKey, namespace, key, value, Date.now() + ttl);
    // What would be refused when read is not written.
    if (Buffer.byteLength(sealed) > this.maxValueBytes) return;
    const redisKey = this.redisKey(namespace, key);
    const result = await this.command(
      () => this.client.set(redisKey, sealed, { expiration: { type: 'PX', value: ttl } }),
      options,
    );
    if (result === FAILED) this.metrics.add(namespace, 'errors');
    else this.metrics.add(namespace, 'writes');
  }

  stats(): CacheStats {
    return {
      backend: 'redis',
      degraded: this.degraded || !this.client.isReady,
      namespaces: this.metrics.snapshot(),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    try {
      if (this.client.isReady) await this.client.close();
      else this.client.destroy();
    } catch {
      // already closed
    }
  }
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}
