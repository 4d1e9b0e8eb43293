import { createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { LRUCache } from 'lru-cache';
import { describeError } from '../../../../errors.js';
import type { Deadline } from '../../../../util/deadline.js';
import { formatDuration } from '../../../../util/deadline.js';
import { mapConcurrent, Semaphore } from '../../../../util/semaphore.js';
import { SingleFlight } from '../../../../util/single-flight.js';
import type { CertificateInput, ParsedCertificate } from '../certificates.js';
import { type ChainPurpose, validateCertificateChain } from '../chain.js';
import { crlStatus, deltaProblem, distributionPointUrls, type RevocationList, readCrl } from './crl.js';
import {
  httpRevocationFetcher,
  type RevocationFetcher,
  type RevocationRequest,
  type RevocationResponse,
} from './fetcher.js';
import { atSigningTime, type OcspVerdict, ocspRequest, readOcspResponse } from './ocsp.js';
import type { CertificateAnswer, CertificateRevocation, RevocationOutcome, ServerAnswer } from './outcome.js';

export interface RevocationCheckerOptions {
  /** How CRLs and OCSP answers are fetched (default: HTTP with Node's client). */
  fetcher?: RevocationFetcher;
  /** Cached CRLs and OCSP answers, each until its nextUpdate; `false` turns the cache off. */
  cache?: false | { maxEntries?: number; maxBytes?: number };
  /** Largest CRL read (default 16 MiB; CRLs of big public CAs are a few MiB). */
  maxCrlBytes?: number;
  /** Largest OCSP answer read (default 20 KiB, as notation-core-go; real ones are 1–4 KiB). */
  maxOcspBytes?: number;
  /** Per OCSP responder (default 2 s, the specification's) and per CRL location (default 5 s). */
  ocspTimeoutMs?: number;
  crlTimeoutMs?: number;
  /** Requests in flight at once across all checks (default 8). */
  maxConcurrentRequests?: number;
}

export interface RevocationCheckOptions {
  /** Code signing for the signature's chain, timestamping for a TSA's. */
  purpose: ChainPurpose;
  /** The one deadline for every request of this check (the image's). */
  deadline: Deadline;
  /**
   * A revocation whose invalidity date is after this time does not count. The Notary Project
   * passes the authentic signing time of signing-authority signatures (notation-go passes nothing
   * for `notary.x509`, timestamped or not).
   */
  signingTime?: Date;
  /** The time CRLs and OCSP answers are judged at (default now). */
  now?: Date;
}

/** OCSP responders and CRL locations read per certificate; more fail the check rather than be skipped. */
export const MAX_LOCATIONS = 4;
/** However late a nextUpdate, a cached answer is asked for again after a day. */
const MAX_CACHE_TTL_MS = 24 * 60 * 60 * 1000;
const CERTIFICATES_IN_PARALLEL = 4;
const OID_FRESHEST_CRL = '2.5.29.46';
const OID_CRL_DISTRIBUTION_POINTS = '2.5.29.31';
const OID_AUTHORITY_INFO_ACCESS = '1.3.6.1.5.5.7.1.1';

type CrlBundle = { lists: RevocationList[] } | { reason: string };
type Cached = { kind: 'crl'; lists: RevocationList[] } | { kind: 'ocsp'; url: string; verdict: OcspVerdict };

/**
 * Checks the revocation of a certificate chain with OCSP and CRLs from the certificates' own
 * locations, as the Notary Project's specification and notation-core-go's revocation package
 * define it: from each certificate but the root, OCSP first (each responder in turn until one
 * answers), CRLs when it has no OCSP location or OCSP could not say (every CRL location must
 * answer; delta CRLs applied). Every request is bounded by size, by a per-request timeout and by
 * the caller's deadline; answers are cached until their nextUpdate (bounded LRU); concurrent checks
 * share downloads. Never throws: what cannot be determined is `unknown`, with the reason.
 *
 * Check revocation only for chains already anchored in a trust store: the locations come from the
 * certificates, and the checker fetches them.
 */
export class RevocationChecker {
  private readonly fetcher: RevocationFetcher;
  private readonly cache: LRUCache<string, Cached> | undefined;
  private readonly inFlight = new SingleFlight<CrlBundle>();
  private readonly requests: Semaphore;
  private readonly maxCrlBytes: number;
  private readonly maxOcspBytes: number;
  private readonly ocspTimeoutMs: number;
  private readonly crlTimeoutMs: number;

  constructor(options: RevocationCheckerOptions = {}) {
    this.fetcher = options.fetcher ?? httpRevocationFetcher();
    this.maxCrlBytes = options.maxCrlBytes ?? 16 * 1024 * 1024;
    this.maxOcspBytes = options.maxOcspBytes ?? 20 * 1024;
    this.ocspTimeoutMs = options.ocspTimeoutMs ?? 2000;
    this.crlTimeoutMs = options.crlTimeoutMs ?? 5000;
    this.requests = new Semaphore(options.maxConcurrentRequests ?? 8);
    if (options.cache !== false)
      this.cache = new LRUCache<string, Cached>({
        max: options.cache?.maxEntries ?? 1000,
        maxSize: options.cache?.maxBytes ?? 64 * 1024 * 1024,
        sizeCalculation: (value) =>
          value.kind === 'crl'
            ? Math.max(
                1,
                value.lists.reduce((sum, list) => sum + list.size, 0),
              )
            : 256,
      });
  }

  async check(
    chain: readonly CertificateInput[],
    options: RevocationCheckOptions,
  ): Promise<RevocationOutcome> {
    const valid = validateCertificateChain(chain, { purpose: options.purpose });
    if (!valid.ok)
      return {
        status: 'unknown',
        reason: `the chain cannot be checked for revocation: ${valid.reason}`,
        certificates: [],
      };
    const certificates = valid.certificates;
    const now = options.now ?? new Date();
    const answers = await mapConcurrent(
      certificates.slice(0, -1),
      CERTIFICATES_IN_PARALLEL,
      (certificate, index) =>
        this.checkOne(certificate, certificates[index + 1] as ParsedCertificate, { ...options, now }),
    );
    const root = certificates[certificates.length - 1] as ParsedCertificate;
    answers.push({ subject: root.subject, status: 'nonRevokable', method: 'none', servers: [] });
    return summarise(answers);
  }

  private async checkOne(
    certificate: ParsedCertificate,
    issuer: ParsedCertificate,
    options: RevocationCheckOptions & { now: Date },
  ): Promise<CertificateRevocation> {
    const subject = certificate.subject;
    const where = locations(certificate);
    if (typeof where === 'string')
      return {
        subject,
        status: 'unknown',
        method: 'none',
        servers: [{ method: 'crl', url: '', status: 'unknown', reason: where }],
      };
    if (where.ocsp.length > 0) {
      const ocsp = await this.ocsp(certificate, issuer, where.ocsp, options);
      if (ocsp.status !== 'unknown' || where.crl.length === 0) return { subject, method: 'ocsp', ...ocsp };
      const crl = await this.crl(certificate, issuer, where, options);
      return {
        subject,
        method: 'ocspFallbackCrl',
        status: crl.status,
        servers: [...ocsp.servers, ...crl.servers],
      };
    }
    if (where.crl.length > 0)
      return { subject, method: 'crl', ...(await this.crl(certificate, issuer, where, options)) };
    return { subject, status: 'nonRevokable', method: 'none', servers: [] };
  }

  private async ocsp(
    certificate: ParsedCertificate,
    issuer: ParsedCertificate,
    urls: string[],
    options: RevocationCheckOptions & { now: Date },
  ): Promise<CertificateAnswer> {
    const key = `ocsp|${fingerprint(issuer)}|${serialOf(certificate)}`;
    const cached = this.cache?.get(key);
    if (cached?.kind === 'ocsp' && (cached.verdict.nextUpdate?.getTime() ?? 0) >= options.now.getTime()) {
      // Cached as the responder said it; this check's signing time is applied now.
      const verdict = atSigningTime(cached.verdict, options.signingTime);
      return {
        status: verdict.status,
        servers: [
          { method: 'ocsp', url: cached.url, status: verdict.status, reason: verdict.reason, cached: true },
        ],
      };
    }
    const body = ocspRequest(certificate, issuer);
    const servers: ServerAnswer[] = [];
    for (const url of urls) {
      const response = await this.fetch(
        ocspExchange(url, body, this.maxOcspBytes),
        this.ocspTimeoutMs,
        options.deadline,
      );
      if (!response.ok) {
        servers.push({ method: 'ocsp', url, status: 'unknown', reason: response.reason });
        continue;
      }
      const said = readOcspResponse(response.body, certificate, issuer, options.now);
      const verdict = atSigningTime(said, options.signingTime);
      servers.push({ method: 'ocsp', url, status: verdict.status, reason: verdict.reason });
      if (!verdict.answered) continue;
      if (said.status !== 'unknown' && said.nextUpdate)
        this.remember(key, { kind: 'ocsp', url, verdict: said }, said.nextUpdate, options.now);
      // An answer decides on its own: other responders' failures no longer matter.
      return { status: verdict.status, servers: [servers[servers.length - 1] as ServerAnswer] };
    }
    return { status: 'unknown', servers };
  }

  private async crl(
    certificate: ParsedCertificate,
    issuer: ParsedCertificate,
    where: Locations,
    options: RevocationCheckOptions & { now: Date },
  ): Promise<CertificateAnswer> {
    const servers: ServerAnswer[] = [];
    const unknown = (url: string, reason: string): CertificateAnswer => ({
      status: 'unknown',
      servers: [...servers, { method: 'crl', url, status: 'unknown', reason }],
    });
    // Every location is read: a CA may split its revocations over several CRLs.
    for (const url of where.crl) {
      const key = `crl|${url}|${fingerprint(issuer)}`;
      const cached = this.cache?.get(key);
      const fresh =
        cached?.kind === 'crl' &&
        cached.lists.every((list) => list.nextUpdate.getTime() >= options.now.getTime());
      const bundle: CrlBundle =
        fresh && cached?.kind === 'crl'
          ? { lists: cached.lists }
          : await this.inFlight.run(key, () => this.downloadCrl(url, issuer, key, options)).promise;
      if ('reason' in bundle) return unknown(url, bundle.reason);
      if (where.freshestInCertificate && bundle.lists.length === 1)
        return unknown(
          url,
          'the certificate names a freshest (delta) CRL that its base CRL does not; vouch does not read those',
        );
      const verdict = crlStatus(serialOf(certificate), bundle.lists, options.signingTime);
      const answer: ServerAnswer = { method: 'crl', url, status: verdict.status, reason: verdict.reason };
      if (fresh) answer.cached = true;
      if (verdict.status === 'unknown') return unknown(url, verdict.reason ?? 'the CRL cannot say');
      if (verdict.status === 'revoked') return { status: 'revoked', servers: [answer] };
      servers.push(answer);
    }
    return { status: 'ok', servers };
  }

  private async downloadCrl(
    url: string,
    issuer: ParsedCertificate,
    key: string,
    options: RevocationCheckOptions & { now: Date },
  ): Promise<CrlBundle> {
    const base = await this.readList(url, issuer, options);
    if (typeof base === 'string') return { reason: base };
    if (base.deltaOf !== undefined)
      return { reason: 'the CRL at this location is a delta CRL, not a base CRL' };
    const lists = [base];
    if (base.freshestUrls.length > 0) {
      const problems: string[] = [];
      for (const deltaUrl of base.freshestUrls.slice(0, MAX_LOCATIONS)) {
        const delta = await this.readList(deltaUrl, issuer, options);
        const problem = typeof delta === 'string' ? delta : deltaProblem(base, delta);
        if (problem === undefined && typeof delta !== 'string') {
          lists.push(delta);
          break;
        }
        problems.push(`${deltaUrl}: ${problem}`);
      }
      if (lists.length === 1) return { reason: `its delta CRL could not be used (${problems.join('; ')})` };
    }
    const expires = new Date(Math.min(...lists.map((list) => list.nextUpdate.getTime())));
    this.remember(key, { kind: 'crl', lists }, expires, options.now);
    return { lists };
  }

  private async readList(
    url: string,
    issuer: ParsedCertificate,
    options: RevocationCheckOptions & { now: Date },
  ): Promise<RevocationList | string> {
    const response = await this.fetch(
      { url, method: 'GET', maxBytes: this.maxCrlBytes },
      this.crlTimeoutMs,
      options.deadline,
    );
    if (!response.ok) return response.reason;
    return readCrl(response.body, issuer, options.now);
  }

  private remember(key: string, value: Cached, expires: Date, now: Date): void {
    const ttl = Math.min(expires.getTime() - now.getTime(), MAX_CACHE_TTL_MS);
    if (this.cache && ttl > 0) this.cache.set(key, value, { ttl });
  }

  /** One request under the checker-wide limit, the per-request timeout and the caller's deadline. */
  private async fetch(
    request: Omit<RevocationRequest, 'signal'>,
    timeoutMs: number,
    deadline: Deadline,
  ): Promise<RevocationResponse> {
    if (deadline.expired) return { ok: false, reason: 'not asked: the verification deadline had passed' };
    const timeout = AbortSignal.timeout(Math.max(1, Math.min(timeoutMs, deadline.remainingMs())));
    const signal = AbortSignal.any([deadline.signal, timeout]);
    const late = (): string =>
      deadline.expired
        ? 'no answer before the verification deadline'
        : `no answer within ${formatDuration(timeoutMs)}`;
    try {
      const response = await this.requests.run(() => this.fetcher.fetch({ ...request, signal }), signal);
      return !response.ok && signal.aborted ? { ok: false, reason: late() } : response;
    } catch (error) {
      return { ok: false, reason: signal.aborted ? late() : describeError(error) };
    }
  }
}

interface Locations {
  ocsp: string[];
  crl: string[];
  freshestInCertificate: boolean;
}

/** The certificate's OCSP responders and CRL locations, or why they cannot be read. */
function locations(certificate: ParsedCertificate): Locations | string {
  const found: Locations = { ocsp: [], crl: [], freshestInCertificate: false };
  for (const extension of certificate.certificate.extensions) {
    if (extension.type === OID_FRESHEST_CRL) found.freshestInCertificate = true;
    else if (extension.type === OID_CRL_DISTRIBUTION_POINTS) {
      const urls = distributionPointUrls(extension);
      if (!urls) return 'its CRL distribution points extension is malformed';
      found.crl = urls;
    } else if (extension.type === OID_AUTHORITY_INFO_ACCESS) {
      try {
        const access = new x509.AuthorityInfoAccessExtension(extension.rawData);
        found.ocsp = access.ocsp.filter((name) => name.type === 'url').map((name) => name.value);
      } catch {
        return 'its authority information access extension is malformed';
      }
    }
  }
  for (const [kind, urls] of [
    ['OCSP responders', found.ocsp],
    ['CRL locations', found.crl],
  ] as const)
    if (urls.length > MAX_LOCATIONS)
      return `it names ${urls.length} ${kind}; vouch reads at most ${MAX_LOCATIONS}`;
  return found;
}

/** GET with the request in the path when it is short (RFC 6960 A.1), else POST, as notation-core-go. */
function ocspExchange(url: string, body: Uint8Array, maxBytes: number): Omit<RevocationRequest, 'signal'> {
  const encoded = encodeURIComponent(Buffer.from(body).toString('base64'));
  if (encoded.length < 255) return { url: `${url.replace(/\/+$/, '')}/${encoded}`, method: 'GET', maxBytes };
  return { url, method: 'POST', body, contentType: 'application/ocsp-request', maxBytes };
}

/** The overall outcome, as notation-go's revocationFinalResult: any revoked wins, then any unknown. */
function summarise(certificates: CertificateRevocation[]): RevocationOutcome {
  const revoked = certificates.find((certificate) => certificate.status === 'revoked');
  if (revoked)
    return {
      status: 'revoked',
      reason: `certificate ${JSON.stringify(revoked.subject)} is revoked: ${said(revoked)}`,
      certificates,
    };
  const unknown = certificates.find((certificate) => certificate.status === 'unknown');
  if (unknown)
    return {
      status: 'unknown',
      reason: `the revocation status of certificate ${JSON.stringify(unknown.subject)} is unknown: ${said(unknown)}`,
      certificates,
    };
  return { status: 'ok', reason: 'no certificate of the chain is revoked', certificates };
}

function said(certificate: CertificateRevocation): string {
  const relevant = certificate.servers.filter((server) => server.status === certificate.status);
  return (relevant.length ? relevant : certificate.servers)
    .map(
      (server) =>
        `${server.method.toUpperCase()}${server.url ? ` ${server.url}` : ''}: ${server.reason ?? server.status}`,
    )
    .join('; ');
}

function fingerprint(certificate: ParsedCertificate): string {
  return createHash('sha256').update(certificate.der).digest('hex');
}

function serialOf(certificate: ParsedCertificate): string {
  return Buffer.from(certificate.asn.serialNumber.valueBlock.valueHexView).toString('hex');
}
