import 'reflect-metadata';
import { createHash, KeyObject, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { X509Certificate as SigstoreCertificate } from '@sigstore/core';
import { octetString, utf8String } from './der.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** A key pair usable both by @peculiar/x509 (WebCrypto) and by node:crypto (KeyObject). */
export interface TestKeyPair {
  cryptoKeys: CryptoKeyPair;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo. */
  spki: Buffer;
  publicKeyPem: string;
}

export async function newKeyPair(curve: 'P-256' | 'P-384' = 'P-256'): Promise<TestKeyPair> {
  const cryptoKeys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const publicKey = KeyObject.from(cryptoKeys.publicKey);
  return {
    cryptoKeys,
    privateKey: KeyObject.from(cryptoKeys.privateKey),
    publicKey,
    spki: publicKey.export({ format: 'der', type: 'spki' }),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** ECDSA with SHA-256, ASN.1 DER signature: what cosign, Rekor, CT logs and TSAs here produce. */
export function signBytes(key: KeyObject, data: Uint8Array): Buffer {
  return sign('sha256', data, key);
}

export function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export function pem(der: Uint8Array, type = 'CERTIFICATE'): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

export interface TestCertificate {
  der: Buffer;
  pem: string;
  certificate: x509.X509Certificate;
  keyPair: TestKeyPair;
}

const CA_ALGORITHM = { name: 'ECDSA', hash: 'SHA-384' } as const;
const MS_PER_DAY = 24 * 60 * 60 * 1000;

/** Fulcio's OIDs (1.3.6.1.4.1.57264.1.x). */
export const FULCIO_OID = {
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  githubWorkflowTrigger: '1.3.6.1.4.1.57264.1.2',
  githubWorkflowSha: '1.3.6.1.4.1.57264.1.3',
  githubWorkflowName: '1.3.6.1.4.1.57264.1.4',
  githubWorkflowRepository: '1.3.6.1.4.1.57264.1.5',
  githubWorkflowRef: '1.3.6.1.4.1.57264.1.6',
  issuerV2: '1.3.6.1.4.1.57264.1.8',
  sourceRepositoryURI: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  buildTrigger: '1.3.6.1.4.1.57264.1.20',
} as const;

export const SCT_LIST_OID = '1.3.6.1.4.1.11129.2.4.2';

export interface LeafRequest {
  publicKey: CryptoKey;
  /** One SAN, as Fulcio issues: an email (for people) or a URI (for workloads such as GitHub Actions). */
  san: { email: string } | { uri: string };
  /** OIDC issuer, written in both the deprecated (.1.1, raw) and current (.1.8, UTF8String) forms. */
  issuer?: string;
  /** Extra Fulcio extensions: `raw` ones hold the bare string (the deprecated .1.2–.1.6 form). */
  extensions?: { oid: string; value: string; raw?: boolean }[];
  notBefore: Date;
  notAfter: Date;
  /** Called with the precertificate TBS and the issuer key hash; returns the SCTs to embed. */
  scts?: (precertificateTbs: Buffer, issuerKeyHash: Buffer) => Buffer[];
}

/**
 * A Fulcio-like certificate authority: a self-signed root, an intermediate that issues short-lived
 * code-signing certificates with Fulcio's extensions, and (when asked) embedded SCTs computed over
 * the precertificate exactly as a CT log signs them.
 */
export class TestCertificateAuthority {
  private constructor(
    readonly name: string,
    readonly root: TestCertificate,
    readonly intermediate: TestCertificate,
  ) {}

  static async create(name: string, now: Date): Promise<TestCertificateAuthority> {
    const notBefore = new Date(now.getTime() - 365 * MS_PER_DAY);
    const notAfter = new Date(now.getTime() + 365 * MS_PER_DAY);
    const rootKeys = await newKeyPair('P-384');
    const rootName = `O=${name}, CN=${name} root`;
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: rootName,
      notBefore,
      notAfter,
      keys: rootKeys.cryptoKeys,
      signingAlgorithm: CA_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 1, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(rootKeys.cryptoKeys.publicKey),
      ],
    });
    const intermediateKeys = await newKeyPair('P-384');
    const intermediate = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `O=${name}, CN=${name} intermediate`,
      issuer: root.subject,
      notBefore,
      notAfter,
      publicKey: intermediateKeys.cryptoKeys.publicKey,
      signingKey: rootKeys.cryptoKeys.privateKey,
      signingAlgorithm: CA_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]),
        await x509.SubjectKeyIdentifierExtension.create(intermediateKeys.cryptoKeys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(rootKeys.cryptoKeys.publicKey),
      ],
    });
    return new TestCertificateAuthority(name, wrap(root, rootKeys), wrap(intermediate, intermediateKeys));
  }

  /** PEM intermediate then root: what cosign puts in `dev.sigstore.cosign/chain`. */
  get chainPem(): string {
    return this.intermediate.pem + this.root.pem;
  }

  async issue(request: LeafRequest): Promise<Buffer> {
    const extensions: x509.Extension[] = [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]),
      await x509.SubjectKeyIdentifierExtension.create(request.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(this.intermediate.keyPair.cryptoKeys.publicKey),
      new x509.SubjectAlternativeNameExtension(
        'email' in request.san
          ? [{ type: 'email', value: request.san.email }]
          : [{ type: 'url', value: request.san.uri }],
        true,
      ),
    ];
    if (request.issuer !== undefined) {
      extensions.push(new x509.Extension(FULCIO_OID.issuerV1, false, Buffer.from(request.issuer, 'utf8')));
      extensions.push(new x509.Extension(FULCIO_OID.issuerV2, false, utf8String(request.issuer)));
    }
    for (const extension of request.extensions ?? []) {
      const value = extension.raw ? Buffer.from(extension.value, 'utf8') : utf8String(extension.value);
      extensions.push(new x509.Extension(extension.oid, false, value));
    }
    const params = {
      serialNumber: randomSerial(),
      subject: '',
      issuer: this.intermediate.certificate.subject,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      publicKey: request.publicKey,
      signingKey: this.intermediate.keyPair.cryptoKeys.privateKey,
      signingAlgorithm: CA_ALGORITHM,
      extensions,
    };
    if (request.scts) {
      // The SCT covers the certificate's TBS without the SCT extension; the verifier rebuilds that
      // TBS by removing the extension, so the precertificate must be the same certificate minus it.
      const precertificate = await x509.X509CertificateGenerator.create(params);
      const tbs = Buffer.from(
        SigstoreCertificate.parse(Buffer.from(precertificate.rawData)).tbsCertificate.toDER(),
      );
      const scts = request.scts(tbs, sha256(this.intermediate.keyPair.spki));
      if (scts.length > 0)
        params.extensions = [...extensions, new x509.Extension(SCT_LIST_OID, false, sctListValue(scts))];
    }
    const leaf = await x509.X509CertificateGenerator.create(params);
    return Buffer.from(leaf.rawData);
  }
}

/** The SCT list extension value: an OCTET STRING holding the TLS-encoded list of length-prefixed SCTs. */
function sctListValue(scts: Buffer[]): Buffer {
  const items = scts.map((sct) => Buffer.concat([uint16(sct.length), sct]));
  const list = Buffer.concat(items);
  return octetString(Buffer.concat([uint16(list.length), list]));
}

export function uint16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}

function wrap(certificate: x509.X509Certificate, keyPair: TestKeyPair): TestCertificate {
  const der = Buffer.from(certificate.rawData);
  return { der, pem: pem(der), certificate, keyPair };
}

export function randomSerial(): string {
  // Positive, 16 bytes: the first nibble below 8 keeps DER from adding a sign byte.
  return `${Math.floor(Math.random() * 7) + 1}${webcrypto.getRandomValues(new Uint8Array(15)).reduce((text, byte) => text + byte.toString(16).padStart(2, '0'), '')}0`;
}

/** A timestamping CA: a root and the TSA signing certificate (EKU timeStamping, critical). */
export async function createTimestampingCertificates(
  name: string,
  now: Date,
): Promise<{ root: TestCertificate; leaf: TestCertificate }> {
  const notBefore = new Date(now.getTime() - 365 * MS_PER_DAY);
  const notAfter = new Date(now.getTime() + 365 * MS_PER_DAY);
  const rootKeys = await newKeyPair('P-384');
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `O=${name}, CN=${name} TSA root`,
    notBefore,
    notAfter,
    keys: rootKeys.cryptoKeys,
    signingAlgorithm: CA_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.cryptoKeys.publicKey),
    ],
  });
  const leafKeys = await newKeyPair('P-256');
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `O=${name}, CN=${name} TSA`,
    issuer: root.subject,
    notBefore,
    notAfter,
    publicKey: leafKeys.cryptoKeys.publicKey,
    signingKey: rootKeys.cryptoKeys.privateKey,
    signingAlgorithm: CA_ALGORITHM,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.timeStamping], true),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.cryptoKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.cryptoKeys.publicKey),
    ],
  });
  return { root: wrap(root, rootKeys), leaf: wrap(leaf, leafKeys) };
}
