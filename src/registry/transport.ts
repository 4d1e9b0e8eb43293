import { isIP } from 'node:net';
import { Agent, type Dispatcher, fetch } from 'undici';
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

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** The final URL after redirects. */
  url: string;
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
 */
export class HttpTransport {
  private readonly dispatcher: Dispatcher;
  private readonly limits = new Map<string, Semaphore>();
  private readonly insecure: ReadonlySet<string>;
  private readonly maxConcurrency: number;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly defaultTimeoutMs: number;
  private readonly userAgent: string;
  private readonly onRequest: ((event: RequestEvent) => void) | undefined;

  constructor(options: TransportOptions = {}) {
    this.dispatcher = new Agent({
      keepAliveTimeout: 30_000,
      connect: options.caCertificates ? { ca: options.caCertificates } : {},
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
    await this.dispatcher.close();
  }

  /** Sends a request, retrying throttling and server errors within the deadline. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const deadline = request.deadline ?? Deadline.after(this.defaultTimeoutMs);
    const limit = this.limitFor(request.registry);
    let lastProblem: string | undefined;
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse;
      try {
        response = await limit.run(() => this.sendOnce(request, deadline), deadline.signal);
      } catch (error) {
        const mapped = this.mapThrown(error, request, deadline, lastProblem);
        const retryable =
          mapped.code === 'NETWORK' && request.method !== 'POST' && request.method !== 'PATCH';
        if (!retryable || attempt >= Math.min(this.maxAttempts, 3)) throw mapped;
        lastProblem = mapped.message;
        await this.backoff(attempt, undefined, deadline, request, lastProblem);
        continue;
      }
      if (!RETRYABLE_STATUS.has(response.status) || attempt >= this.maxAttempts) return response;
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
    let url = request.url.startsWith('/') ? `${this.baseUrl(request.registry)}${request.url}` : request.url;
    const origin = new URL(url).origin;
    let headers: Record<string, string> = { 'user-agent': this.userAgent, ...request.headers };
    let method = request.method;
    let body = request.body;
    for (let hop = 0; ; hop++) {
      const started = performance.now();
      let status = 0;
      try {
        const response = await fetch(url, {
          method,
          headers,
          ...(body !== undefined && { body }),
          redirect: 'manual',
          signal: deadline.signal,
          dispatcher: this.dispatcher,
        });
        status = response.status;
        if (status >= 300 && status < 400 && response.headers.has('location')) {
          await response.body?.cancel();
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
          url = new URL(response.headers.get('location') as string, url).toString();
          // Credentials are for the registry, never for wherever it redirects to (blob storage, CDN).
          if (new URL(url).origin !== origin) headers = withoutAuthorization(headers);
          if (status === 303) {
            method = 'GET';
            body = undefined;
          }
          continue;
        }
        const ok = status >= 200 && status < 300;
        const limit = ok ? request.maxBodyBytes : ERROR_BODY_LIMIT;
        const bytes =
          method === 'HEAD'
            ? new Uint8Array(0)
            : await readBody(response, limit, request.registry, ok, request.kind);
        return { status, headers: response.headers, body: bytes, url };
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

  private mapThrown(
    error: unknown,
    request: HttpRequest,
    deadline: Deadline,
    lastProblem: string | undefined,
  ): RegistryError {
    if (error instanceof RegistryError) return error;
    if (deadline.signal.aborted) return this.timeoutError(request, deadline, lastProblem);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.message ?? (error instanceof Error ? error.message : String(error));
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

async function readBody(
  response: Awaited<ReturnType<typeof fetch>>,
  limit: number | undefined,
  registry: string,
  ok: boolean,
  kind: RequestKind,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (limit !== undefined && ok && Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    throw tooLarge(registry, kind, declared, limit);
  }
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (limit !== undefined && total > limit) {
      if (!ok) break; // an error body is only read for its message; truncate it.
      await response.body.cancel().catch(() => {});
      throw tooLarge(registry, kind, total, limit);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
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
