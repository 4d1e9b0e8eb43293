/**
 * The one place the policy engine is built for a command or gate: the registry clients (pull-secret
 * credentials chained before the docker config), the cache, and the engine itself.
 *
 *   const { checker, close } = await createImageChecker({ policySet, global: options });
 *   const verdict = await checker.check({ image });
 *
 * `policySetFromAuthority` turns `--key` / keyless flags into a one-policy set, so that flag-based
 * checks go through the same engine, cache and verdicts as ClusterImagePolicies.
 */
import { type CacheBackend, CacheError, type CacheLogger, createCache } from '../cache/index.js';
import { describeError } from '../errors.js';
import { PolicyEngine, PullSecretClients } from '../policy/engine/index.js';
import type { NoMatchPolicy, PolicySet } from '../policy/model.js';
import {
  ChainedCredentials,
  type CredentialStore,
  type RegistryTrouble,
  type RequestEvent,
} from '../registry/index.js';
import type { CacheFlags } from './cache-options.js';
import { CliError } from './errors.js';
import { createClient, type GlobalOptions, loadCredentials, timeoutMs } from './global-options.js';
import { write } from './output.js';

export { policySetFromAuthority } from '../policy/engine/index.js';

export interface CheckerSetup {
  policySet: PolicySet;
  /** The global registry flags (`--registry-config`, `--allow-http-registry`, `--ca-file`, `--timeout`). */
  global: GlobalOptions;
  /**
   * A cache to use (shared, e.g. across policy reloads; not closed by `close()`), or the `--cache` flags
   * (the cache is then created here and closed by `close()`). Default: in-memory.
   */
  cache?: CacheBackend | CacheFlags;
  /** The no-match policy when the policy files do not choose one (builds: `warn`). */
  noMatchDefault?: NoMatchPolicy;
  /** Called for every registry request (metrics); the engine also keeps the last problem per registry. */
  onRegistryRequest?: (event: RequestEvent) => void;
  /** Where the engine keeps those problems (shared with a gate that explains its own timeouts). */
  trouble?: RegistryTrouble;
  /** Where cache degradation is reported (default: `vouch: warning: …` lines on stderr). */
  logger?: CacheLogger;
  /**
   * Registry access beyond the global flags, for every client of the engine: credentials tried before
   * the docker config's (a Flux ImageRepository's `secretRef`, so that the registry that listed the tags
   * also lets the engine verify them), and registries reached over plain HTTP (its `insecure: true`).
   */
  registryAccess?: { credentials?: CredentialStore; insecureRegistries?: readonly string[] };
}

export interface ImageCheckerHandle {
  /** The engine (an `ImageChecker`). */
  checker: PolicyEngine;
  /** Identifies the policies and trust material in force. */
  fingerprint: string;
  /** Some verdict depends on the resource an image came from. */
  resourceSensitive: boolean;
  close(): Promise<void>;
}

/** A CacheLogger for commands: warnings on stderr, nothing else. */
export const stderrCacheLogger: CacheLogger = {
  warn(fields, message) {
    const detail = typeof fields.error === 'string' ? ` (${fields.error})` : '';
    void write(process.stderr, `vouch: warning: ${message}${detail}\n`);
  },
  info() {},
};

/** An open cache rather than `--cache` flags. */
export function isCacheBackend(cache: CacheBackend | CacheFlags): cache is CacheBackend {
  return typeof (cache as Partial<CacheBackend>).get === 'function';
}

export async function createImageChecker(setup: CheckerSetup): Promise<ImageCheckerHandle> {
  let engine: PolicyEngine | undefined;
  const onRequest = (event: RequestEvent) => {
    engine?.recordRequest(event);
    setup.onRegistryRequest?.(event);
  };
  const access = setup.registryAccess;
  const dockerConfig = await loadCredentials(setup.global);
  const baseCredentials = access?.credentials
    ? new ChainedCredentials([access.credentials, dockerConfig])
    : dockerConfig;
  const clientOptions = {
    onRequest,
    credentials: baseCredentials,
    ...(access?.insecureRegistries?.length && {
      insecureRegistries: [...(setup.global.allowHttpRegistry ?? []), ...access.insecureRegistries],
    }),
  };
  const defaultClient = await createClient(setup.global, clientOptions);
  let clients: PullSecretClients | undefined;
  let ownedCache: CacheBackend | undefined;
  try {
    clients = await PullSecretClients.build(
      setup.policySet,
      defaultClient,
      (credentials) => createClient(setup.global, { ...clientOptions, credentials }),
      baseCredentials,
    );
    let cache: CacheBackend;
    if (setup.cache !== undefined && isCacheBackend(setup.cache)) cache = setup.cache;
    else {
      ownedCache = await openCache(setup.cache ?? {}, setup.logger ?? stderrCacheLogger);
      cache = ownedCache;
    }
    engine = new PolicyEngine({
      policySet: setup.policySet,
      clients,
      cache,
      timeoutMs: timeoutMs(setup.global),
      ...(setup.trouble !== undefined && { trouble: setup.trouble }),
      ...(setup.noMatchDefault !== undefined && { noMatchDefault: setup.noMatchDefault }),
    });
  } catch (error) {
    await (clients ?? defaultClient).close();
    await ownedCache?.close();
    throw error;
  }
  const ownedClients = clients;
  const owned = ownedCache;
  return {
    checker: engine,
    fingerprint: engine.fingerprint,
    resourceSensitive: engine.resourceSensitive,
    async close() {
      await ownedClients.close();
      await owned?.close();
    },
  };
}

/** The cache the `--cache` flags ask for; a bad value or a missing HMAC key is a configuration error. */
export async function openCache(
  flags: CacheFlags,
  logger: CacheLogger = stderrCacheLogger,
): Promise<CacheBackend> {
  try {
    return await createCache(flags.cache, {
      logger,
      ...(flags.cacheHmacKeyFile !== undefined && { hmacKeyFile: flags.cacheHmacKeyFile }),
    });
  } catch (error) {
    if (error instanceof CacheError) throw new CliError('CONFIG', describeError(error), { cause: error });
    throw error;
  }
}
