/**
 * A real `vouch webhook` (bin/vouch over dist/: run `npm run build` first; `npm test` does) on a free
 * loopback port, with its own serving certificate, and the client side a test needs: AdmissionReviews
 * posted over HTTPS, and the figures read back from its /metrics.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { generateWebhookCertificates } from '../../src/gates/admission/certs.js';
import { VOUCH_BIN } from './cli.js';
import { freePort, type ManagedProcess, startProcess, tempDir, waitFor } from './processes.js';

const SERVICE = 'vouch-webhook';
const NAMESPACE = 'vouch-system';

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string };
  warnings?: string[];
  patchType?: string;
  patch?: string;
}

export interface RunningWebhook {
  url: string;
  process: ManagedProcess;
  /**
   * Posts a body (JSON-encoded unless a string) and returns the HTTP status and the parsed answer.
   * `waitMs`: give up (reject) when no answer has come by then, as the API server does after the
   * webhook's `timeoutSeconds`.
   */
  post(
    path: string,
    body: unknown,
    contentType?: string,
    options?: { waitMs?: number },
  ): Promise<{ status: number; body: unknown }>;
  /** Posts an AdmissionReview to `/validate` or `/mutate` and returns its `response` (HTTP 200 required). */
  admit(body: unknown, endpoint?: 'validate' | 'mutate'): Promise<AdmissionResponse>;
  get(path: string): Promise<{ status: number; text: string }>;
  metrics(): Promise<string>;
  /** The sum of every sample of a counter (all label values), 0 when it has none yet. */
  counter(name: string, labels?: Record<string, string>): Promise<number>;
  /** Registry requests made so far (`vouch_registry_requests_total`, every registry and status). */
  registryRequests(): Promise<number>;
  /** The most memory the process has held so far (VmHWM, peak resident set size), in bytes. */
  peakRssBytes(): Promise<number>;
  stop(): Promise<void>;
}

export interface WebhookProcessOptions {
  /** `--policy` paths. */
  policy: string[];
  /** Further flags (`--digest-mutation all`, `--cache redis://…`, …). */
  args?: string[];
  /** Flags for node itself (`--max-old-space-size=384`). */
  nodeOptions?: string[];
  env?: Record<string, string>;
}

/** Sums `name{labels…} value` lines of a Prometheus text page whose labels include `labels`. */
export function sumSamples(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[3] ?? '';
    if (Object.entries(labels).every(([key, value]) => present.includes(`${key}="${value}"`)))
      sum += Number(match[4]);
  }
  return sum;
}

export async function startWebhookProcess(options: WebhookProcessOptions): Promise<RunningWebhook> {
  const dir = await tempDir('webhook-process');
  const tls = join(dir, 'tls');
  await mkdir(tls);
  const certificates = await generateWebhookCertificates({ service: SERVICE, namespace: NAMESPACE });
  await writeFile(join(tls, 'tls.crt'), certificates.tlsCert);
  await writeFile(join(tls, 'tls.key'), certificates.tlsKey);
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    DOCKER_CONFIG: '/nonexistent-vouch-test',
    VOUCH_POLICY: undefined,
    ...options.env,
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  const child = startProcess(
    process.execPath,
    [
      ...(options.nodeOptions ?? []),
      VOUCH_BIN,
      'webhook',
      ...options.policy.flatMap((path) => ['--policy', path]),
      '--tls-cert',
      join(tls, 'tls.crt'),
      '--tls-key',
      join(tls, 'tls.key'),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      ...(options.args ?? []),
    ],
    { env: env as NodeJS.ProcessEnv },
  );
  const url = `https://127.0.0.1:${port}`;
  const agent = new Agent({
    connect: { ca: certificates.caCert, servername: `${SERVICE}.${NAMESPACE}.svc` },
  });

  const get = async (path: string) => {
    const response = await request(`${url}${path}`, { dispatcher: agent });
    return { status: response.statusCode, text: await response.body.text() };
  };
  const post = async (
    path: string,
    body: unknown,
    contentType = 'application/json',
    options: { waitMs?: number } = {},
  ) => {
    const response = await request(`${url}${path}`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      ...(options.waitMs !== undefined && { headersTimeout: options.waitMs, bodyTimeout: options.waitMs }),
    });
    return { status: response.statusCode, body: (await response.body.json()) as unknown };
  };
  try {
    await waitFor(
      'vouch webhook',
      async () => {
        if (child.child.exitCode !== null) throw new Error('exited');
        return (await get('/readyz')).status === 200;
      },
      20_000,
      () => child.output(),
    );
  } catch (error) {
    await child.stop();
    await agent.close();
    throw error;
  }
  const metrics = async () => (await get('/metrics')).text;
  return {
    url,
    process: child,
    get,
    post,
    async admit(body, endpoint = 'validate') {
      const response = await post(`/${endpoint}`, body);
      if (response.status !== 200)
        throw new Error(`HTTP ${response.status}: ${JSON.stringify(response.body)}\n${child.output()}`);
      return (response.body as { response: AdmissionResponse }).response;
    },
    metrics,
    async counter(name, labels = {}) {
      return sumSamples(await metrics(), name, labels);
    },
    async registryRequests() {
      return sumSamples(await metrics(), 'vouch_registry_requests_total');
    },
    async peakRssBytes() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
      if (kib === undefined) throw new Error(`no VmHWM in /proc/${child.pid}/status`);
      return Number(kib) * 1024;
    },
    async stop() {
      await child.stop();
      await agent.close();
    },
  };
}
