import { access, chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../../errors.js';
import { AdmissionError } from '../../gates/admission/errors.js';
import type { DigestMutation } from '../../gates/admission/mutation.js';
import { RegistryTrouble } from '../../registry/index.js';
import {
  checkCache,
  type EnforcementFlags,
  enforcementFrom,
  ownNamespace,
  policyPaths,
} from '../admission-options.js';
import { createChecker, policyLoadError } from '../engine-factory.js';
import { CliError, ExitCode } from '../errors.js';
import type { GlobalOptions } from '../global-options.js';
import { printLines, write } from '../output.js';

export interface WebhookOptions extends GlobalOptions, EnforcementFlags {
  policy?: string[];
  tlsCert?: string;
  tlsKey?: string;
  port: string;
  host: string;
  cache: string;
  cacheHmacKeyFile?: string;
  timeoutBudget: string;
  digestMutation: DigestMutation;
  logLevel: string;
}

/** Kubernetes never waits longer than 30 s for a webhook. */
const MAX_BUDGET_MS = 30_000;
/** Below this no registry answers in time: every image would be denied as a timeout. */
const MIN_BUDGET_MS = 100;

/** `9s`, `9`, `2500ms`, `1.5s` → milliseconds; from 100 ms to 30 s (the API server's limit). */
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
  if (ms < MIN_BUDGET_MS)
    throw new CliError(
      'USAGE',
      `${flag} must be at least ${MIN_BUDGET_MS}ms (no registry answers sooner), got ${raw}`,
    );
  return Math.round(ms);
}

export function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535)
    throw new CliError('USAGE', `--port must be a number from 0 to 65535, got ${JSON.stringify(raw)}`);
  return port;
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
  metrics.watchCache(() => factory.cache.stats());

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
    // The port is taken or refused: not a configuration error (exit 1, with the address).
    if (error instanceof AdmissionError && error.code === 'LISTEN') throw error;
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
