import 'reflect-metadata';
/**
 * Helpers for the Notary Project tests: the published test data (test/fixtures/notaryproject, see
 * its README), and hand-made envelopes for attack cases. The hand-made ones are signed here with
 * node:crypto directly, not with vouch's signer, so a test never uses the code under test to make
 * its own input.
 */
import { constants, createPrivateKey, KeyObject, sign, webcrypto, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { Encoder } from 'cbor-x';

// Plain CBOR maps (cbor-x would otherwise wrap a Map in tag 259) and no record extension.
const cbor = new Encoder({ mapsAsObjects: false, useRecords: false });
export const encode = (value: unknown): Buffer => Buffer.from(cbor.encode(value));

const ROOT = new URL('../fixtures/notaryproject/', import.meta.url);

export function fixture(path: string): Buffer {
  return readFileSync(new URL(path, ROOT));
}

export function fixturePath(path: string): string {
  return new URL(path, ROOT).pathname;
}

export const CORE = 'notation-core-go/';
export const GO = 'notation-go/';
export const CLI = 'notation/test/e2e/testdata/';
export const LAYOUTS = `${CLI}registry/oci_layout/`;
export const LOCALKEYS = `${CLI}config/localkeys/`;

/** notation's e2e signing key (RSA 2048) and its self-signed code-signing certificate. */
export function e2eSigner(): { key: KeyObject; certificate: Buffer; keyPem: string; certificatePem: string } {
  const keyPem = fixture(`${LOCALKEYS}e2e.key`).toString('utf8');
  const certificatePem = fixture(`${LOCALKEYS}e2e.crt`).toString('utf8');
  return {
    key: createPrivateKey(keyPem),
    certificate: Buffer.from(new X509Certificate(certificatePem).raw),
    keyPem,
    certificatePem,
  };
}

/** A blob of an e2e OCI layout, by digest. */
export function layoutBlob(layout: string, digest: string): Buffer {
  return fixture(`${LAYOUTS}${layout}/blobs/sha256/${digest.replace(/^sha256:/, '')}`);
}

/** The signed image of the e2e layouts (every layout but the timestamped ones signs this manifest). */
export const E2E_IMAGE = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: 'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9',
  size: 517,
} as const;

/** The envelope blob of the e2e-valid-signature layout (a real `notation sign` JWS). */
export function e2eValidEnvelope(): Buffer {
  return layoutBlob(
    'e2e-valid-signature',
    'c9af07e038b2b1a463e648986ad7273157511ffeba0b689f33e5472bae471f50',
  );
}

const b64u = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');

/** A JWS envelope with any protected header, signed with PS256 by `key`. */
export function handMadeJws(input: {
  protectedHeader: Record<string, unknown>;
  payload: Uint8Array | string;
  header: Record<string, unknown>;
  key: KeyObject;
}): Buffer {
  const protectedText = b64u(JSON.stringify(input.protectedHeader));
  const payloadText = b64u(input.payload);
  const signature = sign('sha256', Buffer.from(`${protectedText}.${payloadText}`), {
    key: input.key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
  });
  return Buffer.from(
    JSON.stringify({
      payload: payloadText,
      protected: protectedText,
      header: input.header,
      signature: b64u(signature),
    }),
  );
}

/** The protected header of a JWS envelope, decoded. */
export function jwsProtected(envelope: Uint8Array): Record<string, unknown> {
  const json = JSON.parse(Buffer.from(envelope).toString('utf8')) as { protected: string };
  return JSON.parse(Buffer.from(json.protected, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A COSE_Sign1_Tagged message from already-encoded protected header bytes, signed with PS256 by `key`. */
export function handMadeCose(input: {
  protectedBytes: Uint8Array;
  unprotected: Map<unknown, unknown>;
  payload: Uint8Array;
  key: KeyObject;
}): Buffer {
  const sigStructure = encode([
    'Signature1',
    Buffer.from(input.protectedBytes),
    Buffer.alloc(0),
    Buffer.from(input.payload),
  ]);
  const signature = sign('sha256', sigStructure, {
    key: input.key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
  });
  const body = encode([
    Buffer.from(input.protectedBytes),
    input.unprotected,
    Buffer.from(input.payload),
    signature,
  ]);
  return Buffer.concat([Buffer.from([0xd2]), body]);
}

/** Encodes a CBOR map with its entries in the given order (cbor-x keeps a Map's order). */
export function cborMap(entries: [unknown, unknown][]): Buffer {
  return Buffer.from(encode(new Map(entries)));
}

export type TestKeyKind = 'rsa-2048' | 'rsa-3072' | 'rsa-1024' | 'p256' | 'p384' | 'p521' | 'ed25519';

/**
 * A self-signed code-signing certificate (key usage digitalSignature, EKU codeSigning) and its key,
 * for signing tests that need a key kind notation's fixtures lack.
 */
export async function selfSignedCodeSigning(
  kind: TestKeyKind,
  subject = 'C=US, ST=WA, O=vouch test, CN=signer',
): Promise<{ key: KeyObject; certificate: Buffer }> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const algorithm: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams | webcrypto.Algorithm =
    kind.startsWith('rsa')
      ? {
          name: 'RSASSA-PKCS1-v1_5',
          hash: 'SHA-256',
          publicExponent: new Uint8Array([1, 0, 1]),
          modulusLength: Number(kind.slice(4)),
        }
      : kind === 'ed25519'
        ? { name: 'Ed25519' }
        : { name: 'ECDSA', namedCurve: `P-${kind.slice(1)}` };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const signingAlgorithm = kind.startsWith('p') ? { name: 'ECDSA', hash: 'SHA-256' } : algorithm;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: subject,
      notBefore: new Date(Date.now() - 3600_000),
      notAfter: new Date(Date.now() + 365 * 86400_000),
      signingAlgorithm,
      keys,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning], false),
      ],
    },
    webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1],
  );
  return { key: KeyObject.from(keys.privateKey), certificate: Buffer.from(certificate.rawData) };
}
