import { Decoder, type Tag } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import {
  CORE,
  E2E_IMAGE,
  e2eSigner,
  e2eValidEnvelope,
  fixture,
  GO,
  jwsProtected,
  selfSignedCodeSigning,
  type TestKeyKind,
} from '../../../test/notation/helpers.js';
import { parseManifest } from '../../registry/index.js';
import { SignatureError } from '../errors.js';
import {
  algorithmByName,
  chainThumbprints,
  coseSign1,
  encodeCoseProtectedHeader,
  encodeJwsProtectedHeader,
  parseCertificateChainPem,
  parseCoseEnvelope,
  parseNotationPayload,
  parseNotationSignatureManifest,
  signNotation,
  signNotationArtifact,
  verifyEnvelopeIntegrity,
} from './index.js';

const signer = e2eSigner();
const cbor = new Decoder({ mapsAsObjects: false, useRecords: false });
const decode = (bytes: Uint8Array) => cbor.decode(bytes) as unknown;
const chain = [signer.certificate];
const SIGNED_AT = new Date('2024-06-18T06:29:33.750Z');

describe('signing reproduces the Notary Project conformance vectors', () => {
  it("JWS: the protected header of notation-core-go's vector, byte for byte", () => {
    const conformance = JSON.parse(fixture(`${CORE}signature/jws/testdata/conformance.json`).toString()) as {
      protected: string;
    };
    const encoded = encodeJwsProtectedHeader({
      algorithm: algorithmByName('ES256')!,
      scheme: 'notary.x509',
      signingTime: new Date('2022-08-29T13:50:00Z'),
      expiry: new Date('2099-08-30T13:50:00Z'),
      extended: [
        { name: 'signedCritKey1', value: 'signedCritValue1', critical: true },
        { name: 'signedKey1', value: 'signedValue1', critical: false },
        { name: 'signedKey2', value: 'signedValue1', critical: false },
        { name: 'signedKey3', value: 'signedValue1', critical: false },
        { name: 'signedKey4', value: 'signedValue1', critical: false },
      ],
    });
    expect(encoded).toBe(conformance.protected);
  });

  it("COSE: the protected header and the whole message of notation-core-go's vector, byte for byte", () => {
    const conformance = JSON.parse(fixture(`${CORE}signature/cose/testdata/conformance.json`).toString()) as {
      protectedHeaders: { cborHex: string };
      expectedOutput: { cborHex: string };
    };
    const protectedBytes = encodeCoseProtectedHeader({
      algorithm: algorithmByName('PS384')!,
      scheme: 'notary.x509',
      signingTime: new Date(1661321924 * 1000),
      expiry: new Date(1661408324 * 1000),
      extended: [
        { name: 'signedCritKey1', value: 'signedCritValue1', critical: true },
        { name: 'signedKey1', value: 'signedValue1', critical: false },
      ],
    });
    expect(protectedBytes.toString('hex')).toBe(conformance.protectedHeaders.cborHex.toLowerCase());
    const expected = Buffer.from(conformance.expectedOutput.cborHex, 'hex');
    const [, , payload, signature] = (decode(expected) as Tag).value as Buffer[];
    const message = coseSign1({
      protectedBytes,
      unprotected: [['io.cncf.notary.signingAgent', 'NotationConformanceTest/1.0.0']],
      payload: payload!,
      signature: signature!,
    });
    expect(message.toString('hex')).toBe(expected.toString('hex'));
  });
});

describe('signing as notation sign does', () => {
  it('JWS: the same protected header, unsigned header and member order as a real notation signature', async () => {
    const signed = await signNotation({
      key: signer.key,
      chain,
      target: E2E_IMAGE,
      format: 'jws',
      signingTime: SIGNED_AT,
    });
    const real = e2eValidEnvelope();
    const ours = JSON.parse(signed.envelope.toString()) as Record<string, unknown>;
    const theirs = JSON.parse(real.toString()) as Record<string, unknown>;
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    expect(Object.keys(ours.header as object)).toEqual(Object.keys(theirs.header as object));
    expect((ours.header as { x5c: string[] }).x5c).toEqual((theirs.header as { x5c: string[] }).x5c);
    // Same payload bytes (the sorted-key form), same protected header except the time.
    expect(ours.payload).toBe(theirs.payload);
    expect(jwsProtected(signed.envelope)).toEqual({
      ...jwsProtected(real),
      'io.cncf.notary.signingTime': '2024-06-18T06:29:33Z',
    });
    expect(signed.signingTime).toEqual(new Date('2024-06-18T06:29:33Z'));
    expect(signed.parsed.signingAgent).toBe('vouch/0.1.0');
    expect(await verifyEnvelopeIntegrity(signed.parsed)).toEqual({ ok: true });
  });

  it('COSE: the protected header labels in the order notation writes them, and a chain in label 33', async () => {
    const signed = await signNotation({
      key: signer.key,
      chain,
      target: E2E_IMAGE,
      format: 'cose',
      signingTime: SIGNED_AT,
    });
    const real = parseCoseEnvelope(fixture(`${GO}internal/testdata/cose_signature.sig`));
    const headerKeys = (bytes: Buffer) => {
      const [protectedBytes, unprotected] = (decode(bytes) as Tag).value as [Buffer, Map<unknown, unknown>];
      return [[...(decode(protectedBytes) as Map<unknown, unknown>).keys()], [...unprotected.keys()]];
    };
    expect(headerKeys(signed.envelope)).toEqual(
      headerKeys(fixture(`${GO}internal/testdata/cose_signature.sig`)),
    );
    expect(signed.parsed).toMatchObject({
      format: 'cose',
      algorithm: { name: 'PS256' },
      signingTime: new Date('2024-06-18T06:29:33Z'),
      criticalHeaders: real.criticalHeaders,
      payloadContentType: real.payloadContentType,
    });
    expect(signed.parsed.certificateChain).toEqual(chain);
    expect(parseNotationPayload(signed.parsed.payload)).toEqual(E2E_IMAGE);
    expect(await verifyEnvelopeIntegrity(signed.parsed)).toEqual({ ok: true });
  });

  it("writes an expiry, marked critical, and the signing-authority scheme's authentic signing time", async () => {
    const expiry = new Date('2034-06-18T06:29:33Z');
    for (const format of ['jws', 'cose'] as const) {
      const withExpiry = await signNotation({
        key: signer.key,
        chain,
        target: E2E_IMAGE,
        format,
        signingTime: SIGNED_AT,
        expiry,
      });
      expect(withExpiry.parsed.expiry).toEqual(expiry);
      expect(withExpiry.parsed.criticalHeaders).toEqual([
        'io.cncf.notary.signingScheme',
        'io.cncf.notary.expiry',
      ]);
      const authority = await signNotation({
        key: signer.key,
        chain,
        target: E2E_IMAGE,
        format,
        signingTime: SIGNED_AT,
        signingScheme: 'notary.x509.signingAuthority',
      });
      expect(authority.parsed).toMatchObject({
        signingScheme: 'notary.x509.signingAuthority',
        authenticSigningTime: new Date('2024-06-18T06:29:33Z'),
        criticalHeaders: ['io.cncf.notary.signingScheme', 'io.cncf.notary.authenticSigningTime'],
      });
      expect(authority.parsed.signingTime).toBeUndefined();
    }
    await expect(
      signNotation({
        key: signer.key,
        chain,
        target: E2E_IMAGE,
        format: 'jws',
        signingTime: SIGNED_AT,
        expiry: SIGNED_AT,
      }),
    ).rejects.toThrow(/expiry must come after the signing time/);
  });

  it('picks the algorithm the key calls for: ECDSA P-256/P-384/P-521 and RSA 3072', async () => {
    const kinds: [TestKeyKind, string][] = [
      ['p256', 'ES256'],
      ['p384', 'ES384'],
      ['p521', 'ES512'],
      ['rsa-3072', 'PS384'],
    ];
    for (const [kind, algorithm] of kinds) {
      const { key, certificate } = await selfSignedCodeSigning(kind);
      for (const format of ['jws', 'cose'] as const) {
        const signed = await signNotation({ key, chain: [certificate], target: E2E_IMAGE, format });
        expect(signed.parsed.algorithm.name, `${kind} ${format}`).toBe(algorithm);
        expect(await verifyEnvelopeIntegrity(signed.parsed)).toEqual({ ok: true });
      }
    }
  });

  it("refuses keys the Notary Project does not allow, and a key that is not the certificate's", async () => {
    for (const kind of ['rsa-1024', 'ed25519'] as const) {
      const { key, certificate } = await selfSignedCodeSigning(kind);
      await expect(
        signNotation({ key, chain: [certificate], target: E2E_IMAGE, format: 'jws' }),
      ).rejects.toMatchObject({
        code: 'UNSUPPORTED_KEY',
      });
    }
    const other = await selfSignedCodeSigning('p256');
    await expect(signNotation({ key: other.key, chain, target: E2E_IMAGE, format: 'cose' })).rejects.toThrow(
      /private key does not belong to the first certificate/,
    );
    await expect(
      signNotation({ key: signer.key, chain: [], target: E2E_IMAGE, format: 'cose' }),
    ).rejects.toThrow(/certificate chain is empty/);
  });

  it('builds the signature manifest to push, which reads back as a Notary Project signature', async () => {
    const signed = await signNotationArtifact({
      key: signer.key,
      chain,
      subject: E2E_IMAGE,
      format: 'cose',
      signingTime: SIGNED_AT,
    });
    const manifest = parseNotationSignatureManifest(parseManifest(signed.manifest, 'test'));
    expect(manifest.envelope).toEqual({
      mediaType: 'application/cose',
      digest: signed.layer.digest,
      size: signed.envelope.byteLength,
    });
    expect(manifest.subject).toEqual(E2E_IMAGE);
    expect(manifest.thumbprints).toEqual(chainThumbprints(chain));
    expect(signed.annotations['org.opencontainers.image.created']).toBe('2024-06-18T06:29:33Z');
  });
});

describe('certificate chains in PEM', () => {
  it('read leaf first, and refuse anything that is not a certificate', () => {
    expect(parseCertificateChainPem(signer.certificatePem)).toEqual(chain);
    expect(parseCertificateChainPem(signer.certificatePem + signer.certificatePem)).toHaveLength(2);
    const cases: [string, RegExp][] = [
      ['', /holds no certificate/],
      [signer.keyPem, /is a PRIVATE KEY, not a CERTIFICATE/],
      ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /not a valid X.509 certificate/],
      ['hello', /unexpected text/],
      [signer.certificatePem.repeat(11), /11 certificates; the limit is 10/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseCertificateChainPem(text)).toThrow(SignatureError);
      expect(() => parseCertificateChainPem(text)).toThrow(message);
    }
  });
});
