import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deadline } from '../../src/util/deadline.js';
import { verifyAuthenticTimestamp } from '../../src/verify/notation/pki/index.js';
import {
  RevocationChecker,
  type RevocationCheckerOptions,
  type RevocationFetcher,
  type RevocationOutcome,
} from '../../src/verify/notation/pki/revocation/index.js';
import {
  createCodeSigningPki,
  createRoot,
  createTimestampingPki,
  createTimestampToken,
  generateTestKey,
  type OcspAnswer,
  PROFILE,
  type RevocationServer,
  startRevocationServer,
  type TestCertificate,
  type TestPki,
} from '../harness/notation-pki.js';
import { freePort } from '../harness/processes.js';

const HOUR = 60 * 60 * 1000;
let server: RevocationServer;

beforeAll(async () => {
  server = await startRevocationServer();
});
afterAll(async () => {
  await server.stop();
});

let unique = 0;
/** A fresh PKI whose certificates point at their own paths on the server, so tests never share answers. */
async function crlPki(
  intermediates = 1,
): Promise<TestPki & { crlPath: (issuer: TestCertificate) => string }> {
  const prefix = `/t${++unique}`;
  const pathOf = new Map<string, string>();
  const pki = await createCodeSigningPki({
    intermediates,
    crlUrls: (issuer, depth) => {
      const path = `${prefix}/crl-${depth}.crl`;
      pathOf.set(issuer.serialNumber, path);
      return [`${server.url}${path}`];
    },
  });
  return { ...pki, crlPath: (issuer) => pathOf.get(issuer.serialNumber) as string };
}

async function ocspPki(answer: (serial: string) => OcspAnswer, withCrl = false) {
  const prefix = `/t${++unique}`;
  const pki = await createCodeSigningPki({
    intermediates: 0,
    ocspUrls: () => [`${server.url}${prefix}/ocsp`],
    crlUrls: withCrl ? () => [`${server.url}${prefix}/leaf.crl`] : undefined,
  });
  server.route(`${prefix}/ocsp`, { ocsp: { issuer: pki.root, answer } });
  return { ...pki, ocspPath: `${prefix}/ocsp`, crlPath: `${prefix}/leaf.crl` };
}

async function serveCrls(
  pki: TestPki & { crlPath: (issuer: TestCertificate) => string },
  revoked: TestCertificate[] = [],
) {
  for (const issuer of [pki.root, ...pki.intermediates]) {
    const entries = revoked
      .filter((certificate) => certificate.issuer === issuer)
      .map((certificate) => ({ serialNumber: certificate.serialNumber, reason: 1 }));
    server.route(pki.crlPath(issuer), { crl: await issuer.crl({ entries }) });
  }
}

function check(
  chain: Uint8Array[],
  options: RevocationCheckerOptions = {},
  extra: { deadlineMs?: number; signingTime?: Date; purpose?: 'codeSigning' | 'timestamping' } = {},
  checker = new RevocationChecker(options),
): Promise<RevocationOutcome> {
  return checker.check(chain, {
    purpose: extra.purpose ?? 'codeSigning',
    deadline: Deadline.after(extra.deadlineMs ?? 10_000),
    signingTime: extra.signingTime,
  });
}

describe('CRLs from the certificates’ own locations', () => {
  it('answers ok when no certificate is listed, and says which CRL said so for each', async () => {
    const pki = await crlPki();
    await serveCrls(pki);
    const outcome = await check(pki.chainDer);
    expect(outcome).toMatchObject({ status: 'ok', reason: 'no certificate of the chain is revoked' });
    expect(outcome.certificates.map((certificate) => [certificate.status, certificate.method])).toEqual([
      ['ok', 'crl'],
      ['ok', 'crl'],
      ['nonRevokable', 'none'],
    ]);
    expect(outcome.certificates[0]?.servers[0]?.url).toBe(`${server.url}${pki.crlPath(pki.issuer)}`);
  });

  it('finds a revoked leaf', async () => {
    const pki = await crlPki();
    await serveCrls(pki, [pki.leaf]);
    const outcome = await check(pki.chainDer);
    expect(outcome.status).toBe('revoked');
    expect(outcome.reason).toMatch(
      new RegExp(
        `^certificate "${pki.leaf.subject}" is revoked: CRL http://127\\.0\\.0\\.1:\\d+/t\\d+/crl-1\\.crl: revoked at .* \\(keyCompromise\\)$`,
      ),
    );
    expect(outcome.certificates.map((certificate) => certificate.status)).toEqual([
      'revoked',
      'ok',
      'nonRevokable',
    ]);
  });

  it('finds a revoked certificate among thousands of entries (more ASN.1 nodes than asn1js parses by default)', async () => {
    const pki = await crlPki(0);
    const entries = Array.from({ length: 3000 }, (_, index) => ({
      serialNumber: `7f${index.toString(16).padStart(6, '0')}0123456789abcdef`,
      reason: 4,
    }));
    server.route(pki.crlPath(pki.root), { crl: await pki.root.crl({ entries }) });
    expect((await check(pki.chainDer, { cache: false })).status).toBe('ok');
    entries.splice(1500, 0, { serialNumber: pki.leaf.serialNumber, reason: 1 });
    server.route(pki.crlPath(pki.root), { crl: await pki.root.crl({ entries }) });
    expect(await check(pki.chainDer, { cache: false })).toMatchObject({
      status: 'revoked',
      reason: expect.stringMatching(/\(keyCompromise\)$/),
    });
  });

  it('finds a revoked intermediate', async () => {
    const pki = await crlPki(2);
    await serveCrls(pki, [pki.intermediates[1] as TestCertificate]);
    const outcome = await check(pki.chainDer);
    expect(outcome.status).toBe('revoked');
    expect(outcome.reason).toMatch(/^certificate ".*CN=Test Intermediate 2" is revoked/);
    expect(outcome.certificates.map((certificate) => certificate.status)).toEqual([
      'ok',
      'revoked',
      'ok',
      'nonRevokable',
    ]);
  });

  it('is unknown when the CRL server is unreachable', async () => {
    const port = await freePort();
    const pki = await createCodeSigningPki({
      intermediates: 0,
      crlUrls: () => [`http://127.0.0.1:${port}/root.crl`],
    });
    const outcome = await check(pki.chainDer);
    expect(outcome.status).toBe('unknown');
    expect(outcome.reason).toMatch(/is unknown: CRL http:\/\/127\.0\.0\.1:\d+\/root\.crl: .*ECONNREFUSED/);
  });

  it('is unknown when the server stalls: after the per-request timeout, or at the caller’s deadline', async () => {
    const pki = await crlPki(0);
    server.route(pki.crlPath(pki.root), { stall: true });
    const timedOut = await check(pki.chainDer, { crlTimeoutMs: 200 });
    expect(timedOut).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/no answer within 200 ms$/),
    });
    const late = await check(pki.chainDer, {}, { deadlineMs: 300 });
    expect(late).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/no answer before the verification deadline$/),
    });
  });

  it('refuses an oversized answer without reading it all', async () => {
    const pki = await crlPki(0);
    server.route(pki.crlPath(pki.root), { oversize: 8 * 1024 * 1024 });
    const outcome = await check(pki.chainDer, { maxCrlBytes: 1024 * 1024 });
    expect(outcome).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/the answer is over the 1048576-byte limit$/),
    });
  });

  it('is unknown with an expired CRL, one signed by the wrong key, one from another issuer, or garbage', async () => {
    const pki = await crlPki(0);
    const path = pki.crlPath(pki.root);
    const stranger = await createRoot({ subject: 'CN=stranger' });
    const cases: [Uint8Array, RegExp][] = [
      [
        await pki.root.crl({
          thisUpdate: new Date(Date.now() - 3 * HOUR),
          nextUpdate: new Date(Date.now() - HOUR),
        }),
        /the CRL expired: its nextUpdate .* has passed/,
      ],
      [
        await pki.root.crl({ signWith: await generateTestKey() }),
        /the CRL's signature does not verify with the key of/,
      ],
      [await stranger.crl(), /the CRL is not issued by/],
      [await pki.root.crl({ nextUpdate: null }), /the CRL has no nextUpdate/],
      [new Uint8Array([0x30, 0x82, 0x01]), /the CRL cannot be parsed/],
    ];
    for (const [crl, reason] of cases) {
      server.route(path, { crl });
      const outcome = await check(pki.chainDer, { cache: false });
      expect(outcome).toMatchObject({ status: 'unknown', reason: expect.stringMatching(reason) });
    }
  });

  it('keeps a certificate on hold revoked until a later removeFromCRL, and honours an invalidity date after the signing time', async () => {
    const pki = await crlPki(0);
    const path = pki.crlPath(pki.root);
    const serialNumber = pki.leaf.serialNumber;
    const t = (hoursAgo: number) => new Date(Date.now() - hoursAgo * HOUR);
    server.route(path, {
      crl: await pki.root.crl({ entries: [{ serialNumber, reason: 6, revocationDate: t(3) }] }),
    });
    expect((await check(pki.chainDer, { cache: false })).reason).toMatch(/revoked at .* \(certificateHold\)/);
    server.route(path, {
      crl: await pki.root.crl({
        entries: [
          { serialNumber, reason: 6, revocationDate: t(3) },
          { serialNumber, reason: 8, revocationDate: t(2) },
        ],
      }),
    });
    expect((await check(pki.chainDer, { cache: false })).status).toBe('ok');
    server.route(path, {
      crl: await pki.root.crl({
        entries: [{ serialNumber, reason: 1, revocationDate: t(2), invalidityDate: t(1) }],
      }),
    });
    expect((await check(pki.chainDer, { cache: false }, { signingTime: t(1.5) })).status).toBe('ok');
    expect((await check(pki.chainDer, { cache: false }, { signingTime: t(0.5) })).status).toBe('revoked');
    expect((await check(pki.chainDer, { cache: false })).status).toBe('revoked');
  });

  it('applies a delta CRL named by the base CRL, and is unknown when the delta cannot be used', async () => {
    const pki = await crlPki(0);
    const path = pki.crlPath(pki.root);
    const deltaPath = `${path}.delta`;
    server.route(path, {
      crl: await pki.root.crl({ crlNumber: 10, freshestCrlUrls: [`${server.url}${deltaPath}`] }),
    });
    server.route(deltaPath, {
      crl: await pki.root.crl({
        crlNumber: 11,
        deltaOf: 10,
        entries: [{ serialNumber: pki.leaf.serialNumber, reason: 4 }],
      }),
    });
    expect(await check(pki.chainDer, { cache: false })).toMatchObject({
      status: 'revoked',
      reason: expect.stringMatching(/superseded/),
    });
    server.route(deltaPath, { crl: await pki.root.crl({ crlNumber: 9, deltaOf: 8 }) });
    expect(await check(pki.chainDer, { cache: false })).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(
        /delta CRL could not be used .*number 9 is not greater than the base CRL's 10/,
      ),
    });
    server.route(deltaPath, { status: 404 });
    expect(await check(pki.chainDer, { cache: false })).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/delta CRL could not be used .*HTTP status 404/),
    });
    server.route(path, { crl: await pki.root.crl({ crlNumber: 12, deltaOf: 10 }) });
    expect(await check(pki.chainDer, { cache: false })).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/is a delta CRL, not a base CRL/),
    });
  });

  it('follows a redirect to http, but no more than three, and never to https', async () => {
    const pki = await crlPki(0);
    const path = pki.crlPath(pki.root);
    server.route(`${path}.real`, { crl: await pki.root.crl() });
    server.route(path, { redirect: `${server.url}${path}.real` });
    expect((await check(pki.chainDer, { cache: false })).status).toBe('ok');
    server.route(path, { redirect: `${server.url}${path}` });
    expect(await check(pki.chainDer, { cache: false })).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/more than 3 redirects/),
    });
    server.route(path, { redirect: `https://127.0.0.1:1${path}` });
    expect(await check(pki.chainDer, { cache: false })).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/https:\/\/ locations are not fetched/),
    });
  });
});

describe('OCSP', () => {
  it('answers ok for good, revoked for revoked, through GET', async () => {
    const good = await ocspPki(() => ({ status: 'good' }));
    const outcome = await check(good.chainDer);
    expect(outcome.status).toBe('ok');
    expect(outcome.certificates[0]).toMatchObject({ status: 'ok', method: 'ocsp' });
    expect(server.log.filter((line) => line.startsWith(`GET ${good.ocspPath}/`))).toHaveLength(1);
    const revoked = await ocspPki(() => ({ status: 'revoked', reason: 1 }));
    expect(await check(revoked.chainDer)).toMatchObject({
      status: 'revoked',
      reason: expect.stringMatching(/is revoked: OCSP http:.*: the OCSP responder says it is revoked at/),
    });
  });

  it('accepts a responder the issuer authorised, and refuses one it did not', async () => {
    let responder: TestCertificate | undefined;
    const delegated = await ocspPki(() => ({ status: 'revoked', responder }));
    responder = await delegated.root.issue(PROFILE.ocspResponder());
    expect((await check(delegated.chainDer)).status).toBe('revoked');

    let unauthorised: TestCertificate | undefined;
    const noEku = await ocspPki(() => ({ status: 'revoked', responder: unauthorised }));
    unauthorised = await noEku.root.issue({ ...PROFILE.ocspResponder(), extendedKeyUsage: null });
    expect(await check(noEku.chainDer)).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/lacks the OCSPSigning extended key usage/),
    });
    const forgedKey = await generateTestKey();
    const forged = await ocspPki(() => ({ status: 'good', signWith: forgedKey }));
    expect(await check(forged.chainDer)).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/signature does not verify/),
    });
  });

  it('is unknown for an answer about another certificate, an expired answer, or one without nextUpdate', async () => {
    for (const [answer, reason] of [
      [{ status: 'good', serialNumber: '0badc0de' }, /about another certificate/],
      [
        {
          status: 'good',
          thisUpdate: new Date(Date.now() - 3 * HOUR),
          nextUpdate: new Date(Date.now() - HOUR),
        },
        /expired at/,
      ],
      [{ status: 'good', nextUpdate: null }, /has no nextUpdate/],
      [{ status: 'good', responseStatus: 3 }, /the responder answered tryLater/],
    ] as [OcspAnswer, RegExp][]) {
      const pki = await ocspPki(() => answer);
      expect(await check(pki.chainDer)).toMatchObject({
        status: 'unknown',
        reason: expect.stringMatching(reason),
      });
    }
  });

  it('falls back to the CRL when OCSP cannot say, reporting both', async () => {
    const pki = await ocspPki(() => ({ status: 'unknown' }), true);
    server.route(pki.crlPath, {
      crl: await pki.root.crl({ entries: [{ serialNumber: pki.leaf.serialNumber }] }),
    });
    const outcome = await check(pki.chainDer);
    expect(outcome.status).toBe('revoked');
    expect(outcome.certificates[0]?.method).toBe('ocspFallbackCrl');
    expect(outcome.certificates[0]?.servers.map((answer) => [answer.method, answer.status])).toEqual([
      ['ocsp', 'unknown'],
      ['crl', 'revoked'],
    ]);
  });

  it('counts a revocation whose invalidity date is after the signing time as not revoked', async () => {
    const invalidityDate = new Date(Date.now() - HOUR);
    const pki = await ocspPki(() => ({ status: 'revoked', invalidityDate }));
    expect((await check(pki.chainDer, {}, { signingTime: new Date(Date.now() - 2 * HOUR) })).status).toBe(
      'ok',
    );
    expect((await check(pki.chainDer, {}, { signingTime: new Date() })).status).toBe('revoked');
    // The cache keeps what the responder said, not a verdict made for one signing time.
    const checker = new RevocationChecker();
    const early = await check(pki.chainDer, {}, { signingTime: new Date(Date.now() - 2 * HOUR) }, checker);
    expect(early.certificates[0]?.servers[0]?.reason).toMatch(
      /the key was valid until .* after the signing time/,
    );
    const late = await check(pki.chainDer, {}, {}, checker);
    expect(late.status).toBe('revoked');
    expect(late.certificates[0]?.servers[0]?.cached).toBe(true);
  });
});

describe('bounds, cache and sharing', () => {
  it('caches CRLs and OCSP answers until their nextUpdate, and asks again after it', async () => {
    const pki = await crlPki(0);
    const path = pki.crlPath(pki.root);
    server.route(path, { crl: await pki.root.crl({ nextUpdate: new Date(Date.now() + 1500) }) });
    const checker = new RevocationChecker();
    const requests = () => server.log.filter((line) => line === `GET ${path}`).length;
    expect((await check(pki.chainDer, {}, {}, checker)).certificates[0]?.servers[0]?.cached).toBeUndefined();
    const again = await check(pki.chainDer, {}, {}, checker);
    expect(again.status).toBe('ok');
    expect(again.certificates[0]?.servers[0]?.cached).toBe(true);
    expect(requests()).toBe(1);
    server.route(path, { crl: await pki.root.crl({ entries: [{ serialNumber: pki.leaf.serialNumber }] }) });
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await check(pki.chainDer, {}, {}, checker)).status).toBe('revoked');
    expect(requests()).toBe(2);

    const ocsp = await ocspPki(() => ({ status: 'good' }));
    await check(ocsp.chainDer, {}, {}, checker);
    const cached = await check(ocsp.chainDer, {}, {}, checker);
    expect(cached.certificates[0]?.servers[0]?.cached).toBe(true);
    expect(server.log.filter((line) => line.startsWith(`GET ${ocsp.ocspPath}/`))).toHaveLength(1);
  });

  it('downloads a CRL once for concurrent checks', async () => {
    const pki = await crlPki(0);
    const path = pki.crlPath(pki.root);
    server.route(path, { crl: await pki.root.crl() });
    const checker = new RevocationChecker();
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => check(pki.chainDer, {}, {}, checker)));
    expect(outcomes.every((outcome) => outcome.status === 'ok')).toBe(true);
    expect(server.log.filter((line) => line === `GET ${path}`)).toHaveLength(1);
  });

  it('does not cache failures', async () => {
    const pki = await crlPki(0);
    const path = pki.crlPath(pki.root);
    server.route(path, { status: 503 });
    const checker = new RevocationChecker();
    expect((await check(pki.chainDer, {}, {}, checker)).status).toBe('unknown');
    server.route(path, { crl: await pki.root.crl() });
    expect((await check(pki.chainDer, {}, {}, checker)).status).toBe('ok');
  });

  it('answers ok for a chain without revocation locations, checks TSA chains, and is unknown for an invalid chain', async () => {
    const plain = await createCodeSigningPki();
    const outcome = await check(plain.chainDer);
    expect(outcome.status).toBe('ok');
    expect(outcome.certificates.map((certificate) => certificate.status)).toEqual([
      'nonRevokable',
      'nonRevokable',
      'nonRevokable',
    ]);
    const prefix = `/t${++unique}`;
    const tsa = await createTimestampingPki({
      intermediates: 0,
      crlUrls: () => [`${server.url}${prefix}/tsa.crl`],
    });
    server.route(`${prefix}/tsa.crl`, {
      crl: await tsa.root.crl({ entries: [{ serialNumber: tsa.leaf.serialNumber }] }),
    });
    expect((await check(tsa.chainDer, {}, { purpose: 'timestamping' })).status).toBe('revoked');
    expect(await check(tsa.chainDer)).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(
        /chain cannot be checked for revocation: .*extended key usage timeStamping/,
      ),
    });
  });

  it('refuses certificates naming more locations than it reads', async () => {
    const urls = Array.from({ length: 5 }, (_, index) => `${server.url}/many/${index}.crl`);
    const pki = await createCodeSigningPki({ intermediates: 0, crlUrls: () => urls });
    expect(await check(pki.chainDer)).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/it names 5 CRL locations; vouch reads at most 4/),
    });
  });
});

describe('the injectable fetcher', () => {
  it('reads CRLs from whatever the caller injects, and treats a fetcher that throws as no answer', async () => {
    const pki = await createCodeSigningPki({
      intermediates: 0,
      crlUrls: () => ['http://crl.example/root.crl'],
    });
    const crl = await pki.root.crl({ entries: [{ serialNumber: pki.leaf.serialNumber }] });
    const asked: string[] = [];
    const offline: RevocationFetcher = {
      fetch: async (request) => {
        asked.push(`${request.method} ${request.url} ≤${request.maxBytes}`);
        return { ok: true, body: crl };
      },
    };
    expect((await check(pki.chainDer, { fetcher: offline, maxCrlBytes: 4096 })).status).toBe('revoked');
    expect(asked).toEqual(['GET http://crl.example/root.crl ≤4096']);
    const broken: RevocationFetcher = {
      fetch: async () => {
        throw new Error('proxy refused');
      },
    };
    expect(await check(pki.chainDer, { fetcher: broken })).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/CRL http:\/\/crl\.example\/root\.crl: proxy refused$/),
    });
  });
});

describe('the authentic-timestamp step with a real revocation check of the TSA chain', () => {
  it('fails a timestamp whose TSA certificate is revoked, and passes it when it is not', async () => {
    const prefix = `/t${++unique}`;
    const signer = await createCodeSigningPki();
    const tsa = await createTimestampingPki({
      crlUrls: (_issuer, depth) => [`${server.url}${prefix}/tsa-${depth}.crl`],
    });
    const signature = new TextEncoder().encode('the signature value');
    const checker = new RevocationChecker({ cache: false });
    const options = {
      scheme: 'notary.x509' as const,
      chain: signer.chainDer,
      signature,
      timestampToken: createTimestampToken(tsa.leaf, { message: signature }),
      trustStores: [{ type: 'tsa' as const, name: 'tsa', certificates: [tsa.root.der] }],
      checkTsaRevocation: (chain: Uint8Array[]) =>
        checker.check(chain, { purpose: 'timestamping', deadline: Deadline.after(5000) }),
    };
    server.route(`${prefix}/tsa-0.crl`, { crl: await tsa.root.crl() });
    server.route(`${prefix}/tsa-1.crl`, { crl: await tsa.issuer.crl() });
    expect(await verifyAuthenticTimestamp(options)).toMatchObject({ ok: true, method: 'timestamp' });
    server.route(`${prefix}/tsa-1.crl`, {
      crl: await tsa.issuer.crl({ entries: [{ serialNumber: tsa.leaf.serialNumber, reason: 1 }] }),
    });
    expect(await verifyAuthenticTimestamp(options)).toMatchObject({
      ok: false,
      code: 'REVOKED',
      reason: expect.stringMatching(
        /^the timestamp's TSA chain is revoked: certificate "C=US, O=vouch test, CN=Test TSA" is revoked/,
      ),
    });
    server.route(`${prefix}/tsa-1.crl`, { status: 500 });
    expect(await verifyAuthenticTimestamp(options)).toMatchObject({ ok: false, code: 'REVOCATION_UNKNOWN' });
  });
});
