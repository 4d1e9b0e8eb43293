import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { decode } from 'cbor-x';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createCodeSigningPki,
  createRoot,
  createTimestampingPki,
  createTimestampToken,
  OID,
  PROFILE,
  type TestPki,
} from '../../../../test/harness/notation-pki.js';
import type { TrustStore } from './anchor.js';
import { type AuthenticTimestampOptions, verifyAuthenticTimestamp } from './authentic-time.js';
import type { PkiFailureCode } from './result.js';
import { verifyTimestampToken } from './timestamp-token.js';

const FIXTURES = new URL('../../../../test/fixtures/notaryproject/', import.meta.url);
/** A fixture's bytes; a PEM certificate as its DER. */
function read(path: string): Uint8Array {
  const bytes = readFileSync(new URL(path, FIXTURES));
  if (!bytes.subarray(0, 10).toString().startsWith('-----BEGIN')) return new Uint8Array(bytes);
  return new Uint8Array(x509.PemConverter.decodeFirst(bytes.toString('utf8')));
}
const tspclient = (name: string) => read(`tspclient-go/testdata/${name}`);
const notationGo = (path: string) => read(`notation-go/verifier/testdata/${path}`);

/** tspclient-go's tokens are over the bytes "notation", issued under GlobalSign Root CA - R3. */
const NOTATION = new TextEncoder().encode('notation');
const GLOBALSIGN_R3 = tspclient('GlobalSignRootCA.crt');
/** notation-go's `tsa:test-timestamp` (GlobalSign Root CA - R6) and `tsa:test-mismatch` (DigiCert). */
const GLOBALSIGN_R6 = notationGo('truststore/x509/tsa/test-timestamp/globalsignRoot.cer');
const DIGICERT_TSA_ROOT = notationGo('truststore/x509/tsa/test-mismatch/DigiCertTSARootSHA384.cer');

interface Envelope {
  chain: Uint8Array[];
  signature: Uint8Array;
  token?: Uint8Array;
}

/** The parts of a Notation envelope the timestamp step reads (parsing envelopes is not this module's job). */
function envelope(name: string): Envelope {
  const bytes = notationGo(`timestamp/sigEnv/${name}`);
  if (bytes[0] === 0x7b) {
    const jws = JSON.parse(Buffer.from(bytes).toString('utf8'));
    const token = jws.header['io.cncf.notary.timestampSignature'];
    return {
      chain: jws.header.x5c.map((der: string) => new Uint8Array(Buffer.from(der, 'base64'))),
      signature: new Uint8Array(Buffer.from(jws.signature, 'base64url')),
      token: token ? new Uint8Array(Buffer.from(token, 'base64')) : undefined,
    };
  }
  const [, unprotected, , signature] = decode(bytes).value;
  const chain = unprotected[33];
  return {
    chain: (Array.isArray(chain) ? chain : [chain]).map((der: Uint8Array) => new Uint8Array(der)),
    signature: new Uint8Array(signature),
    token: unprotected['io.cncf.notary.timestampSignature'],
  };
}

function expectFailure(result: { ok: boolean }, code: PkiFailureCode, reason: RegExp): void {
  if (result.ok) expect.fail(`expected ${code}, got ${JSON.stringify(Object.keys(result))}`);
  expect(result).toMatchObject({ ok: false, code, reason: expect.stringMatching(reason) });
}

const tsaStore = (...certificates: Uint8Array[]): TrustStore => ({
  type: 'tsa',
  name: 'test-timestamp',
  certificates,
});
const answered = (status: 'ok' | 'revoked' | 'unknown') => async () => ({
  status,
  reason: `the test answered ${status}`,
});

describe('verifyTimestampToken with the Notary Project’s real tokens (tspclient-go)', () => {
  it('verifies TimeStampToken.p7s over "notation": genTime, accuracy and the TSA chain to GlobalSign R3', () => {
    const result = verifyTimestampToken(tspclient('TimeStampToken.p7s'), {
      signature: NOTATION,
      tsaRoots: [GLOBALSIGN_R3],
    });
    if (!result.ok) expect.fail(result.reason);
    expect(result.genTime.toISOString()).toBe('2021-09-17T14:09:10.000Z');
    expect(result.accuracyMs).toBe(1000);
    expect(result.earliest.toISOString()).toBe('2021-09-17T14:09:09.000Z');
    expect(result.latest.toISOString()).toBe('2021-09-17T14:09:11.000Z');
    expect(result.tsaChain[0]?.subject).toMatch(/CN=Globalsign TSA for Advanced - G4/);
    expect(result.tsaChain.at(-1)?.subject).toMatch(/GlobalSign Root CA - R3/);
  });

  it.each([['TimeStampTokenWithValidAndInvalidSignerInfos.p7s', 'the first SignerInfo that verifies wins']])(
    'verifies %s (%s)',
    (name) => {
      expect(
        verifyTimestampToken(tspclient(name), { signature: NOTATION, tsaRoots: [GLOBALSIGN_R3] }).ok,
      ).toBe(true);
    },
  );

  it.each<[string, PkiFailureCode, RegExp]>([
    [
      'TimeStampTokenWithInvalidSignature.p7s',
      'TIMESTAMP_INVALID',
      /signature does not verify with the key of TSA certificate/,
    ],
    [
      'TimeStampTokenWithoutCertificate.p7s',
      'TIMESTAMP_INVALID',
      /does not carry the TSA certificate that signed it/,
    ],
    [
      'TimeStampTokenWithInvalideContentType.p7s',
      'TIMESTAMP_INVALID',
      /holds content of type 1\.2\.840\.113549\.1\.7\.1, not id-ct-TSTInfo/,
    ],
    ['TimeStampTokenWithInvalidTSTInfo.p7s', 'TIMESTAMP_INVALID', /has a TSTInfo that cannot be parsed/],
    ['TimeStampTokenWithTSTInfoVersion2.p7s', 'TIMESTAMP_INVALID', /TSTInfo of version 2, not 1/],
    [
      'SHA1TimeStampToken.p7s',
      'TIMESTAMP_INVALID',
      /imprints its message with hash algorithm 1\.2\.840\.113549\.1\.1\.5/,
    ],
    [
      'TimeStampTokenWithoutSigningCertificate.p7s',
      'TIMESTAMP_INVALID',
      /no ESS signing-certificate-v2 attribute/,
    ],
    // Without issuer and serial in the ESS attribute the signer is found by its sid; this token's
    // attributes were edited after signing, so its signature then fails.
    [
      'TimeStampTokenWithoutSigningCertificateV2IssuerSerial.p7s',
      'TIMESTAMP_INVALID',
      /signature does not verify with the key of TSA certificate ".*Globalsign TSA for Advanced - G4"/,
    ],
    [
      'TimeStampTokenWithMismatchCertHash.p7s',
      'TIMESTAMP_INVALID',
      /names a signing certificate whose hash is not that of/,
    ],
    [
      'TimeStampTokenWithSHA1CertHash.p7s',
      'TIMESTAMP_INVALID',
      /certificate hash algorithm 1\.3\.14\.3\.2\.26/,
    ],
    [
      'TimeStampTokenWithInvalidSigningCertificateV2.p7s',
      'TIMESTAMP_INVALID',
      /malformed signing-certificate-v2 attribute/,
    ],
    [
      'TimeStampTokenWithSigningCertificateV2NoCert.p7s',
      'TIMESTAMP_INVALID',
      /signing-certificate-v2 attribute: it names no certificate/,
    ],
    [
      'TimeStampTokenWithWrongSigningCertificateV2IssuerChoiceTag.p7s',
      'TIMESTAMP_INVALID',
      /its issuer and serial number are malformed/,
    ],
  ])('refuses %s (%s)', (name, code, reason) => {
    expectFailure(
      verifyTimestampToken(tspclient(name), { signature: NOTATION, tsaRoots: [GLOBALSIGN_R3] }),
      code,
      reason,
    );
  });

  it('refuses a good token over other data, and a good token against another TSA root', () => {
    const token = tspclient('TimeStampToken.p7s');
    expectFailure(
      verifyTimestampToken(token, {
        signature: new TextEncoder().encode('invalid'),
        tsaRoots: [GLOBALSIGN_R3],
      }),
      'TIMESTAMP_MISMATCH',
      /message imprint is not the hash of this signature/,
    );
    expectFailure(
      verifyTimestampToken(token, { signature: NOTATION, tsaRoots: [DIGICERT_TSA_ROOT] }),
      'UNTRUSTED',
      /TSA certificate ".*Globalsign TSA for Advanced - G4" does not chain to a certificate in the tsa trust store/,
    );
  });
});

describe('the authentic-timestamp step with notation-go’s timestamped envelopes (TestAuthenticTimestamp)', () => {
  const base = (name: string, extra: Partial<AuthenticTimestampOptions> = {}): AuthenticTimestampOptions => {
    const parts = envelope(name);
    return {
      scheme: 'notary.x509',
      chain: parts.chain,
      signature: parts.signature,
      timestampToken: parts.token,
      trustStores: [tsaStore(GLOBALSIGN_R6)],
      verifyTimestamp: 'always',
      checkTsaRevocation: answered('ok'),
      ...extra,
    };
  };

  it.each([
    'jwsWithTimestamp.sig',
    'coseWithTimestamp.sig',
    'jwsExpiredWithTimestamp.sig',
    'coseExpiredWithTimestamp.sig',
  ])('passes %s: the timestamp verifies and lies inside the signing certificate’s validity', async (name) => {
    const result = await verifyAuthenticTimestamp(base(name));
    if (!result.ok) expect.fail(result.reason);
    expect(result.method).toBe('timestamp');
  });

  it('verifies no timestamp under afterCertExpiry while the chain is unexpired, and does once it has expired', async () => {
    const unexpired = await verifyAuthenticTimestamp(
      base('coseWithTimestamp.sig', { verifyTimestamp: 'afterCertExpiry' }),
    );
    expect(unexpired).toMatchObject({ ok: true, method: 'verificationTime' });
    const expired = await verifyAuthenticTimestamp(
      base('coseExpiredWithTimestamp.sig', { verifyTimestamp: 'afterCertExpiry' }),
    );
    expect(expired).toMatchObject({ ok: true, method: 'timestamp' });
  });

  it('fails an expired signing certificate when no tsa store is configured', async () => {
    expectFailure(
      await verifyAuthenticTimestamp(base('coseExpiredWithTimestamp.sig', { trustStores: [] })),
      'EXPIRED',
      /"C=US, ST=WA, L=Seattle, O=Notary, CN=testTSA" expired at 2024-06-18T07:30:31Z .*no tsa trust store is configured/,
    );
  });

  it('fails a signature without a timestamp when a tsa store is configured', async () => {
    expectFailure(
      await verifyAuthenticTimestamp(base('withoutTimestamp.sig')),
      'TIMESTAMP_MISSING',
      /carries no timestamp countersignature/,
    );
  });

  it('fails the broken countersignatures placed into withoutTimestamp.sig', async () => {
    const token = (name: string) => notationGo(`timestamp/countersignature/${name}`);
    expectFailure(
      await verifyAuthenticTimestamp(
        base('withoutTimestamp.sig', { timestampToken: token('TimeStampTokenWithInvalideContentType.p7s') }),
      ),
      'TIMESTAMP_INVALID',
      /not id-ct-TSTInfo/,
    );
    expectFailure(
      await verifyAuthenticTimestamp(
        base('withoutTimestamp.sig', { timestampToken: token('TimeStampTokenWithInvalidTSTInfo.p7s') }),
      ),
      'TIMESTAMP_INVALID',
      /TSTInfo that cannot be parsed/,
    );
    expectFailure(
      await verifyAuthenticTimestamp(
        base('withoutTimestamp.sig', {
          timestampToken: token('TimeStampToken.p7s'),
          signature: new TextEncoder().encode('mismatch'),
        }),
      ),
      'TIMESTAMP_MISMATCH',
      /message imprint/,
    );
    expectFailure(
      await verifyAuthenticTimestamp(
        base('withoutTimestamp.sig', {
          timestampToken: token('TimeStampTokenWithoutCertificate.p7s'),
          signature: NOTATION,
        }),
      ),
      'TIMESTAMP_INVALID',
      /does not carry the TSA certificate/,
    );
  });

  it('fails a timestamp from a TSA the tsa store does not trust', async () => {
    expectFailure(
      await verifyAuthenticTimestamp(
        base('coseWithTimestamp.sig', { trustStores: [tsaStore(DIGICERT_TSA_ROOT)] }),
      ),
      'UNTRUSTED',
      /does not chain to a certificate in the tsa trust store/,
    );
  });

  it('fails timestamps before the signing certificate’s notBefore and after its notAfter', async () => {
    expectFailure(
      await verifyAuthenticTimestamp(base('timestampBeforeNotBefore.sig')),
      'TIMESTAMP_OUTSIDE_VALIDITY',
      /may be before certificate "C=US, ST=WA, L=Seattle, O=Notary, CN=testTSA" became valid at 2099-09-18T11:54:34Z/,
    );
    expectFailure(
      await verifyAuthenticTimestamp(base('timestampAfterNotAfter.sig')),
      'TIMESTAMP_OUTSIDE_VALIDITY',
      /may be after certificate "C=US, ST=WA, L=Seattle, O=Notary, CN=testTSA" expired at 2001-09-18T11:54:34Z/,
    );
  });

  it('fails when the TSA chain is revoked or its revocation status is unknown, and hands the checker the TSA chain', async () => {
    const seen: Uint8Array[][] = [];
    const result = await verifyAuthenticTimestamp(
      base('jwsWithTimestamp.sig', {
        checkTsaRevocation: async (chain) => {
          seen.push(chain);
          return { status: 'revoked', reason: 'certificate X is revoked' };
        },
      }),
    );
    expectFailure(result, 'REVOKED', /TSA chain is revoked: certificate X is revoked/);
    expect(seen).toHaveLength(1);
    expect(Buffer.from(seen[0]?.at(-1) ?? []).equals(Buffer.from(GLOBALSIGN_R6))).toBe(true);
    expectFailure(
      await verifyAuthenticTimestamp(
        base('jwsWithTimestamp.sig', { checkTsaRevocation: answered('unknown') }),
      ),
      'REVOCATION_UNKNOWN',
      /revocation status of the timestamp's TSA chain is unknown/,
    );
  });
});

describe('timestamps made by the test PKI', () => {
  let tsa: TestPki;
  let signer: TestPki;
  const message = new TextEncoder().encode('signature value');

  beforeAll(async () => {
    tsa = await createTimestampingPki({ leafKey: 'rsa-2048' });
    signer = await createCodeSigningPki();
  });

  it('verifies RSA and ECDSA TSAs and every imprint hash the spec allows', async () => {
    const ecTsa = await createTimestampingPki({ leafKey: 'ec-p384', intermediates: 2 });
    for (const imprintHash of ['SHA-256', 'SHA-384', 'SHA-512'] as const) {
      for (const pki of [tsa, ecTsa]) {
        const token = createTimestampToken(pki.leaf, { message, imprintHash });
        const result = verifyTimestampToken(token, { signature: message, tsaRoots: [pki.root.der] });
        if (!result.ok) expect.fail(result.reason);
        expect(result.tsaChainDer).toHaveLength(pki.chain.length);
      }
    }
  });

  it('reads the accuracy: explicit, 1 s under the baseline policy, else none', () => {
    const genTime = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const at = (offsetMs: number) => new Date(genTime.getTime() + offsetMs).toISOString();
    const accuracy = (options: Partial<Parameters<typeof createTimestampToken>[1]>) => {
      const result = verifyTimestampToken(createTimestampToken(tsa.leaf, { message, genTime, ...options }), {
        signature: message,
        tsaRoots: [tsa.root.der],
      });
      if (!result.ok) expect.fail(result.reason);
      return [result.accuracyMs, result.earliest.toISOString(), result.latest.toISOString()];
    };
    expect(accuracy({ accuracy: { seconds: 2, millis: 500 } })).toEqual([2500, at(-2500), at(2500)]);
    expect(accuracy({ accuracy: { micros: 10 } })).toEqual([0.01, at(-1), at(1)]);
    expect(accuracy({ policy: OID.baselineTimestampPolicy })).toEqual([1000, at(-1000), at(1000)]);
    expect(accuracy({})).toEqual([0, at(0), at(0)]);
  });

  it('refuses tokens signed by the wrong key, naming another certificate, or without the ESS attribute', async () => {
    const other = await tsa.issuer.issue(PROFILE.timestamping());
    const verify = (token: Uint8Array) =>
      verifyTimestampToken(token, { signature: message, tsaRoots: [tsa.root.der] });
    expectFailure(
      verify(createTimestampToken(tsa.leaf, { message, signWith: other.key })),
      'TIMESTAMP_INVALID',
      /signature does not verify/,
    );
    expectFailure(
      verify(createTimestampToken(tsa.leaf, { message, signingCertificateOf: other })),
      'TIMESTAMP_INVALID',
      /does not carry the TSA certificate/,
    );
    expectFailure(
      verify(createTimestampToken(tsa.leaf, { message, omitSigningCertificate: true })),
      'TIMESTAMP_INVALID',
      /no ESS signing-certificate-v2/,
    );
    expectFailure(
      verify(createTimestampToken(tsa.leaf, { message, contentTypeAttribute: '1.2.840.113549.1.7.1' })),
      'TIMESTAMP_INVALID',
      /content-type attribute is not id-ct-TSTInfo/,
    );
    expectFailure(
      verify(createTimestampToken(tsa.leaf, { message, imprintHash: 'SHA-1' })),
      'TIMESTAMP_INVALID',
      /hash algorithm 1\.3\.14\.3\.2\.26/,
    );
    expectFailure(
      verify(createTimestampToken(tsa.leaf, { message, signatureHash: 'SHA-1' })),
      'TIMESTAMP_INVALID',
      /digest algorithm 1\.3\.14\.3\.2\.26/,
    );
  });

  it('refuses a token whose TSA chain cannot be built, is not a timestamping chain, or was not valid at genTime', async () => {
    const verify = (token: Uint8Array, roots = [tsa.root.der]) =>
      verifyTimestampToken(token, { signature: message, tsaRoots: roots });
    expectFailure(
      verify(createTimestampToken(tsa.leaf, { message, certificates: 'none' })),
      'TIMESTAMP_INVALID',
      /does not carry/,
    );
    expectFailure(
      verify(createTimestampToken(tsa.leaf, { message, certificates: 'leaf' })),
      'UNTRUSTED',
      /does not chain/,
    );
    expectFailure(
      verify(createTimestampToken(tsa.leaf, { message }), [tsa.issuer.der]),
      'CHAIN_ROOT',
      /TSA chain is not acceptable: the chain must end with a self-signed root/,
    );
    const codeSigningTsa = await tsa.issuer.issue(PROFILE.codeSigning());
    expectFailure(
      verify(createTimestampToken(codeSigningTsa, { message })),
      'EXTENDED_KEY_USAGE',
      /TSA chain is not acceptable: TSA certificate .* codeSigning/,
    );
    expectFailure(
      verify(
        createTimestampToken(tsa.leaf, { message, genTime: new Date(tsa.leaf.notAfter.getTime() + 60_000) }),
      ),
      'EXPIRED',
      /TSA chain is not acceptable: TSA certificate .* expired at/,
    );
  });

  it('refuses empty, oversized and malformed tokens, and an empty tsa store, before parsing anything', () => {
    const verify = (token: Uint8Array, roots = [tsa.root.der]) =>
      verifyTimestampToken(token, { signature: message, tsaRoots: roots });
    expectFailure(verify(new Uint8Array()), 'TIMESTAMP_MISSING', /empty/);
    expectFailure(verify(new Uint8Array(65 * 1024)), 'TIMESTAMP_INVALID', /over the 65536-byte limit/);
    expectFailure(verify(new Uint8Array([0x30, 0x80, 0x30, 0x80])), 'TIMESTAMP_INVALID', /cannot be parsed/);
    expectFailure(verify(signer.leaf.der), 'TIMESTAMP_INVALID', /cannot be parsed/);
    expectFailure(
      verify(createTimestampToken(tsa.leaf, { message }), []),
      'NO_TRUST_STORE',
      /no tsa trust store/,
    );
  });

  it('judges the timestamp range against the signing chain: inside passes, straddling notAfter fails', async () => {
    const notAfter = new Date('2030-06-01T00:00:00Z');
    const longLived = { notAfter: new Date('2040-01-01T00:00:00Z') };
    const root = await createRoot(longLived);
    const leaf = await root.issue({ ...PROFILE.codeSigning(), notAfter });
    const tsaRoot = await createRoot(longLived);
    const tsaLeaf = await tsaRoot.issue({ ...PROFILE.timestamping(), ...longLived });
    const options = (genTime: Date, seconds: number): AuthenticTimestampOptions => ({
      scheme: 'notary.x509',
      chain: leaf.chainDer,
      signature: message,
      timestampToken: createTimestampToken(tsaLeaf, { message, genTime, accuracy: { seconds } }),
      trustStores: [tsaStore(tsaRoot.der)],
      checkTsaRevocation: answered('ok'),
    });
    expect(await verifyAuthenticTimestamp(options(new Date('2030-05-31T23:59:58Z'), 2))).toMatchObject({
      ok: true,
      method: 'timestamp',
    });
    expectFailure(
      await verifyAuthenticTimestamp(options(new Date('2030-05-31T23:59:58Z'), 3)),
      'TIMESTAMP_OUTSIDE_VALIDITY',
      /\[2030-05-31T23:59:55Z, 2030-06-01T00:00:01Z\] may be after certificate .* expired at 2030-06-01T00:00:00Z/,
    );
  });

  it('checks a signing-authority signature by its authentic signing time, never by a timestamp', async () => {
    const options = (authenticSigningTime?: Date): AuthenticTimestampOptions => ({
      scheme: 'notary.x509.signingAuthority',
      chain: signer.chainDer,
      authenticSigningTime,
      timestampToken: new Uint8Array([1, 2, 3]),
      trustStores: [tsaStore(tsa.root.der)],
      checkTsaRevocation: answered('revoked'),
    });
    const inside = new Date(signer.leaf.notBefore.getTime() + 60_000);
    expect(await verifyAuthenticTimestamp(options(inside))).toEqual({
      ok: true,
      method: 'authenticSigningTime',
      at: inside,
    });
    expectFailure(
      await verifyAuthenticTimestamp(options()),
      'SIGNING_TIME',
      /must carry an authentic signing time/,
    );
    expectFailure(
      await verifyAuthenticTimestamp(options(new Date('2001-01-01T00:00:00Z'))),
      'SIGNING_TIME',
      /authentic signing time 2001-01-01T00:00:00Z is outside the chain's validity: .* is not valid until/,
    );
  });
});
