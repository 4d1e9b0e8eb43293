/**
 * The policy engines of the long-running gates (`vouch webhook`, and `vouch audit`, which checks as the
 * webhook would): one cache for every engine a policy reload builds, each engine retired once the
 * admissions that started with it are over.
 */
import type { CacheBackend } from '../cache/index.js';
import { describeError } from '../errors.js';
import { AdmissionError } from '../gates/admission/errors.js';
import type { CheckerFactory } from '../gates/admission/policy-watcher.js';
import type { PolicyEngine } from '../policy/engine/index.js';
import { formatIssue, loadPolicies, PolicyError } from '../policy/index.js';
import type { RegistryTrouble, RequestEvent } from '../registry/index.js';
import type { CacheFlags } from './cache-options.js';
import {
  createImageChecker,
  type ImageCheckerHandle,
  isCacheBackend,
  openCache,
  stderrCacheLogger,
} from './checker.js';
import { CliError } from './errors.js';
import { type GlobalOptions, timeoutMs } from './global-options.js';
import { caCertificates } from './policy-files.js';

/** Where the engine reports policy warnings and cache trouble (pino-compatible). */
export interface CheckerLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

/** What the policy engine needs to be built for a gate. */
export interface CheckerOptions {
  /**
   * The `--cache` flags (the cache is opened here, once, and closed with the factory), or a cache to
   * use as it is (left open).
   */
  cache: CacheFlags | CacheBackend;
  /** The global registry flags (`--registry-config`, `--allow-http-registry`, `--ca-file`, `--timeout`). */
  global: GlobalOptions;
  /** Given every registry request of every engine (metrics). */
  onRegistryRequest?: (event: RequestEvent) => void;
  /** Where every engine keeps the registry problems that explain timeouts (shared with the gate). */
  trouble?: RegistryTrouble;
  /** Policy warnings and cache degradation (default: `vouch: warning: …` lines on stderr). */
  logger?: CheckerLogger;
  /**
   * How long an engine replaced by a reload stays open for the admissions that started with it
   * (default 30 s, the longest a webhook call can last).
   */
  retireAfterMs?: number;
}

/** The real CheckerFactory, with the cache it keeps across policy reloads. */
export interface EngineFactory extends CheckerFactory {
  readonly cache: CacheBackend;
  /** The engine in force (after the first successful load). */
  current(): PolicyEngine | undefined;
}

/**
 * The one place the policy engine is built for `vouch webhook` and `vouch audit`. The cache is opened
 * once and shared by every engine a reload builds (a verdict stays valid as long as its policy
 * fingerprint does). Each `load` reads the policies (directories skip `..data`-style dot entries, so a
 * ConfigMap mount is read once) and builds a new engine; the one it replaces is closed once the
 * admissions that started with it are over. Bad cache flags throw CliError('CONFIG').
 */
export async function createChecker(options: CheckerOptions): Promise<EngineFactory> {
  const logger = options.logger ?? stderrCacheLogger;
  const ownsCache = !isCacheBackend(options.cache);
  const cache = isCacheBackend(options.cache) ? options.cache : await openCache(options.cache, logger);
  let ca: string | undefined;
  try {
    ca = await caCertificates(options.global);
  } catch (error) {
    if (ownsCache) await cache.close();
    throw error;
  }
  const fetch = { timeoutMs: timeoutMs(options.global), ...(ca !== undefined && { caCertificates: ca }) };
  const retireAfterMs = options.retireAfterMs ?? 30_000;
  let current: ImageCheckerHandle | undefined;
  const retiring = new Map<ImageCheckerHandle, NodeJS.Timeout>();
  let closed = false;

  const retire = (handle: ImageCheckerHandle) => {
    const timer = setTimeout(() => {
      retiring.delete(handle);
      void handle.close().catch(() => undefined);
    }, retireAfterMs);
    timer.unref();
    retiring.set(handle, timer);
  };

  return {
    cache,
    current: () => current?.checker,
    async load(paths) {
      if (closed) throw new CliError('CLOSED', 'the policy engine is closed');
      const loaded = await loadPolicies(paths, { fetch });
      for (const warning of loaded.warnings)
        logger.warn({ event: 'policy-warning' }, `policy: ${formatIssue(warning)}`);
      const handle = await createImageChecker({
        policySet: loaded.policySet,
        global: options.global,
        cache,
        ...(options.onRegistryRequest !== undefined && { onRegistryRequest: options.onRegistryRequest }),
        ...(options.trouble !== undefined && { trouble: options.trouble }),
        logger,
      });
      if (closed) {
        await handle.close();
        throw new CliError('CLOSED', 'the policy engine is closed');
      }
      const previous = current;
      current = handle;
      if (previous) retire(previous);
      return {
        checker: handle.checker,
        fingerprint: handle.fingerprint,
        resourceSensitive: handle.resourceSensitive,
        policyCount: loaded.policySet.policies.length,
      };
    },
    async close() {
      closed = true;
      const handles = [...retiring.keys(), ...(current ? [current] : [])];
      for (const timer of retiring.values()) clearTimeout(timer);
      retiring.clear();
      current = undefined;
      await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
      if (ownsCache) await cache.close();
    },
  };
}

/**
 * A policy load that failed, as the configuration error a command exits 2 with: every located
 * problem on a line of its own.
 */
export function policyLoadError(error: unknown): CliError {
  const cause = error instanceof AdmissionError && error.cause !== undefined ? error.cause : error;
  const detail =
    cause instanceof PolicyError
      ? `\n${cause.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`
      : ` ${describeError(cause)}`;
  return new CliError('CONFIG', `cannot load policies:${detail}`, { cause: error });
}
