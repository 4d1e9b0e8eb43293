/**
 * Fetches a policy body from an `https` URL and checks it against the sha256 the policy names, as
 * policy-controller does for `policy.remote` — vouch requires the same of verification-config `url`
 * sources, so that no policy text is ever taken from the network on trust.
 */
import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { describeError } from '../../errors.js';
import { PolicyError } from '../errors.js';

export interface FetchOptions {
  /** Extra CA certificates (PEM) to trust for HTTPS. */
  caCertificates?: string;
  timeoutMs?: number;
  maxBytes?: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_REDIRECTS = 5;
const DEFAULT_MAX_BYTES = 1024 * 1024;

/** Why `url` may not be used as a remote policy location, or undefined. */
export function remoteUrlError(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${JSON.stringify(url)} is not a URL`;
  }
  if (parsed.protocol !== 'https:') return `must be an https URL (got ${parsed.protocol.replace(/:$/, '')})`;
  return undefined;
}

/** Why `sum` is not a sha256 hex digest, or undefined. Upper-case hex is accepted. */
export function sha256sumError(sum: string): string | undefined {
  return SHA256_HEX.test(sum.toLowerCase()) ? undefined : 'must be the 64-character hex sha256 of the body';
}

/** GETs `url` (https only, redirects to https only), checks the body's sha256 and returns it as text. */
export async function fetchChecked(
  url: string,
  sha256sum: string,
  options: FetchOptions = {},
): Promise<string> {
  const urlProblem = remoteUrlError(url);
  if (urlProblem) throw new PolicyError('FETCH', urlProblem);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  // undici is loaded only when a policy really comes from a URL: most runs never pay for it.
  const { Agent, fetch } = await import('undici');
  const dispatcher: Dispatcher = new Agent(
    options.caCertificates ? { connect: { ca: options.caCertificates } } : {},
  );
  const signal = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  try {
    let current = url;
    for (let hop = 0; ; hop++) {
      let response: Awaited<ReturnType<typeof fetch>>;
      try {
        response = await fetch(current, { dispatcher, redirect: 'manual', signal });
      } catch (error) {
        throw new PolicyError('FETCH', `cannot fetch ${current}: ${describeCause(error)}`, { cause: error });
      }
      if (response.status >= 300 && response.status < 400 && response.headers.get('location')) {
        await response.body?.cancel();
        if (hop >= MAX_REDIRECTS) throw new PolicyError('FETCH', `too many redirects from ${url}`);
        const next = new URL(response.headers.get('location') as string, current).toString();
        const problem = remoteUrlError(next);
        if (problem) throw new PolicyError('FETCH', `${current} redirects to ${next}, which ${problem}`);
        current = next;
        continue;
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new PolicyError('FETCH', `GET ${current} answered ${response.status}`);
      }
      const body = await readCapped(response, maxBytes, current);
      const actual = createHash('sha256').update(body).digest('hex');
      if (actual !== sha256sum.toLowerCase())
        throw new PolicyError(
          'CHECKSUM',
          `body of ${current} has sha256 ${actual}, but the policy requires ${sha256sum.toLowerCase()}`,
        );
      return body.toString('utf8');
    }
  } finally {
    await dispatcher.close();
  }
}

async function readCapped(
  response: Awaited<ReturnType<typeof fetch>>,
  maxBytes: number,
  url: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  if (!response.body) return Buffer.alloc(0);
  try {
    for await (const chunk of response.body) {
      total += chunk.length;
      if (total > maxBytes) {
        await response.body.cancel().catch(() => undefined);
        throw new PolicyError('FETCH', `body of ${url} is larger than ${maxBytes} bytes`);
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    throw new PolicyError('FETCH', `cannot read ${url}: ${describeCause(error)}`, { cause: error });
  }
  return Buffer.concat(chunks);
}

/** undici wraps the interesting error (certificate, refused connection) in `cause`. */
function describeCause(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : describeError(error);
}
