import { access, chmod, mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { CacheBackend } from '../../cache/index.js';
import { describeError } from '../../errors.js';
import { checkNamespacePattern, type EnforcementConfig } from '../../gates/admission/enforcement.js';
import { AdmissionError } from '../../gates/admission/errors.js';
import type { DigestMutation } from '../../gates/admission/mutation.js';
import type { CheckerFactory } from '../../gates/admission/policy-watcher.js';
import type { PolicyEngine } from '../../policy/engine/index.js';
import { formatIssue, loadPolicies, PolicyError } from '../../policy/index.js';
import { RegistryTrouble, type RequestEvent } from '../../registry/index.js';
import type { CacheFlags } from '../cache-options.js';
import {
  createImageChecker,
  type ImageCheckerHandle,
  isCacheBackend,
  openCache,
  stderrCacheLogger,
} from '../checker.js';
import { CliError, ExitCode } from '../errors.js';
import { type GlobalOptions, timeoutMs } from '../global-options.js';
import { printLines, write } from '../output.js';
import { caCertificates } from './policy.js';

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

export interface WebhookOptions extends GlobalOptions {
  policy?: string[];
  tlsCert?: string;
  tlsKey?: string;
  port: string;
  host: string;
  cache: string;
  cacheHmacKeyFile?: string;
  timeoutBudget: string;
  digestMutation: DigestMutation;
  audit: boolean;
  enforceNamespaces?: string[];
  warnNamespaces?: string[];
  excludeNamespaces?: string[];
  logLevel: string;
}

/** Kubernetes never waits longer than 30 s for a webhook. */
const MAX_BUDGET_MS = 30_000;

/** `9s`, `9`, `2500ms`, `1.5s` → milliseconds; at most 30 s (the API server's limit). */
export function parseBudget(raw: string, flag = '--timeout-budget'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(raw.trim());
  const ms = match ? Number(match[1]) * (match[2] === 'ms' ? 1 : 1000) : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0)
    throw new CliError('USAGE', `${flag} must be a duration like 9s or 2500ms, got ${JSON.stringify(raw)}`);
  if (ms > MAX_BUDGET_MS)
    throw new CliError(
      'USAGE',
      `${flag} must be at most 30s (Kubernetes' webhook timeout limit), got ${raw}`,
    );
  return ms;
}

export function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535)
    throw new CliError('USAGE', `--port must be a number from 0 to 65535, got ${JSON.stringify(raw)}`);
  return port;
}

export function checkCache(raw: string): string {
  if (raw === 'memory') return raw;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError('USAGE', `--cache must be memory or a redis:// URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new CliError(
      'USAGE',
      `--cache must be memory or a redis:// or rediss:// URL, got ${JSON.stringify(raw)}`,
    );
  return raw;
}

function namespaceList(flag: string, entries: readonly string[] | undefined): string[] {
  const list = (entries ?? []).filter((entry) => entry !== '');
  for (const entry of list) {
    const problem = checkNamespacePattern(entry);
    if (problem) throw new CliError('USAGE', `${flag}: ${problem}`);
  }
  return list;
}

/**
 * The policy files: `--policy` (repeatable), else `VOUCH_POLICY` (paths separated by ":"), so that a
 * pipeline such as `kubectl get … | vouch audit - --report` can leave the flag out.
 */
export function policyPaths(
  flag: readonly string[] | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  if (flag?.length) return [...flag];
  const fromEnv = (env.VOUCH_POLICY ?? '').split(delimiter).filter((entry) => entry !== '');
  if (fromEnv.length) return fromEnv;
  throw new CliError(
    'USAGE',
    '--policy (or VOUCH_POLICY) is required: a ClusterImagePolicy file or directory',
  );
}

/** vouch's own namespace: from the downward API (`POD_NAMESPACE`), else the one deploy/ uses. */
export function ownNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_NAMESPACE || 'vouch-system';
}

export function enforcementFrom(
  options: Pick<WebhookOptions, 'audit' | 'enforceNamespaces' | 'warnNamespaces' | 'excludeNamespaces'>,
  defaultExcluded: readonly string[],
): EnforcementConfig {
  return {
    audit: options.audit === true,
    enforceNamespaces: namespaceList('--enforce-namespaces', options.enforceNamespaces),
    warnNamespaces: namespaceList('--warn-namespaces', options.warnNamespaces),
    excludeNamespaces:
      options.excludeNamespaces === undefined
        ? [...defaultExcluded]
        : namespaceList('--exclude-namespaces', options.excludeNamespaces),
  };
}

/** `vouch webhook`: serves until SIGTERM or SIGINT, then drains and exits 0. */
export async function runWebhook(options: WebhookOptions): Promise<ExitCode> {
  const policies = policyPaths(options.policy);
  if (!options.tlsCert || !options.tlsKey)
    throw new CliError('USAGE', '--tls-cert and --tls-key are required (see `vouch webhook certs`)');
  const port = parsePort(options.port);
  const budgetMs = parseBudget(options.timeoutBudget);
  const cache = checkCache(options.cache);
  const enforcement = enforcementFrom(options, ['kube-system', ownNamespace()]);

  // Loaded here, not at the top: `vouch audit` shares this module and needs neither.
  const { pino } = await import('pino');
  const { WebhookMetrics } = await import('../../gates/admission/metrics.js');
  const logger = pino({ level: options.logLevel, base: { service: 'vouch-webhook' } });
  const metrics = new WebhookMetrics();
  const problems = new RegistryTrouble();
  const factory = await createChecker({
    cache: {
      cache,
      ...(options.cacheHmacKeyFile !== undefined && { cacheHmacKeyFile: options.cacheHmacKeyFile }),
    },
    global: options,
    onRegistryRequest: (event) => metrics.recordRegistryRequest(event),
    trouble: problems,
    logger,
    // An engine replaced by a reload serves the admissions that started with it to their end.
    retireAfterMs: budgetMs + 1000,
  });

  const { startWebhookServer } = await import('../../gates/admission/server.js');
  let server: Awaited<ReturnType<typeof startWebhookServer>>;
  try {
    server = await startWebhookServer({
      policyPaths: policies,
      factory,
      tlsCertFile: options.tlsCert,
      tlsKeyFile: options.tlsKey,
      port,
      host: options.host,
      gate: { budgetMs, digestMutation: options.digestMutation, enforcement },
      logger,
      metrics,
      problems,
    });
  } catch (error) {
    await factory.close().catch(() => undefined);
    if (error instanceof AdmissionError && error.code === 'POLICY_LOAD') throw policyLoadError(error);
    if (error instanceof AdmissionError) throw new CliError('CONFIG', error.message, { cause: error });
    throw error;
  }

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ event: 'shutdown', signal }, 'shutting down');
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await server.close();
  return ExitCode.OK;
}

export interface CertsOptions {
  service: string;
  namespace: string;
  out: string;
  days: string;
  force: boolean;
}

/** `vouch webhook certs`: writes ca.crt, tls.crt, tls.key and prints the caBundle on stdout. */
export async function runCerts(options: CertsOptions): Promise<ExitCode> {
  const days = Number(options.days);
  if (!/^\d+$/.test(options.days) || days < 1 || days > 3650)
    throw new CliError(
      'USAGE',
      `--days must be a whole number from 1 to 3650, got ${JSON.stringify(options.days)}`,
    );
  const files = {
    ca: join(options.out, 'ca.crt'),
    cert: join(options.out, 'tls.crt'),
    key: join(options.out, 'tls.key'),
  };
  if (!options.force) {
    for (const file of Object.values(files)) {
      const exists = await access(file).then(
        () => true,
        () => false,
      );
      if (exists) throw new CliError('USAGE', `${file} exists; pass --force to replace it`);
    }
  }
  const { generateWebhookCertificates } = await import('../../gates/admission/certs.js');
  let certificates: Awaited<ReturnType<typeof generateWebhookCertificates>>;
  try {
    certificates = await generateWebhookCertificates({
      service: options.service,
      namespace: options.namespace,
      days,
    });
  } catch (error) {
    if (error instanceof AdmissionError) throw new CliError('USAGE', error.message, { cause: error });
    throw error;
  }
  try {
    await mkdir(options.out, { recursive: true });
    await writeFile(files.ca, certificates.caCert);
    await writeFile(files.cert, certificates.tlsCert);
    await writeFile(files.key, certificates.tlsKey, { mode: 0o600 });
    await chmod(files.key, 0o600);
  } catch (error) {
    throw new CliError('CONFIG', `cannot write to ${options.out}: ${describeError(error)}`, { cause: error });
  }
  await write(
    process.stderr,
    `wrote ${files.ca}, ${files.cert}, ${files.key}\n` +
      `serving certificate for ${certificates.dnsNames.join(', ')}, valid until ${certificates.notAfter.toISOString()}\n` +
      'caBundle (for the webhook configurations):\n',
  );
  await printLines([Buffer.from(certificates.caCert).toString('base64')]);
  return ExitCode.OK;
}
