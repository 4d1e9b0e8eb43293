/**
 * `vouch webhook`'s HTTPS server: fastify with pino JSON logs, `POST /validate` and `POST /mutate`
 * (AdmissionReview in and out), `GET /healthz`, `GET /readyz`, `GET /metrics`. The policy engine is
 * injected (a CheckerFactory), so this file knows nothing of how verdicts are made.
 */
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import Fastify, { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { type Logger, pino } from 'pino';
import { describeError } from '../../errors.js';
import { RegistryTrouble } from '../../registry/index.js';
import { AdmissionError } from './errors.js';
import {
  AdmissionGate,
  type AdmissionOutcome,
  type Endpoint,
  type GateOptions,
  namespaceOf,
} from './gate.js';
import { LargeReviews } from './limits.js';
import { type AdmissionVerdictLabel, WebhookMetrics } from './metrics.js';
import { type CheckerFactory, PolicyWatcher } from './policy-watcher.js';
import { type AdmissionRequest, buildAdmissionReview, parseAdmissionReview } from './review.js';
import { checkTlsPair } from './tls-files.js';

/** The API server's own default limit for request bodies (3 MiB). */
export const DEFAULT_BODY_LIMIT = 3 * 1024 * 1024;

export interface WebhookServerOptions {
  policyPaths: readonly string[];
  /** The policy engine; closed when the server closes. */
  factory: CheckerFactory;
  tlsCertFile: string;
  tlsKeyFile: string;
  /** Default 8443; 0 picks a free port. */
  port?: number;
  /** Default `0.0.0.0`. */
  host?: string;
  gate: GateOptions;
  logger?: Logger;
  /** Created by the caller when the engine's registry client must report to it (`recordRegistryRequest`). */
  metrics?: WebhookMetrics;
  /** Fed by the engine's registry client too, to explain timeouts. */
  problems?: RegistryTrouble;
  bodyLimitBytes?: number;
  policyDebounceMs?: number;
  policyPollIntervalMs?: number;
}

export interface WebhookServer {
  /** `https://host:port` as bound. */
  url: string;
  port: number;
  gate: AdmissionGate;
  policies: PolicyWatcher;
  metrics: WebhookMetrics;
  /** Re-reads the TLS files now (they are also re-read when they change on disk). */
  reloadCertificates(): Promise<boolean>;
  close(): Promise<void>;
}

async function readTls(certFile: string, keyFile: string): Promise<{ cert: Buffer; key: Buffer }> {
  let cert: Buffer;
  let key: Buffer;
  try {
    [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  } catch (error) {
    throw new AdmissionError('TLS', `cannot read TLS files: ${describeError(error)}`, { cause: error });
  }
  checkTlsPair(cert, certFile, key, keyFile);
  return { cert, key };
}

/**
 * Loads the policies (throws AdmissionError 'POLICY_LOAD' or 'TLS' when it cannot start), then
 * listens. From then on, broken policy updates keep the last good policies and are reported.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const logger = options.logger ?? pino({ level: 'info' });
  const metrics = options.metrics ?? new WebhookMetrics();
  const problems = options.problems ?? new RegistryTrouble();
  const tls = await readTls(options.tlsCertFile, options.tlsKeyFile);

  const policies = new PolicyWatcher(options.policyPaths, options.factory, {
    ...(options.policyDebounceMs !== undefined && { debounceMs: options.policyDebounceMs }),
    ...(options.policyPollIntervalMs !== undefined && { pollIntervalMs: options.policyPollIntervalMs }),
    events: {
      onLoaded: ({ fingerprint, policyCount, initial }) => {
        metrics.policyReloads.inc({ result: 'success' });
        metrics.policyReloadFailing.set(0);
        metrics.policyLoadedTimestamp.set(Date.now() / 1000);
        logger.info(
          { event: initial ? 'policies-loaded' : 'policies-reloaded', fingerprint, policyCount },
          initial ? 'policies loaded' : 'policies reloaded',
        );
      },
      onReloadFailed: ({ error, keptFingerprint }) => {
        metrics.policyReloads.inc({ result: 'failure' });
        metrics.policyReloadFailing.set(1);
        logger.error(
          { event: 'policy-reload-failed', error, keptFingerprint },
          'policy update rejected; keeping the last good policies',
        );
      },
    },
  });
  await policies.start();

  const gate = new AdmissionGate(options.gate, () => policies.current(), problems, metrics.gateEvents());
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    https: { cert: tls.cert, key: tls.key },
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (admission logs carry the review's uid instead of a request id).
    childLoggerFactory: (parent) => parent,
    bodyLimit,
    return503OnClosing: true,
  });
  // The API server sends application/json only; anything else is refused (400) rather than guessed at.
  app.removeContentTypeParser('text/plain');
  // A burst of large reviews is shed (429) before their bodies are read: memory and the event loop stay
  // bounded, and small reviews (nearly all of them) are never refused.
  const large = new LargeReviews();
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST') return;
    const slot = large.enter(request.headers['content-length']);
    if (slot === 'small') return;
    if (slot === 'busy') {
      metrics.shed.inc();
      request.log.warn({ event: 'review-shed', bytes: request.headers['content-length'] }, 'busy');
      // The unread body is discarded as it arrives: the connection stays usable for the next review.
      return reply
        .code(429)
        .header('retry-after', '1')
        .send({ error: 'TOO_MANY_REQUESTS', message: large.busyMessage() });
    }
    reply.raw.once('close', slot);
  });
  let closing = false;

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      metrics.malformed.inc();
      const message =
        error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `AdmissionReview is larger than ${bodyLimit} bytes`
          : error.message;
      request.log.warn({ event: 'malformed-review', code: error.code, error: message }, 'bad request');
      return reply.code(400).send({ error: error.code ?? 'BAD_REQUEST', message });
    }
    request.log.error({ event: 'internal-error', error: describeError(error) }, 'internal error');
    return reply.code(500).send({ error: 'INTERNAL', message: 'internal error' });
  });

  const handle = (endpoint: Endpoint) => async (request: FastifyRequest, reply: FastifyReply) => {
    const started = performance.now();
    let admission: AdmissionRequest;
    try {
      admission = parseAdmissionReview(request.body);
    } catch (error) {
      return badRequest(error, request, reply);
    }
    let outcome: AdmissionOutcome;
    try {
      outcome = await gate.admit(admission, endpoint);
    } catch (error) {
      if (error instanceof AdmissionError && error.code === 'MALFORMED_REVIEW')
        return badRequest(error, request, reply);
      // Fail closed: whatever broke, this request is not admitted.
      request.log.error(
        { event: 'admission-error', uid: admission.uid, error: describeError(error) },
        'admission failed; denying',
      );
      metrics.denials.inc({ reason: 'internal-error' });
      metrics.recordAdmission(admission.operation, 'denied', (performance.now() - started) / 1000);
      return buildAdmissionReview({
        uid: admission.uid,
        allowed: false,
        message: `vouch could not check this request: ${describeError(error)}`,
      });
    }
    const verdict: AdmissionVerdictLabel =
      outcome.skipped !== undefined
        ? 'skipped'
        : !outcome.allowed
          ? 'denied'
          : outcome.warned
            ? 'warned'
            : 'allowed';
    metrics.recordAdmission(admission.operation, verdict, (performance.now() - started) / 1000);
    for (const reason of outcome.denialReasons) metrics.denials.inc({ reason });
    if (verdict === 'warned') metrics.warnedAdmissions.inc({ namespace: namespaceOf(admission) ?? '' });
    logAdmission(logger, endpoint, admission, outcome, verdict, performance.now() - started);
    return outcome.review;
  };

  const badRequest = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (!(error instanceof AdmissionError)) throw error;
    metrics.malformed.inc();
    request.log.warn({ event: 'malformed-review', error: error.message }, 'bad request');
    return reply.code(400).send({ error: error.code, message: error.message });
  };

  app.post('/validate', handle('validate'));
  app.post('/mutate', handle('mutate'));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const active = policies.current();
    if (closing || !active) return reply.code(503).send({ status: closing ? 'shutting down' : 'not ready' });
    return { status: 'ready', policies: active.fingerprint, stalePolicies: policies.failing };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.text();
  });

  const port = options.port ?? 8443;
  const listenHost = options.host ?? '0.0.0.0';
  try {
    await app.listen({ port, host: listenHost });
  } catch (error) {
    policies.close();
    await app.close().catch(() => undefined);
    throw new AdmissionError(
      'LISTEN',
      `cannot listen on ${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${port}: ${listenProblem(error)}`,
      { cause: error },
    );
  }
  const server = app.server as Server;
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const reloadCertificates = async (): Promise<boolean> => {
    try {
      const next = await readTls(options.tlsCertFile, options.tlsKeyFile);
      server.setSecureContext({ cert: next.cert, key: next.key });
      logger.info({ event: 'tls-reloaded' }, 'TLS certificate reloaded');
      return true;
    } catch (error) {
      logger.error(
        { event: 'tls-reload-failed', error: describeError(error) },
        'TLS update rejected; keeping the current certificate',
      );
      return false;
    }
  };
  const certWatchers = watchDirectories(
    [dirname(options.tlsCertFile), dirname(options.tlsKeyFile)],
    options.policyDebounceMs ?? 300,
    () => void reloadCertificates(),
  );

  logger.info(
    { event: 'listening', address: `https://${host}:${address.port}`, budgetMs: options.gate.budgetMs },
    'vouch webhook listening',
  );
  return {
    url: `https://${host}:${address.port}`,
    port: address.port,
    gate,
    policies,
    metrics,
    reloadCertificates,
    async close() {
      closing = true;
      certWatchers.close();
      policies.close();
      await app.close();
      await options.factory.close();
    },
  };
}

/** Why a listen failed, in words: the usual causes by their errno code, else the error itself. */
function listenProblem(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'EADDRINUSE') return 'address already in use';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EADDRNOTAVAIL') return 'address not available on this machine';
  return describeError(error);
}

/** Watches directories (a Secret mount swaps `..data` like a ConfigMap) and calls back, debounced. */
function watchDirectories(directories: readonly string[], debounceMs: number, onChange: () => void) {
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  for (const directory of new Set(directories)) {
    try {
      const watcher = watch(directory, { persistent: false }, () => {
        clearTimeout(timer);
        timer = setTimeout(onChange, debounceMs);
        timer.unref();
      });
      watcher.on('error', () => undefined);
      watchers.push(watcher);
    } catch {
      // Not watchable: the certificate is then only reloaded on restart.
    }
  }
  return {
    close() {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}

function logAdmission(
  log: Logger,
  endpoint: Endpoint,
  request: AdmissionRequest,
  outcome: AdmissionOutcome,
  verdict: AdmissionVerdictLabel,
  durationMs: number,
): void {
  // Allowed admissions are the common case and are logged only at debug level.
  if (verdict === 'allowed' && !log.isLevelEnabled('debug')) return;
  const base = {
    event: 'admission',
    endpoint,
    uid: request.uid,
    operation: request.operation,
    kind: request.kind.kind,
    namespace: namespaceOf(request),
    name: request.name ?? request.object?.metadata?.name ?? request.object?.metadata?.generateName,
    dryRun: request.dryRun,
    verdict,
    durationMs: Math.round(durationMs * 10) / 10,
  };
  if (outcome.skipped !== undefined) {
    // Kinds and subresources vouch does not know are worth seeing; the routine skips are not.
    const unusual = /^subresource .* is not checked$|carries no pod template/.test(outcome.skipped);
    log[unusual ? 'info' : 'debug']({ ...base, skipped: outcome.skipped }, 'admitted without checks');
    return;
  }
  const detail = {
    ...base,
    mode: outcome.mode,
    patched: outcome.patch.length,
    images: outcome.images.map((image) => ({
      image: image.image,
      digest: image.verdict.digest,
      origin: image.origin,
      cached: image.verdict.cached === true,
      allowed: image.decision.allowed,
      errors: image.verdict.errors,
      warnings: image.decision.warnings,
      policies: image.verdict.policies.map((policy) => ({
        name: policy.name,
        mode: policy.mode,
        passed: policy.passed,
      })),
    })),
  };
  if (verdict === 'denied') log.info({ ...detail, message: outcome.message }, 'denied');
  else if (verdict === 'warned') log.warn(detail, 'admitted with warnings');
  else log.debug(detail, 'admitted');
}
