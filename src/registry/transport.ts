import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Deadline, formatDuration, sleep } from '../util/deadline.js';
import { Semaphore } from '../util/semaphore.js';
import { RegistryError, type RegistryErrorCode } from './errors.js';

/** What a request is for; counted separately so benchmarks and metrics can tell them apart. */
export type RequestKind =
  | 'manifest-head'
  | 'manifest-get'
  | 'manifest-put'
  | 'blob-head'
  | 'blob-get'
  | 'blob-upload'
  | 'tags-list'
  | 'referrers'
  | 'token';

export interface RequestEvent {
  registry: string;
  kind: RequestKind;
  method: string;
  /** HTTP status, or 0 when no answer arrived (network error, timeout). */
  status: number;
  durationMs: number;
}

export interface TransportOptions {
  /** Registries reached over plain HTTP although they are not loopback (`--allow-http-registry`). */
  insecureRegistries?: readonly string[];
  /** Extra PEM CA certificates trusted for HTTPS registries (`--ca-file`). */
  caCertificates?: string;
  /** Requests in flight per registry (default 16). */
  maxConcurrencyPerRegistry?: number;
  /** Attempts for a request answered 429/5xx or failing on the network (default 4). */
  maxAttempts?: number;
  /** First back-off delay; doubles each attempt, with jitter (default 200 ms). */
  retryBaseDelayMs?: number;
  /** Default deadline for a request given none (default 30 s). */
  defaultTimeoutMs?: number;
  userAgent?: string;
  onRequest?: (event: RequestEvent) => void;
}

export interface HttpRequest {
  registry: string;
  kind: RequestKind;
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH';
  /** Path below the registry root (`/v2/…`) or an absolute URL (token realms, upload locations). */
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  deadline?: Deadline;
  /** Refuse bodies larger than this (content-length or streamed). */
  maxBodyBytes?: number;
}

/** Read access to response headers, case-insensitive. */
export class ResponseHeaders {
  constructor(private readonly raw: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }
}

export interface HttpResponse {
  status: number;
  headers: ResponseHeaders;
  body: Uint8Array;
  /** The final URL after redirects. */
  url: string;
}

/** Where one exchange goes: what node:http needs, and the URL it stands for. */
interface Target {
  origin: string;
  https: boolean;
  hostname: string;
  port: number | undefined;
  /** Path and query. */
  path: string;
  href: string;
}

function urlTarget(url: URL): Target {
  return {
    origin: url.origin,
    https: url.protocol === 'https:',
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    href: url.toString(),
  };
}

/** A path node:http would send unchanged: no spaces, controls or non-ASCII to encode. */
const PLAIN_PATH = /^\/[\x21-\x7e]*$/;

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('the request was aborted');
}

const MAX_REDIRECTS = 10;
const ERROR_BODY_LIMIT = 64 * 1024;
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/** `localhost`, 127.0.0.0/8 and `[::1]` are reached over HTTP, as go-containerregistry does. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = hostOf(registry);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function hostOf(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(1, registry.indexOf(']'));
  const colon = registry.lastIndexOf(':');
  return colon >= 0 ? registry.slice(0, colon) : registry;
}

/**
 * The HTTP layer of the registry client: scheme choice, deadlines, bounded concurrency, redirects,
 * retries of 429/5xx honouring `Retry-After`, body size caps, request counting. It knows nothing of
 * authentication; `auth.ts` sits on top and re-sends with credentials after a 401.
 *
 * It speaks node:http/node:https over keep-alive agents rather than `fetch`: measured on the 2-core
 * target machine, undici's fetch alone costs about 1.4x a bare keep-alive node:http request, which by
 * itself would break the goal of staying within 1.3x of a bare client. Everything fetch would give us
 * that matters here (deadlines, manual redirects, streaming reads) is a few lines on top of node:http.
 */
export class HttpTransport {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private readonly limits = new Map<string, Semaphore>();
  /** Each registry's root, parsed once. */
  private readonly origins = new Map<string, Target>();
  private readonly insecure: ReadonlySet<string>;
  private readonly maxConcurrency: number;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly defaultTimeoutMs: number;
  private readonly userAgent: string;
  private readonly onRequest: ((event: RequestEvent) => void) | undefined;

  constructor(options: TransportOptions = {}) {
    this.httpAgent = new HttpAgent({ keepAlive: true, keepAliveMsecs: 30_000 });
    // A custom `ca` replaces Node's bundled roots, so extra CAs are added to them, not swapped in.
    this.httpsAgent = new HttpsAgent({
      keepAlive: true,
      keepAliveMsecs: 30_000,
      ...(options.caCertificates && { ca: [...rootCertificates, options.caCertificates] }),
    });
    this.insecure = new Set(options.insecureRegistries ?? []);
    this.maxConcurrency = options.maxConcurrencyPerRegistry ?? 16;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 200;
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'vouch';
    this.onRequest = options.onRequest;
  }

  baseUrl(registry: string): string {
    const scheme = isLoopbackRegistry(registry) || this.insecure.has(registry) ? 'http' : 'https';
    return `${scheme}://${registry}`;
  }

  async close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** Sends a request, retrying throttling and server errors within the deadline. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const deadline = request.deadline ?? Deadline.after(this.defaultTimeoutMs);
    const limit = this.limitFor(request.registry);
    // POST and PATCH move an upload forward; repeating one after a failure could corrupt it.
    const idempotent = request.method !== 'POST' && request.method !== 'PATCH';
    let lastProblem: string | undefined;
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse;
      try {
        response = await limit.run(() => this.sendOnce(request, deadline), deadline.signal);
      } catch (error) {
        const mapped = this.mapThrown(error, request, deadline, lastProblem);
        const retryable = mapped.code === 'NETWORK' && idempotent;
        if (!retryable || attempt >= Math.min(this.maxAttempts, 3)) throw mapped;
        lastProblem = mapped.message;
        await this.backoff(attempt, undefined, deadline, request, lastProblem);
        continue;
      }
      if (!idempotent || !RETRYABLE_STATUS.has(response.status) || attempt >= this.maxAttempts)
        return response;
      lastProblem = `registry ${request.registry} answered ${response.status}${statusText(response.status)}`;
      await this.backoff(
        attempt,
        response.headers.get('retry-after'),
        deadline,
        request,
        lastProblem,
        response,
      );
    }
  }

  private limitFor(registry: string): Semaphore {
    let limit = this.limits.get(registry);
    if (!limit) {
      limit = new Semaphore(this.maxConcurrency);
      this.limits.set(registry, limit);
    }
    return limit;
  }

  /** Waits before the next attempt, or gives up now if the wait would overrun the deadline. */
  private async backoff(
    attempt: number,
    retryAfter: string | null | undefined,
    deadline: Deadline,
    request: HttpRequest,
    problem: string,
    response?: HttpResponse,
  ): Promise<void> {
    const exponential = this.retryBaseDelayMs * 2 ** (attempt - 1);
    const jittered = exponential / 2 + Math.random() * (exponential / 2);
    const asked = parseRetryAfter(retryAfter);
    const wait = Math.min(Math.max(asked ?? 0, jittered), 60_000);
    if (wait >= deadline.remainingMs()) {
      const code: RegistryErrorCode =
        response?.status === 429 ? 'TOO_MANY_REQUESTS' : response ? 'SERVER_ERROR' : 'NETWORK';
      const after =
        asked !== undefined ? ` (it asked to retry after ${formatDuration(asked)}, beyond the deadline)` : '';
      throw new RegistryError(code, `${problem}${after}`, {
        registry: request.registry,
        ...(response && { status: response.status, ...registryMessage(response) }),
      });
    }
    try {
      await sleep(wait, deadline.signal);
    } catch {
      throw this.timeoutError(request, deadline, problem);
    }
  }

  private async sendOnce(request: HttpRequest, deadline: Deadline): Promise<HttpResponse> {
    // Registry paths (the usual case) go straight to the agent, without a URL object per request.
    let target: Target = this.fastTarget(request) ?? urlTarget(this.absoluteUrl(request));
    const origin = target.origin;
    let headers: Record<string, string> = { 'user-agent': this.userAgent, ...request.headers };
    let method = request.method;
    let body = request.body;
    for (let hop = 0; ; hop++) {
      const started = performance.now();
      let status = 0;
      try {
        const response = await this.exchange(target, method, headers, body, deadline);
        status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (status >= 300 && status < 400 && location) {
          await drain(response);
          if (hop >= MAX_REDIRECTS) {
            throw new RegistryError(
              'TOO_MANY_REDIRECTS',
              `registry ${request.registry} redirected more than ${MAX_REDIRECTS} times`,
              {
                registry: request.registry,
                status,
              },
            );
          }
          target = urlTarget(new URL(location, target.href));
          // Credentials are for the registry, never for wherever it redirects to (blob storage, CDN).
          if (target.origin !== origin) headers = withoutAuthorization(headers);
          if (status === 303) {
            method = 'GET';
            body = undefined;
          }
          continue;
        }
        const ok = status >= 200 && status < 300;
        const limit = ok ? request.maxBodyBytes : ERROR_BODY_LIMIT;
        const responseHeaders = new ResponseHeaders(response.headers);
        const bytes =
          method === 'HEAD'
            ? await drain(response)
            : await readBody(response, responseHeaders, limit, request.registry, ok, request.kind);
        return { status, headers: responseHeaders, body: bytes, url: target.href };
      } finally {
        this.onRequest?.({
          registry: request.registry,
          kind: request.kind,
          method,
          status,
          durationMs: performance.now() - started,
        });
      }
    }
  }

  private absoluteUrl(request: HttpRequest): URL {
    return new URL(
      request.url.startsWith('/') ? `${this.baseUrl(request.registry)}${request.url}` : request.url,
    );
  }

  /**
   * A registry-relative path of plain printable ASCII, sent as is to the registry's origin (parsed once
   * per registry); anything else goes through URL parsing and its percent-encoding.
   */
  private fastTarget(request: HttpRequest): Target | undefined {
    if (!PLAIN_PATH.test(request.url)) return undefined;
    let base = this.origins.get(request.registry);
    if (base === undefined) {
      base = urlTarget(new URL(`${this.baseUrl(request.registry)}/`));
      this.origins.set(request.registry, base);
    }
    return {
      origin: base.origin,
      https: base.https,
      hostname: base.hostname,
      port: base.port,
      path: request.url,
      href: base.origin + request.url,
    };
  }

  /**
   * One HTTP exchange: resolves with the response head; the body is read by the caller. The deadline
   * aborts it at any point until the response has been read (`Deadline.onExpire`: node's own `signal`
   * option adds a listener and stream watchers per request, a measurable share of a cold admission).
   */
  private exchange(
    target: Target,
    method: string,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
    deadline: Deadline,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      if (deadline.signal.aborted) {
        reject(deadline.signal.reason);
        return;
      }
      const send = target.https ? httpsRequest : httpRequest;
      const outgoing = send({
        protocol: target.https ? 'https:' : 'http:',
        hostname: target.hostname,
        ...(target.port !== undefined && { port: target.port }),
        path: target.path,
        method,
        headers: body !== undefined ? { ...headers, 'content-length': String(body.byteLength) } : headers,
        agent: target.https ? this.httpsAgent : this.httpAgent,
      });
      const cancel = deadline.onExpire(() => outgoing.destroy(abortError(deadline.signal)));
      outgoing.once('close', cancel);
      outgoing.once('response', resolve);
      outgoing.once('error', reject);
      outgoing.end(body);
    });
  }

  private mapThrown(
    error: unknown,
    request: HttpRequest,
    deadline: Deadline,
    lastProblem: string | undefined,
  ): RegistryError {
    if (error instanceof RegistryError) return error;
    if (deadline.expired) return this.timeoutError(request, deadline, lastProblem);
    const detail = error instanceof Error ? error.message : String(error);
    return new RegistryError('NETWORK', `cannot reach registry ${request.registry}: ${detail}`, {
      registry: request.registry,
      cause: error,
    });
  }

  private timeoutError(
    request: HttpRequest,
    deadline: Deadline,
    lastProblem: string | undefined,
  ): RegistryError {
    const suffix = lastProblem ? `: ${lastProblem}` : '';
    return new RegistryError(
      'TIMEOUT',
      `registry ${request.registry} did not answer within ${formatDuration(deadline.budgetMs)}${suffix}`,
      { registry: request.registry },
    );
  }
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  const copy = { ...headers };
  delete copy.authorization;
  return copy;
}

function statusText(status: number): string {
  if (status === 429) return ' Too Many Requests';
  if (status === 503) return ' Service Unavailable';
  return '';
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - Date.now());
}

/**
 * Discards a body nobody needs (HEAD, redirects) and waits for its end: only then is the socket back in
 * the keep-alive pool, so that the next request reuses it instead of opening a new connection.
 */
function drain(response: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const done = () => resolve(new Uint8Array(0));
    response.once('end', done);
    response.once('error', done);
    response.once('close', done);
    response.resume();
  });
}

async function readBody(
  response: IncomingMessage,
  headers: ResponseHeaders,
  limit: number | undefined,
  registry: string,
  ok: boolean,
  kind: RequestKind,
): Promise<Uint8Array> {
  const declared = Number(headers.get('content-length') ?? Number.NaN);
  if (limit !== undefined && ok && Number.isFinite(declared) && declared > limit) {
    response.destroy();
    throw tooLarge(registry, kind, declared, limit);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    };
    response.on('data', (chunk: Buffer) => {
      total += chunk.byteLength;
      if (limit !== undefined && total > limit) {
        response.destroy();
        // An error body is only read for its message: keep what came within the limit.
        settle(ok ? tooLarge(registry, kind, total, limit) : undefined);
        return;
      }
      chunks.push(chunk);
    });
    response.once('end', () => settle());
    response.once('error', (error) => settle(error));
    // A response cut short (socket destroyed by the deadline) closes without 'end'.
    response.once('close', () => {
      if (!response.complete) settle(new Error('the response was cut short'));
      else settle();
    });
  });
}

function tooLarge(registry: string, kind: RequestKind, size: number, limit: number): RegistryError {
  const what = kind.startsWith('manifest') ? 'manifest' : kind.startsWith('blob') ? 'blob' : 'response';
  return new RegistryError(
    'TOO_LARGE',
    `${what} from ${registry} is larger than the ${limit}-byte limit (at least ${size} bytes)`,
    {
      registry,
    },
  );
}

/** The registry's own error message from an OCI error body `{errors:[{code,message}]}`. */
export function registryMessage(response: HttpResponse): { registryMessage?: string; registryCode?: string } {
  try {
    const json = JSON.parse(Buffer.from(response.body).toString('utf8')) as {
      errors?: Array<{ code?: string; message?: string; detail?: unknown }>;
    };
    const first = json.errors?.[0];
    if (!first) return {};
    const detail =
      first.detail !== undefined && first.detail !== null && typeof first.detail !== 'object'
        ? `: ${String(first.detail)}`
        : '';
    return {
      ...(first.message !== undefined && { registryMessage: `${first.message}${detail}` }),
      ...(first.code !== undefined && { registryCode: first.code }),
    };
  } catch {
    const text = Buffer.from(response.body).toString('utf8').trim().slice(0, 200);
    return text ? { registryMessage: text } : {};
  }
}
