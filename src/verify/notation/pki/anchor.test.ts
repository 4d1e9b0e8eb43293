import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createCodeSigningPki,
  createRoot,
  PROFILE,
  type TestPki,
} from '../../../../test/harness/notation-pki.js';
import { findTrustAnchor, type TrustStore, trustStoreCertificateProblem } from './anchor.js';

const FIXTURES = new URL('../../../../test/fixtures/notaryproject/', import.meta.url);

let pki: TestPki;
let other: TestPki;

beforeAll(async () => {
  pki = await createCodeSigningPki();
  other = await createCodeSigningPki();
});

const store = (type: TrustStore['type'], name: string, ...certificates: Uint8Array[]): TrustStore => ({
  type,
  name,
  certificates,
});

describe('findTrustAnchor', () => {
  it('finds the root in a ca store for notary.x509, and says which store and where in the chain', () => {
    const result = findTrustAnchor(
      pki.chainDer,
      [store('ca', 'other', other.root.der), store('ca', 'acme-root', pki.root.der)],
      'notary.x509',
    );
    expect(result).toMatchObject({ ok: true, store: 'ca:acme-root', chainIndex: 2 });
    if (result.ok) expect(result.certificate.subject).toBe(pki.root.subject);
  });

  it('takes the first chain certificate that is trusted: a pinned intermediate or signing certificate', () => {
    expect(findTrustAnchor(pki.chainDer, [store('ca', 'pin', pki.issuer.der)], 'notary.x509')).toMatchObject({
      ok: true,
      chainIndex: 1,
    });
    expect(
      findTrustAnchor(pki.chainDer, [store('ca', 'pin', pki.root.der, pki.leaf.der)], 'notary.x509'),
    ).toMatchObject({ ok: true, chainIndex: 0 });
  });

  it('fails when the chain reaches no certificate of the stores, naming them', () => {
    const result = findTrustAnchor(
      pki.chainDer,
      [store('ca', 'other', other.root.der), store('ca', 'more', other.issuer.der)],
      'notary.x509',
    );
    expect(result).toMatchObject({
      ok: false,
      code: 'UNTRUSTED',
      reason: `the certificate chain (root "${pki.root.subject}") does not reach any certificate in trust stores ca:other, ca:more`,
    });
  });

  it('verifies a signing-authority signature only against signingAuthority stores, and a notary.x509 one only against ca stores', () => {
    const both = [store('ca', 'acme', pki.root.der), store('signingAuthority', 'sa', other.root.der)];
    expect(findTrustAnchor(pki.chainDer, both, 'notary.x509.signingAuthority')).toMatchObject({
      ok: false,
      code: 'UNTRUSTED',
      reason: expect.stringMatching(/trust store signingAuthority:sa$/),
    });
    expect(findTrustAnchor(other.chainDer, both, 'notary.x509.signingAuthority')).toMatchObject({
      ok: true,
      store: 'signingAuthority:sa',
    });
    expect(findTrustAnchor(other.chainDer, both, 'notary.x509')).toMatchObject({
      ok: false,
      code: 'UNTRUSTED',
    });
    expect(
      findTrustAnchor(pki.chainDer, [store('ca', 'acme', pki.root.der)], 'notary.x509.signingAuthority'),
    ).toEqual({
      ok: false,
      code: 'NO_TRUST_STORE',
      reason:
        'a notary.x509.signingAuthority signature is verified against signingAuthority trust stores, and the trust policy names none',
    });
    expect(findTrustAnchor(pki.chainDer, [store('tsa', 'tsa', pki.root.der)], 'notary.x509')).toMatchObject({
      ok: false,
      code: 'NO_TRUST_STORE',
    });
  });

  it('fails on a malformed store certificate, naming the store', () => {
    const result = findTrustAnchor(
      pki.chainDer,
      [store('ca', 'broken', new Uint8Array([1, 2, 3]))],
      'notary.x509',
    );
    expect(result).toMatchObject({
      ok: false,
      code: 'TRUST_STORE_CERTIFICATE',
      reason: expect.stringMatching(/^trust store ca:broken: certificate 1: a certificate cannot be parsed/),
    });
  });
});

describe('trustStoreCertificateProblem', () => {
  it('accepts roots and CA intermediates in ca and signingAuthority stores, and only self-signed roots in tsa stores', async () => {
    expect(trustStoreCertificateProblem(pki.root.der, 'ca')).toBeUndefined();
    expect(trustStoreCertificateProblem(pki.issuer.der, 'signingAuthority')).toBeUndefined();
    expect(trustStoreCertificateProblem(pki.root.der, 'tsa')).toBeUndefined();
    const selfSignedLeaf = await createRoot({ ...PROFILE.codeSigning(), subject: 'CN=self' });
    expect(trustStoreCertificateProblem(selfSignedLeaf.der, 'ca')).toBeUndefined();
    expect(trustStoreCertificateProblem(pki.leaf.der, 'ca')).toBe(
      `certificate "${pki.leaf.subject}" is neither a CA certificate nor self-signed`,
    );
    expect(trustStoreCertificateProblem(pki.issuer.der, 'tsa')).toBe(
      `certificate "${pki.issuer.subject}" is not a self-signed root certificate`,
    );
    expect(trustStoreCertificateProblem(new Uint8Array([0x30, 0]), 'ca')).toMatch(/cannot be parsed/);
    expect(trustStoreCertificateProblem(selfSignedLeaf.der, 'tsa')).toBe(
      'certificate "CN=self" is self-signed but not a CA certificate',
    );
  });

  it('judges notation-go’s tsa trust stores as notation does (TestGetCertFromValidTsaTrustStore, …Invalid…)', () => {
    const tsa = (path: string) => {
      const bytes = readFileSync(
        new URL(`notation-go/verifier/testdata/truststore/x509/tsa/${path}`, FIXTURES),
      );
      const pem = bytes.toString('latin1');
      return pem.startsWith('-----BEGIN') ? new x509.X509Certificate(pem) : new Uint8Array(bytes);
    };
    expect(trustStoreCertificateProblem(tsa('test-timestamp/globalsignRoot.cer'), 'tsa')).toBeUndefined();
    expect(trustStoreCertificateProblem(tsa('test-nonCA/wabbit-networks.io.crt'), 'tsa')).toBe(
      'certificate "C=US, ST=WA, L=Seattle, O=Notary, CN=wabbit-networks.io" is self-signed but not a CA certificate',
    );
    expect(trustStoreCertificateProblem(tsa('test-nonSelfIssued/nonSelfIssued.crt'), 'tsa')).toBe(
      'certificate "C=US, ST=WA, L=Seattle, O=Notary, CN=Notation Test Revokable RSA Chain Cert 2" is not a self-signed root certificate',
    );
  });
});
