import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateProfile,
  createRoot,
  createTimestampingPki,
  generateTestKey,
  OID,
  PROFILE,
  type TestCertificate,
  type TestKeySpec,
} from '../../../../test/harness/notation-pki.js';
import { validateCertificateChain } from './chain.js';
import type { PkiFailureCode } from './result.js';
import { checkChainValidityAt } from './validity.js';

const FIXTURES = new URL(
  '../../../../test/fixtures/notaryproject/notation-core-go/x509/testdata/',
  import.meta.url,
);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(name, FIXTURES)));

function expectFailure(
  result: ReturnType<typeof validateCertificateChain>,
  code: PkiFailureCode,
  reason: RegExp,
) {
  if (result.ok) expect.fail(`expected ${code}, got a valid chain`);
  expect(result.code).toBe(code);
  expect(result.reason).toMatch(reason);
}

let root: TestCertificate;
let intermediate: TestCertificate;

beforeAll(async () => {
  root = await createRoot();
  intermediate = await root.issue({ ...PROFILE.ca(), subject: 'C=US, O=vouch test, CN=Intermediate' });
});

/** A code-signing leaf under the shared intermediate, changed by `profile`. */
async function leafWith(profile: CertificateProfile): Promise<TestCertificate> {
  return intermediate.issue({
    ...PROFILE.codeSigning(),
    subject: 'C=US, ST=WA, O=acme, CN=release',
    ...profile,
  });
}

describe('a code-signing chain that meets the requirements', () => {
  it.each<[TestKeySpec, string]>([
    ['rsa-2048', 'PS256'],
    ['rsa-3072', 'PS384'],
    ['rsa-4096', 'PS512'],
    ['ec-p256', 'ES256'],
    ['ec-p384', 'ES384'],
    ['ec-p521', 'ES512'],
  ])('validates with a %s leaf and names the algorithm %s', async (key, algorithm) => {
    const leaf = await leafWith({ key });
    const result = validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning' });
    if (!result.ok) expect.fail(result.reason);
    else {
      expect(result.keySpec.algorithm).toBe(algorithm);
      expect(result.certificates.map((certificate) => certificate.subject)).toEqual(
        leaf.chain.map((certificate) => certificate.subject),
      );
    }
  });

  it('accepts @peculiar/x509 certificates as well as DER', async () => {
    const leaf = await leafWith({});
    const result = validateCertificateChain(
      leaf.chain.map((certificate) => certificate.certificate),
      { purpose: 'codeSigning' },
    );
    expect(result.ok).toBe(true);
  });

  it('accepts an RSA CA over an EC leaf, no EKU, a private EKU, nonRepudiation and an unknown critical extension', async () => {
    const rsaRoot = await createRoot({ key: 'rsa-2048' });
    const leaf = await rsaRoot.issue({
      ...PROFILE.codeSigning(),
      keyUsage: { usages: ['digitalSignature', 'nonRepudiation'], critical: true },
      extendedKeyUsage: { usages: ['1.3.6.1.4.1.99999.7'] },
      extraExtensions: [new x509.Extension('1.3.6.1.4.1.99999.9', true, new Uint8Array([5, 0]))],
    });
    expect(validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning' }).ok).toBe(true);
    const noEku = await rsaRoot.issue({ ...PROFILE.codeSigning(), extendedKeyUsage: null });
    expect(validateCertificateChain(noEku.chainDer, { purpose: 'codeSigning' }).ok).toBe(true);
  });

  it('accepts a lone self-signed signing certificate, judged as a leaf', async () => {
    const selfSigned = await createRoot({ ...PROFILE.codeSigning(), subject: 'CN=self' });
    expect(validateCertificateChain([selfSigned.der], { purpose: 'codeSigning' }).ok).toBe(true);
  });

  it('honours path lengths that leave room for the chain below', async () => {
    const constrained = await createRoot({ ...PROFILE.ca(1) });
    const middle = await constrained.issue({ ...PROFILE.ca(0) });
    const leaf = await middle.issue(PROFILE.codeSigning());
    expect(validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning' }).ok).toBe(true);
  });
});

describe('chain structure', () => {
  it('refuses an empty chain and one longer than vouch follows', async () => {
    expectFailure(validateCertificateChain([], { purpose: 'codeSigning' }), 'CHAIN_LENGTH', /empty/);
    const leaf = await leafWith({});
    const long = Array.from({ length: 11 }, () => leaf.der);
    expectFailure(
      validateCertificateChain(long, { purpose: 'codeSigning' }),
      'CHAIN_LENGTH',
      /11 certificates/,
    );
  });

  it('refuses a chain in the wrong order', async () => {
    const leaf = await leafWith({});
    const [signing, middle, top] = leaf.chainDer as [Uint8Array, Uint8Array, Uint8Array];
    expectFailure(
      validateCertificateChain([top, middle, signing], { purpose: 'codeSigning' }),
      'CHAIN_ROOT',
      /signing certificate "C=US, ST=WA, O=vouch test, CN=Test Root" is self-signed/,
    );
    expectFailure(
      validateCertificateChain([signing, top, middle], { purpose: 'codeSigning' }),
      'CHAIN_ORDER',
      /signing certificate "C=US, ST=WA, O=acme, CN=release" is not issued by "C=US, ST=WA, O=vouch test, CN=Test Root"/,
    );
  });

  it('refuses an unrelated certificate inside the chain', async () => {
    const leaf = await leafWith({});
    const stranger = await createRoot().then((other) =>
      other.issue({ ...PROFILE.ca(), subject: 'CN=stranger' }),
    );
    const [signing, middle, top] = leaf.chainDer as [Uint8Array, Uint8Array, Uint8Array];
    expectFailure(
      validateCertificateChain([signing, middle, stranger.der, top], { purpose: 'codeSigning' }),
      'CHAIN_ORDER',
      /intermediate certificate "C=US, O=vouch test, CN=Intermediate" is not issued by "CN=stranger"/,
    );
  });

  it('refuses a certificate that names its issuer but carries another key’s signature', async () => {
    const forged = await leafWith({ signWith: await generateTestKey() });
    expectFailure(
      validateCertificateChain(forged.chainDer, { purpose: 'codeSigning' }),
      'CHAIN_ORDER',
      /not issued by/,
    );
  });

  it('refuses a chain that stops before its root', async () => {
    const leaf = await leafWith({});
    expectFailure(
      validateCertificateChain(leaf.chainDer.slice(0, 2), { purpose: 'codeSigning' }),
      'CHAIN_ROOT',
      /must end with a self-signed root, and "C=US, O=vouch test, CN=Intermediate" is not self-signed/,
    );
    expectFailure(
      validateCertificateChain(leaf.chainDer.slice(0, 1), { purpose: 'codeSigning' }),
      'CHAIN_ROOT',
      /the only certificate in the chain, "C=US, ST=WA, O=acme, CN=release", is not self-signed/,
    );
  });

  it('refuses a certificate signed with SHA-1', async () => {
    const leaf = await leafWith({ signatureHash: 'SHA-1' });
    expectFailure(
      validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning' }),
      'SIGNATURE_ALGORITHM',
      /signing certificate .* is signed with ECDSA with SHA-1/,
    );
    const rsaRoot = await createRoot({ key: 'rsa-2048', signatureHash: 'SHA-1' });
    const underSha1Root = await rsaRoot.issue(PROFILE.codeSigning());
    expectFailure(
      validateCertificateChain(underSha1Root.chainDer, { purpose: 'codeSigning' }),
      'SIGNATURE_ALGORITHM',
      /root certificate .* is signed with SHA-1 with RSA/,
    );
  });

  it('refuses bytes that are not a certificate, and a certificate over the size limit', async () => {
    const leaf = await leafWith({});
    const [, ...rest] = leaf.chainDer;
    expectFailure(
      validateCertificateChain([new Uint8Array([0x30, 0x03, 0x02, 0x01]), ...rest], {
        purpose: 'codeSigning',
      }),
      'MALFORMED',
      /certificate 1: a certificate cannot be parsed/,
    );
    expectFailure(
      validateCertificateChain([new Uint8Array(70 * 1024), ...rest], { purpose: 'codeSigning' }),
      'MALFORMED',
      /over the 65536-byte limit/,
    );
  });

  it('refuses a certificate that carries the same extension twice', async () => {
    const leaf = await leafWith({
      extraExtensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
    });
    expectFailure(
      validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning' }),
      'MALFORMED',
      /extension 2\.5\.29\.15 twice/,
    );
  });
});

describe('basic constraints and key usage', () => {
  it('refuses a CA without basic constraints, with cA false, or with non-critical basic constraints', async () => {
    for (const [basicConstraints, reason] of [
      [null, /is not a CA: its basic constraints must be present with cA: true/],
      [{ ca: false, critical: true }, /is not a CA/],
      [{ ca: true, critical: false }, /has basic constraints that are not marked critical/],
    ] as const) {
      const middle = await root.issue({ ...PROFILE.ca(), basicConstraints, subject: 'CN=middle' });
      const leaf = await middle.issue(PROFILE.codeSigning());
      expectFailure(
        validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning' }),
        'BASIC_CONSTRAINTS',
        new RegExp(`intermediate certificate "CN=middle" ${reason.source}`),
      );
    }
  });

  it('refuses a chain longer than a CA’s path length allows', async () => {
    const constrained = await createRoot({ ...PROFILE.ca(0), subject: 'CN=pathlen 0 root' });
    const middle = await constrained.issue({ ...PROFILE.ca() });
    const leaf = await middle.issue(PROFILE.codeSigning());
    expectFailure(
      validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning' }),
      'BASIC_CONSTRAINTS',
      /root certificate "CN=pathlen 0 root" allows a path length of 0, but 1 intermediate certificate follow/,
    );
  });

  it('refuses a leaf that is a CA', async () => {
    const leaf = await leafWith({ basicConstraints: { ca: true, critical: true } });
    expectFailure(
      validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning' }),
      'BASIC_CONSTRAINTS',
      /signing certificate .* is a CA/,
    );
  });

  it('refuses a leaf without key usage, with non-critical key usage, without digitalSignature, or with a forbidden bit', async () => {
    const cases: [CertificateProfile['keyUsage'], RegExp][] = [
      [null, /has no key usage extension/],
      [{ usages: ['digitalSignature'], critical: false }, /key usage extension that is not marked critical/],
      [{ usages: ['nonRepudiation'] }, /lacks the digitalSignature key usage/],
      [{ usages: ['digitalSignature', 'keyEncipherment'] }, /has key usage keyEncipherment/],
      [{ usages: ['digitalSignature', 'keyCertSign', 'cRLSign'] }, /has key usage keyCertSign, cRLSign/],
    ];
    for (const [keyUsage, reason] of cases) {
      const leaf = await leafWith({ keyUsage });
      expectFailure(validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning' }), 'KEY_USAGE', reason);
    }
  });

  it('refuses a CA without keyCertSign, or without critical key usage for code signing', async () => {
    for (const [keyUsage, reason] of [
      [{ usages: ['cRLSign'], critical: true }, /lacks the keyCertSign key usage/],
      [{ usages: ['keyCertSign'], critical: false }, /key usage extension that is not marked critical/],
      [null, /has no key usage extension/],
    ] as const) {
      const middle = await root.issue({
        ...PROFILE.ca(),
        keyUsage: keyUsage as CertificateProfile['keyUsage'],
      });
      const leaf = await middle.issue(PROFILE.codeSigning());
      expectFailure(validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning' }), 'KEY_USAGE', reason);
    }
  });

  it('refuses code-signing leaves with an EKU the spec forbids', async () => {
    for (const [usage, name] of [
      [OID.serverAuth, 'serverAuth'],
      [OID.clientAuth, 'clientAuth'],
      [OID.emailProtection, 'emailProtection'],
      [OID.timeStamping, 'timeStamping'],
      [OID.anyExtendedKeyUsage, 'anyExtendedKeyUsage'],
      [OID.ocspSigning, 'ocspSigning'],
    ]) {
      const leaf = await leafWith({ extendedKeyUsage: { usages: [OID.codeSigning, usage as string] } });
      expectFailure(
        validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning' }),
        'EXTENDED_KEY_USAGE',
        new RegExp(`has extended key usage ${name}, which a code-signing certificate must not have`),
      );
    }
  });

  it('refuses a leaf key the Notary Project does not sign with', async () => {
    const leaf = await leafWith({ key: 'rsa-1024' });
    expectFailure(
      validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning' }),
      'KEY_TYPE',
      /has an RSA key of 1024 bits/,
    );
  });
});

describe('timestamping chains', () => {
  it('validates a TSA chain made by the test PKI, with a non-critical key usage', async () => {
    const tsa = await createTimestampingPki({ leafKey: 'rsa-2048' });
    expect(validateCertificateChain(tsa.chainDer, { purpose: 'timestamping' }).ok).toBe(true);
    const relaxed = await tsa.issuer.issue({
      ...PROFILE.timestamping(),
      keyUsage: { usages: ['digitalSignature'], critical: false },
    });
    expect(validateCertificateChain(relaxed.chainDer, { purpose: 'timestamping' }).ok).toBe(true);
  });

  it('validates the real DigiCert TSA chain of notation-core-go’s test data, and refuses it reordered or for code signing', () => {
    const chain = ['timestamp_leaf.crt', 'timestamp_intermediate.crt', 'timestamp_root.crt'].map(fixture);
    const [leaf, middle, top] = chain as [Uint8Array, Uint8Array, Uint8Array];
    expect(validateCertificateChain(chain, { purpose: 'timestamping' }).ok).toBe(true);
    expectFailure(
      validateCertificateChain([leaf, top, middle], { purpose: 'timestamping' }),
      'CHAIN_ORDER',
      /TSA certificate ".*DigiCert Timestamp 2023" is not issued by ".*DigiCert Trusted Root G4"/,
    );
    expectFailure(
      validateCertificateChain([leaf, middle], { purpose: 'timestamping' }),
      'CHAIN_ROOT',
      /DigiCert Trusted G4 RSA4096 SHA256 TimeStamping CA" is not self-signed/,
    );
    expectFailure(
      validateCertificateChain([top, middle], { purpose: 'timestamping' }),
      'CHAIN_ROOT',
      /TSA certificate ".*DigiCert Trusted Root G4" is self-signed/,
    );
    expectFailure(
      validateCertificateChain(chain, { purpose: 'codeSigning' }),
      'EXTENDED_KEY_USAGE',
      /has extended key usage timeStamping/,
    );
  });

  it('refuses a TSA leaf without the timeStamping EKU, with another EKU beside it, or with it not critical', async () => {
    const tsa = await createTimestampingPki();
    const cases: [CertificateProfile['extendedKeyUsage'], RegExp][] = [
      [null, /has no timeStamping extended key usage/],
      [
        { usages: [OID.timeStamping, OID.codeSigning], critical: true },
        /timeStamping, codeSigning; a TSA certificate must have timeStamping only/,
      ],
      [{ usages: [OID.timeStamping], critical: false }, /not marked critical/],
    ];
    for (const [extendedKeyUsage, reason] of cases) {
      const leaf = await tsa.issuer.issue({ ...PROFILE.timestamping(), extendedKeyUsage });
      expectFailure(
        validateCertificateChain(leaf.chainDer, { purpose: 'timestamping' }),
        'EXTENDED_KEY_USAGE',
        reason,
      );
    }
  });
});

describe('validity', () => {
  it('judges validity only when given a time, inclusive of both bounds', async () => {
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const notAfter = new Date('2031-01-01T00:00:00Z');
    const wide = { notBefore: new Date('2000-01-01T00:00:00Z'), notAfter: new Date('2050-01-01T00:00:00Z') };
    const longRoot = await createRoot(wide);
    const leaf = await longRoot.issue({ ...PROFILE.codeSigning(), notBefore, notAfter });
    expect(validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning' }).ok).toBe(true);
    expectFailure(
      validateCertificateChain(leaf.chainDer, {
        purpose: 'codeSigning',
        at: new Date('2029-12-31T23:59:59Z'),
      }),
      'NOT_YET_VALID',
      /is not valid until 2030-01-01T00:00:00Z \(judged at 2029-12-31T23:59:59Z\)/,
    );
    expectFailure(
      validateCertificateChain(leaf.chainDer, {
        purpose: 'codeSigning',
        at: new Date('2031-01-01T00:00:01Z'),
      }),
      'EXPIRED',
      /expired at 2031-01-01T00:00:00Z/,
    );
    expect(validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning', at: notBefore }).ok).toBe(true);
    expect(validateCertificateChain(leaf.chainDer, { purpose: 'codeSigning', at: notAfter }).ok).toBe(true);
  });

  it('checkChainValidityAt names the first certificate out of its validity, with the code asked for', async () => {
    const wide = { notBefore: new Date('2000-01-01T00:00:00Z'), notAfter: new Date('2050-01-01T00:00:00Z') };
    const longRoot = await createRoot(wide);
    const middle = await longRoot.issue({ ...PROFILE.ca(), ...wide });
    const pki = {
      chainDer: (
        await middle.issue({
          ...PROFILE.codeSigning(),
          subject: 'CN=release',
          notBefore: new Date('2020-01-01T00:00:00Z'),
          notAfter: new Date('2021-01-01T00:00:00Z'),
        })
      ).chainDer,
    };
    expect(checkChainValidityAt(pki.chainDer, new Date('2020-06-01T00:00:00Z'))).toEqual({ ok: true });
    const now = checkChainValidityAt(pki.chainDer, new Date());
    expect(now).toMatchObject({
      ok: false,
      code: 'EXPIRED',
      reason: expect.stringMatching(/"CN=release" expired at 2021-01-01T00:00:00Z/),
    });
    expect(checkChainValidityAt(pki.chainDer, new Date(), 'SIGNING_TIME')).toMatchObject({
      ok: false,
      code: 'SIGNING_TIME',
    });
  });
});
