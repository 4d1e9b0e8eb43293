import { request as httpRequest, type IncomingMessage } from 'node:http';

/** One request for a CRL or an OCSP answer. */
export interface RevocationRequest {
  /** An `http:` URL from a certificate (CRL distribution point, OCSP responder, freshest CRL). */
  url: string;
  method: 'GET' | 'POST';
  body?: Uint8Array;
  contentType?: string;
  /** Refuse an answer larger than this, without reading the rest. */
  maxBytes: number;
  /** Aborts the request (the caller's deadline or the per-request timeout). */
  signal: AbortSignal;
}

export type RevocationResponse = { ok: true; body: Uint8Array } | { ok: false; reason: string };

/**
 * How CRLs and OCSP answers are fetched. The default speaks HTTP with Node's client; a caller may
 * inject another (a proxy, a cache in front, a fixed set of answers for an air-gapped cluster). A
 * fetcher answers, never throws: a thrown error is treated as an answer that never came.
 */
export interface RevocationFetcher {
  fetch(request: RevocationRequest): Promise<RevocationResponse>;
}

export interface HttpFetcherOptions {
  /** Redirects followed per request (default 3). */
  maxRedirects?: number;
  userAgent?: string;
}

/**
 * Fetches over plain HTTP only, as the Notary Project specifies for CRL and OCSP locations (their
 * answers are signed; the transport adds nothing). Bounded: the answer's size (by Content-Length
 * before reading, then by counting), the number of redirects (each to an `http:` URL), and time
 * (the request's signal).
 */
export function httpRevocationFetcher(options: HttpFetcherOptions = {}): RevocationFetcher {
  const maxRedirects = options.maxRedirects ?? 3;
  const userAgent = options.userAgent ?? 'vouch';
  return {
    async fetch(request) {
      let url = request.url;
      let method = request.method;
      let body = request.body;
      for (let redirects = 0; ; redirects++) {
        const target = httpUrl(url);
        if (typeof target === 'string') return { ok: false, reason: target };
        const answer = await exchange(target, { ...request, method, body }, userAgent);
        if (answer.kind === 'done') return answer.response;
        if (redirects >= maxRedirects)
          return { ok: false, reason: `more than ${maxRedirects} redirects (last to ${answer.location})` };
        url = new URL(answer.location, target).toString();
        // As HTTP clients do: 303 (and 301/302 after a POST) continue as a GET without a body.
        if (answer.status !== 307 && answer.status !== 308) {
          method = 'GET';
          body = undefined;
        }
      }
    },
  };
}

function httpUrl(value: string): URL | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${JSON.stringify(value)} is not a URL`;
  }
  if (url.protocol !== 'http:')
    return `${url.protocol}// locations are not fetched (only http:, as the Notary Project specifies)`;
  return url;
}

type Exchange =
  | { kind: 'done'; response: RevocationResponse }
  | { kind: 'redirect'; status: number; location: string };

function exchange(
  url: URL,
  request: RevocationRequest & { method: 'GET' | 'POST' },
  userAgent: string,
): Promise<Exchange> {
  return new Promise((resolve) => {
    if (request.signal.aborted) {
      resolve(done(`no answer: ${abortReason(request.signal)}`));
      return;
    }
    const headers: Record<string, string> = { 'user-agent': userAgent, accept: '*/*' };
    if (request.body) {
      headers['content-type'] = request.contentType ?? 'application/octet-stream';
      headers['content-length'] = String(request.body.byteLength);
    }
    const outgoing = httpRequest(url, { method: request.method, headers, signal: request.signal });
    outgoing.on('error', (error) => {
      resolve(done(request.signal.aborted ? `no answer: ${abortReason(request.signal)}` : error.message));
    });
    outgoing.on('response', (incoming) => {
      const status = incoming.statusCode ?? 0;
      const location = incoming.headers.location;
      if (status >= 300 && status < 400 && location) {
        incoming.resume();
        resolve({ kind: 'redirect', status, location });
        return;
      }
      if (status !== 200) {
        incoming.resume();
        resolve(done(`HTTP status ${status}`));
        return;
      }
      readLimited(incoming, request.maxBytes, request.signal).then(resolve, (error: Error) =>
        resolve(done(error.message)),
      );
    });
    outgoing.end(request.body);
  });
}

function done(reason: string): Exchange {
  return { kind: 'done', response: { ok: false, reason } };
}

async function readLimited(
  incoming: IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Exchange> {
  const declared = Number(incoming.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    incoming.destroy();
    return done(`the answer is ${declared} bytes, over the ${maxBytes}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of incoming) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        incoming.destroy();
        return done(`the answer is over the ${maxBytes}-byte limit`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    return done(signal.aborted ? `no complete answer: ${abortReason(signal)}` : (error as Error).message);
  }
  return { kind: 'done', response: { ok: true, body: new Uint8Array(Buffer.concat(chunks)) } };
}

/** The reason an AbortSignal carries, as text (the checker puts a sentence there). */
export function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error) return reason.name === 'TimeoutError' ? 'timed out' : reason.message;
  return 'aborted';
}
