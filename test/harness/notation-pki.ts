/**
 * A test PKI for Notary Project signatures: real certificates, CRLs, OCSP responses and RFC 3161
 * timestamp tokens, made on the spot, so that every test can say exactly what it needs (a leaf with
 * the wrong EKU, an intermediate with a path length, a CRL signed by the wrong key, a token whose
 * TSA chain is broken) instead of hunting for a fixture that happens to have it.
 *
 *   const pki = await createCodeSigningPki({ crlUrl: `${server.url}/ca.crl` });
 *   pki.leaf.der, pki.chain (leaf → root), pki.root.pem, pki.leaf.key.privateKey (node KeyObject)
 *   const crl = await pki.intermediate.crl({ entries: [{ serialNumber: pki.leaf.serialNumber }] });
 *   const tsa = await createTimestampingPki();
 *   const token = await createTimestampToken(tsa.leaf, { message: signatureBytes });
 *
 * Certificates are made with @peculiar/x509; OCSP responses and timestamp tokens with pkijs + asn1js,
 * signed with node:crypto. A revocation server on loopback (`startRevocationServer`) serves CRLs and
 * answers OCSP requests as the test says, and misbehaves on demand (stalls, oversized answers).
 */
import 'reflect-metadata';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomBytes,
  sign as signBytes,
  webcrypto,
} from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const crypto = webcrypto;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export type TestKeySpec =
  | 'rsa-2048'
  | 'rsa-3072'
  | 'rsa-4096'
  | 'ec-p256'
  | 'ec-p384'
  | 'ec-p521'
  /** Too small for the Notary Project: for negative tests. */
  | 'rsa-1024';
export type TestHash = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

/** Object identifiers tests need by name. */
export const OID = {
  codeSigning: '1.3.6.1.5.5.7.3.3',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  anyExtendedKeyUsage: '2.5.29.37.0',
  freshestCrl: '2.5.29.46',
  deltaCrlIndicator: '2.5.29.27',
  crlNumber: '2.5.29.20',
  invalidityDate: '2.5.29.24',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  baselineTimestampPolicy: '0.4.0.2023.1.1',
} as const;

const HASH_OID: Record<TestHash, string> = {
  'SHA-1': '1.3.14.3.2.26',
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};
const RSA_SIGNATURE_OID: Record<TestHash, string> = {
  'SHA-1': '1.2.840.113549.1.1.5',
  'SHA-256': '1.2.840.113549.1.1.11',
  'SHA-384': '1.2.840.113549.1.1.12',
  'SHA-512': '1.2.840.113549.1.1.13',
};
const ECDSA_SIGNATURE_OID: Record<TestHash, string> = {
  'SHA-1': '1.2.840.10045.4.1',
  'SHA-256': '1.2.840.10045.4.3.2',
  'SHA-384': '1.2.840.10045.4.3.3',
  'SHA-512': '1.2.840.10045.4.3.4',
};

export interface TestKeyPair {
  spec: TestKeySpec;
  /** WebCrypto keys (what @peculiar/x509 signs with). */
  keys: CryptoKeyPair;
  /** The same keys for node:crypto (what envelopes, tokens and OCSP answers are signed with). */
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PKCS#8 PEM of the private key, as `vouch sign --key` reads it. */
  privateKeyPem: string;
  /** The hash the Notary Project pairs with this key (RSA 2048 / P-256 → SHA-256, …). */
  hash: TestHash;
}

const KEY_ALGORITHMS: Record<
  TestKeySpec,
  { params: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams; hash: TestHash }
> = {
  'rsa-1024': { params: rsaParams(1024), hash: 'SHA-256' },
  'rsa-2048': { params: rsaParams(2048), hash: 'SHA-256' },
  'rsa-3072': { params: rsaParams(3072), hash: 'SHA-384' },
  'rsa-4096': { params: rsaParams(4096), hash: 'SHA-512' },
  'ec-p256': { params: { name: 'ECDSA', namedCurve: 'P-256' }, hash: 'SHA-256' },
  'ec-p384': { params: { name: 'ECDSA', namedCurve: 'P-384' }, hash: 'SHA-384' },
  'ec-p521': { params: { name: 'ECDSA', namedCurve: 'P-521' }, hash: 'SHA-512' },
};

function rsaParams(modulusLength: number): webcrypto.RsaHashedKeyGenParams {
  return {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  };
}

export async function generateTestKey(spec: TestKeySpec = 'ec-p256'): Promise<TestKeyPair> {
  const algorithm = KEY_ALGORITHMS[spec];
  const keys = (await crypto.subtle.generateKey(algorithm.params, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKeyPem = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  const privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  return {
    spec,
    keys,
    privateKey,
    publicKey: createPublicKey(privateKey),
    privateKeyPem,
    hash: algorithm.hash,
  };
}

/** Signs `data` as X.509 and CMS do: PKCS#1 v1.5 for RSA, DER-encoded ECDSA. */
function signWith(key: TestKeyPair, hash: TestHash, data: Uint8Array): Uint8Array {
  const nodeHash = hash.replace('-', '').toLowerCase();
  if (key.spec.startsWith('ec-'))
    return signBytes(nodeHash, data, { key: key.privateKey, dsaEncoding: 'der' });
  return signBytes(nodeHash, data, key.privateKey);
}

function signatureAlgorithmOid(key: TestKeyPair, hash: TestHash): string {
  return key.spec.startsWith('ec-') ? ECDSA_SIGNATURE_OID[hash] : RSA_SIGNATURE_OID[hash];
}

/**
 * The WebCrypto key to sign with `hash`: a WebCrypto RSA key is bound to the hash it was made for,
 * so another hash (SHA-1 for negative tests) needs the key imported again.
 */
async function webSigningKey(key: TestKeyPair, hash: TestHash): Promise<webcrypto.CryptoKey> {
  if (key.spec.startsWith('ec-') || hash === 'SHA-256') return key.keys.privateKey;
  const pkcs8 = key.privateKey.export({ format: 'der', type: 'pkcs8' });
  return crypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['sign']);
}

/** The WebCrypto algorithm @peculiar/x509 signs certificates and CRLs with. */
function webSigningAlgorithm(key: TestKeyPair, hash: TestHash): webcrypto.Algorithm | webcrypto.EcdsaParams {
  if (key.spec.startsWith('ec-')) return { name: 'ECDSA', hash } as webcrypto.EcdsaParams;
  return { name: 'RSASSA-PKCS1-v1_5', hash } as webcrypto.Algorithm;
}

export type KeyUsageName = keyof typeof x509.KeyUsageFlags;

export interface CertificateProfile {
  /** Distinguished name, `C=US, ST=WA, O=acme, CN=release` (default a random CN). */
  subject?: string;
  /** A key spec to generate, or a key to reuse (default `ec-p256`). */
  key?: TestKeySpec | TestKeyPair;
  notBefore?: Date;
  notAfter?: Date;
  /** Hex serial number (default 16 random bytes). */
  serialNumber?: string;
  /** `null` leaves the extension out. */
  basicConstraints?: { ca: boolean; pathLength?: number; critical?: boolean } | null;
  keyUsage?: { usages: KeyUsageName[]; critical?: boolean } | null;
  /** OIDs (see `OID`); `null` leaves the extension out. */
  extendedKeyUsage?: { usages: string[]; critical?: boolean } | null;
  crlUrls?: string[];
  ocspUrls?: string[];
  /** The hash the issuer signs this certificate with (default SHA-256; SHA-1 for negative tests). */
  signatureHash?: TestHash;
  /** Sign with this key instead of the issuer's (a certificate its issuer never signed). */
  signWith?: TestKeyPair;
  /** Extensions to add as they are (an unknown critical one, say). */
  extraExtensions?: x509.Extension[];
}

/** A certificate with its key and issuer, able to issue certificates, CRLs and OCSP answers. */
export class TestCertificate {
  readonly der: Uint8Array;
  readonly pem: string;

  constructor(
    readonly certificate: x509.X509Certificate,
    readonly key: TestKeyPair,
    readonly issuer: TestCertificate | undefined,
  ) {
    this.der = new Uint8Array(certificate.rawData);
    this.pem = `${certificate.toString('pem')}\n`;
  }

  get subject(): string {
    return this.certificate.subject;
  }

  /** Hex, as CRL entries and OCSP answers name it. */
  get serialNumber(): string {
    return this.certificate.serialNumber;
  }

  get notBefore(): Date {
    return this.certificate.notBefore;
  }

  get notAfter(): Date {
    return this.certificate.notAfter;
  }

  /** This certificate and its issuers, leaf first. */
  get chain(): TestCertificate[] {
    const chain: TestCertificate[] = [];
    for (let at: TestCertificate | undefined = this; at; at = at.issuer) chain.push(at);
    return chain;
  }

  get chainDer(): Uint8Array[] {
    return this.chain.map((certificate) => certificate.der);
  }

  /** Issues a certificate signed by this one. */
  issue(profile: CertificateProfile = {}): Promise<TestCertificate> {
    return makeCertificate(profile, this);
  }

  crl(options: CrlOptions = {}): Promise<Uint8Array> {
    return makeCrl(this, options);
  }
}

async function resolveKey(key: TestKeySpec | TestKeyPair | undefined): Promise<TestKeyPair> {
  if (key === undefined) return generateTestKey('ec-p256');
  return typeof key === 'string' ? generateTestKey(key) : key;
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

async function makeCertificate(
  profile: CertificateProfile,
  issuer?: TestCertificate,
): Promise<TestCertificate> {
  const key = await resolveKey(profile.key);
  const now = Date.now();
  const subject = profile.subject ?? `CN=vouch test ${randomBytes(4).toString('hex')}`;
  const extensions: x509.Extension[] = [];
  if (profile.basicConstraints) {
    const bc = profile.basicConstraints;
    extensions.push(new x509.BasicConstraintsExtension(bc.ca, bc.pathLength, bc.critical ?? true));
  }
  if (profile.keyUsage) {
    const flags = profile.keyUsage.usages.reduce((all, usage) => all | x509.KeyUsageFlags[usage], 0);
    extensions.push(new x509.KeyUsagesExtension(flags, profile.keyUsage.critical ?? true));
  }
  if (profile.extendedKeyUsage) {
    const eku = profile.extendedKeyUsage;
    extensions.push(new x509.ExtendedKeyUsageExtension(eku.usages, eku.critical ?? false));
  }
  if (profile.crlUrls?.length) extensions.push(new x509.CRLDistributionPointsExtension(profile.crlUrls));
  if (profile.ocspUrls?.length)
    extensions.push(
      new x509.AuthorityInfoAccessExtension({
        ocsp: profile.ocspUrls.map((value) => new x509.GeneralName('url', value)),
      }),
    );
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(key.keys.publicKey, false, crypto));
  extensions.push(...(profile.extraExtensions ?? []));

  const signer = profile.signWith ?? issuer?.key ?? key;
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: profile.serialNumber ?? randomSerial(),
      subject,
      issuer: issuer ? issuer.certificate.subject : subject,
      notBefore: profile.notBefore ?? new Date(now - HOUR_MS),
      notAfter: profile.notAfter ?? new Date(now + 365 * DAY_MS),
      signingAlgorithm: webSigningAlgorithm(signer, profile.signatureHash ?? 'SHA-256'),
      publicKey: key.keys.publicKey,
      signingKey: await webSigningKey(signer, profile.signatureHash ?? 'SHA-256'),
      extensions,
    },
    crypto,
  );
  return new TestCertificate(certificate, key, issuer);
}

/** Profiles the Notary Project's certificate requirements accept, to start from and spoil. */
export const PROFILE = {
  ca: (pathLength?: number): CertificateProfile => ({
    basicConstraints: { ca: true, pathLength, critical: true },
    keyUsage: { usages: ['keyCertSign', 'cRLSign'], critical: true },
  }),
  codeSigning: (): CertificateProfile => ({
    basicConstraints: { ca: false, critical: true },
    keyUsage: { usages: ['digitalSignature'], critical: true },
    extendedKeyUsage: { usages: [OID.codeSigning], critical: false },
  }),
  timestamping: (): CertificateProfile => ({
    basicConstraints: { ca: false, critical: true },
    keyUsage: { usages: ['digitalSignature'], critical: true },
    extendedKeyUsage: { usages: [OID.timeStamping], critical: true },
  }),
  ocspResponder: (): CertificateProfile => ({
    keyUsage: { usages: ['digitalSignature'], critical: true },
    extendedKeyUsage: { usages: [OID.ocspSigning], critical: false },
  }),
};

/** A self-signed root (a CA by default; pass a leaf profile for a self-signed signing certificate). */
export function createRoot(profile: CertificateProfile = {}): Promise<TestCertificate> {
  return makeCertificate({ ...PROFILE.ca(), subject: 'C=US, ST=WA, O=vouch test, CN=Test Root', ...profile });
}

export interface PkiOptions {
  /** Key of the leaf (default `ec-p256`); the CAs use `caKey` (default `ec-p256`). */
  leafKey?: TestKeySpec | TestKeyPair;
  caKey?: TestKeySpec;
  /** Intermediates between root and leaf (default 1). */
  intermediates?: number;
  leafSubject?: string;
  /** Put into every certificate below the root (each CA's CRL is the caller's to serve). */
  crlUrls?: (issuer: TestCertificate, depth: number) => string[];
  ocspUrls?: (issuer: TestCertificate, depth: number) => string[];
  leaf?: CertificateProfile;
}

export interface TestPki {
  root: TestCertificate;
  /** Root-side first. */
  intermediates: TestCertificate[];
  /** The issuer of the leaf (the last intermediate, or the root). */
  issuer: TestCertificate;
  leaf: TestCertificate;
  /** Leaf → root. */
  chain: TestCertificate[];
  chainDer: Uint8Array[];
}

async function createPki(leafProfile: CertificateProfile, options: PkiOptions): Promise<TestPki> {
  const count = options.intermediates ?? 1;
  const root = await createRoot({ key: options.caKey ?? 'ec-p256' });
  const intermediates: TestCertificate[] = [];
  let issuer = root;
  for (let depth = 0; depth < count; depth++) {
    issuer = await issuer.issue({
      ...PROFILE.ca(),
      key: options.caKey ?? 'ec-p256',
      subject: `C=US, ST=WA, O=vouch test, CN=Test Intermediate ${depth + 1}`,
      crlUrls: options.crlUrls?.(issuer, depth),
      ocspUrls: options.ocspUrls?.(issuer, depth),
    });
    intermediates.push(issuer);
  }
  const leaf = await issuer.issue({
    ...leafProfile,
    key: options.leafKey ?? 'ec-p256',
    subject: options.leafSubject ?? leafProfile.subject,
    crlUrls: options.crlUrls?.(issuer, count),
    ocspUrls: options.ocspUrls?.(issuer, count),
    ...options.leaf,
  });
  return { root, intermediates, issuer, leaf, chain: leaf.chain, chainDer: leaf.chainDer };
}

/** Root → intermediates → a code-signing leaf that meets the Notary Project's requirements. */
export function createCodeSigningPki(options: PkiOptions = {}): Promise<TestPki> {
  return createPki(
    { ...PROFILE.codeSigning(), subject: 'C=US, ST=WA, L=Seattle, O=acme, CN=release' },
    options,
  );
}

/** Root → intermediates → a TSA certificate (critical timeStamping EKU only). */
export function createTimestampingPki(options: PkiOptions = {}): Promise<TestPki> {
  return createPki({ ...PROFILE.timestamping(), subject: 'C=US, O=vouch test, CN=Test TSA' }, options);
}

// ---------------------------------------------------------------------------------------------
// CRLs

export interface CrlEntry {
  serialNumber: string;
  revocationDate?: Date;
  reason?: x509.X509CrlReason;
  invalidityDate?: Date;
}

export interface CrlOptions {
  entries?: CrlEntry[];
  thisUpdate?: Date;
  /** `null` leaves nextUpdate out (default a day from now). */
  nextUpdate?: Date | null;
  crlNumber?: number;
  /** Makes this a delta CRL over the base CRL with this number. */
  deltaOf?: number;
  /** Freshest CRL (delta) locations, put into a base CRL. */
  freshestCrlUrls?: string[];
  /** Sign with this key instead of the issuer's. */
  signWith?: TestKeyPair;
  extraExtensions?: x509.Extension[];
}

/**
 * Made with pkijs and signed with node:crypto rather than with @peculiar/x509's generator, which
 * writes an empty entry-extensions SEQUENCE for entries without a reason (not valid DER for RFC 5280)
 * and refuses a serial number listed twice (which a CRL may do: a hold, then its removal).
 */
async function makeCrl(issuer: TestCertificate, options: CrlOptions): Promise<Uint8Array> {
  const now = Date.now();
  const extensions: pkijs.Extension[] = [extension(OID.crlNumber, false, integerDer(options.crlNumber ?? 1))];
  if (options.deltaOf !== undefined)
    extensions.push(extension(OID.deltaCrlIndicator, true, integerDer(options.deltaOf)));
  if (options.freshestCrlUrls?.length) {
    const points = new x509.CRLDistributionPointsExtension(options.freshestCrlUrls);
    extensions.push(extension(OID.freshestCrl, false, points.value));
  }
  for (const extra of options.extraExtensions ?? [])
    extensions.push(extension(extra.type, extra.critical, extra.value));
  const signer = options.signWith ?? issuer.key;
  const algorithm = new pkijs.AlgorithmIdentifier({
    algorithmId: signatureAlgorithmOid(signer, 'SHA-256'),
    ...(signer.spec.startsWith('rsa') ? { algorithmParams: new asn1js.Null() } : {}),
  });
  const nextUpdate = options.nextUpdate === null ? undefined : (options.nextUpdate ?? new Date(now + DAY_MS));
  const entries = options.entries ?? [];
  const crl = new pkijs.CertificateRevocationList({
    version: 1,
    signature: algorithm,
    issuer: pkijs.Certificate.fromBER(issuer.der).subject,
    thisUpdate: new pkijs.Time({ type: 0, value: options.thisUpdate ?? new Date(now - HOUR_MS) }),
    ...(nextUpdate ? { nextUpdate: new pkijs.Time({ type: 0, value: nextUpdate }) } : {}),
    ...(entries.length
      ? { revokedCertificates: entries.map((entry) => revokedCertificate(entry, now)) }
      : {}),
    crlExtensions: new pkijs.Extensions({ extensions }),
  });
  crl.signatureAlgorithm = algorithm;
  crl.signatureValue = new asn1js.BitString({ valueHex: new Uint8Array(1) });
  const tbs = new Uint8Array((crl.toSchema(true).valueBlock.value[0] as asn1js.Sequence).toBER());
  crl.tbsView = tbs;
  crl.signatureValue = new asn1js.BitString({ valueHex: signWith(signer, 'SHA-256', tbs) });
  // Encoded from the fields again (the same bytes): encoding from tbsView would re-parse it with
  // asn1js's default node limit, which a long CRL exceeds.
  return new Uint8Array(crl.toSchema(true).toBER());
}

function revokedCertificate(entry: CrlEntry, now: number): pkijs.RevokedCertificate {
  const extensions: pkijs.Extension[] = [];
  if (entry.reason !== undefined)
    extensions.push(extension('2.5.29.21', false, new asn1js.Enumerated({ value: entry.reason }).toBER()));
  if (entry.invalidityDate)
    extensions.push(
      extension(
        OID.invalidityDate,
        false,
        new asn1js.GeneralizedTime({ valueDate: entry.invalidityDate }).toBER(),
      ),
    );
  return new pkijs.RevokedCertificate({
    userCertificate: new asn1js.Integer({ valueHex: Buffer.from(entry.serialNumber, 'hex') }),
    revocationDate: new pkijs.Time({ type: 0, value: entry.revocationDate ?? new Date(now - 2 * HOUR_MS) }),
    ...(extensions.length ? { crlEntryExtensions: new pkijs.Extensions({ extensions }) } : {}),
  });
}

function extension(extnID: string, critical: boolean, value: ArrayBuffer): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value });
}

function integerDer(value: number): ArrayBuffer {
  return new asn1js.Integer({ value }).toBER();
}

// ---------------------------------------------------------------------------------------------
// OCSP

export interface OcspAnswer {
  status: 'good' | 'revoked' | 'unknown';
  revokedAt?: Date;
  reason?: number;
  invalidityDate?: Date;
  thisUpdate?: Date;
  /** `null` leaves nextUpdate out (default an hour from now). */
  nextUpdate?: Date | null;
  /** A delegated responder certificate (issued by the CA, OCSP-signing EKU) to sign with. */
  responder?: TestCertificate;
  /** Sign with this key (a responder nobody authorised). */
  signWith?: TestKeyPair;
  /** Answer for a different serial number than the one asked about. */
  serialNumber?: string;
  /** A non-successful OCSPResponseStatus (1 malformedRequest … 6 unauthorized) and no body. */
  responseStatus?: number;
}

/** The CertID an OCSP request asks about. */
export function readOcspRequest(der: Uint8Array): { certId: pkijs.CertID; serialNumber: string } {
  const request = pkijs.OCSPRequest.fromBER(der);
  const first = request.tbsRequest.requestList[0];
  if (!first) throw new Error('OCSP request names no certificate');
  const certId = first.reqCert;
  return { certId, serialNumber: Buffer.from(certId.serialNumber.valueBlock.valueHexView).toString('hex') };
}

/** An OCSP response from `issuer` (or its delegated responder) about the certificate `certId` names. */
export function createOcspResponse(
  issuer: TestCertificate,
  certId: pkijs.CertID,
  answer: OcspAnswer,
): Uint8Array {
  if (answer.responseStatus !== undefined && answer.responseStatus !== 0) {
    return new Uint8Array(
      new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: answer.responseStatus }) })
        .toSchema()
        .toBER(),
    );
  }
  const now = Date.now();
  const responder = answer.responder ?? issuer;
  const signer = answer.signWith ?? responder.key;
  const id =
    answer.serialNumber === undefined
      ? certId
      : new pkijs.CertID({
          hashAlgorithm: certId.hashAlgorithm,
          issuerNameHash: certId.issuerNameHash,
          issuerKeyHash: certId.issuerKeyHash,
          serialNumber: new asn1js.Integer({ valueHex: Buffer.from(answer.serialNumber, 'hex') }),
        });
  const singleExtensions = answer.invalidityDate
    ? [
        new pkijs.Extension({
          extnID: OID.invalidityDate,
          critical: false,
          extnValue: new asn1js.GeneralizedTime({ valueDate: answer.invalidityDate }).toBER(),
        }),
      ]
    : undefined;
  // pkijs encodes a parameter given as undefined, so absent ones are left out of the object.
  const single = new pkijs.SingleResponse({
    certID: id,
    certStatus: certStatus(answer),
    thisUpdate: answer.thisUpdate ?? new Date(now - 60_000),
    ...(answer.nextUpdate === null ? {} : { nextUpdate: answer.nextUpdate ?? new Date(now + HOUR_MS) }),
    ...(singleExtensions ? { singleExtensions } : {}),
  });
  const responderName = pkijs.Certificate.fromBER(responder.der).subject;
  const data = new pkijs.ResponseData({
    responderID: responderName,
    producedAt: new Date(now),
    responses: [single],
  });
  const tbs = new Uint8Array(data.toSchema(true).toBER());
  data.tbsView = tbs;
  const basic = new pkijs.BasicOCSPResponse({
    tbsResponseData: data,
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: signatureAlgorithmOid(signer, 'SHA-256'),
    }),
    signature: new asn1js.BitString({ valueHex: signWith(signer, 'SHA-256', tbs) }),
    certs: responder === issuer ? undefined : [pkijs.Certificate.fromBER(responder.der)],
  });
  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: 0 }),
    responseBytes: new pkijs.ResponseBytes({
      responseType: '1.3.6.1.5.5.7.48.1.1',
      response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
    }),
  });
  return new Uint8Array(response.toSchema().toBER());
}

function certStatus(answer: OcspAnswer): asn1js.BaseBlock {
  if (answer.status === 'good') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
  if (answer.status === 'unknown') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
  const revokedInfo: asn1js.BaseBlock[] = [
    new asn1js.GeneralizedTime({ valueDate: answer.revokedAt ?? new Date(Date.now() - HOUR_MS) }),
  ];
  if (answer.reason !== undefined)
    revokedInfo.push(
      new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 0 },
        value: [new asn1js.Enumerated({ value: answer.reason })],
      }),
    );
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: revokedInfo });
}

// ---------------------------------------------------------------------------------------------
// RFC 3161 timestamp tokens

export interface TimestampTokenOptions {
  /** What is timestamped (a Notation envelope's signature value). */
  message: Uint8Array;
  genTime?: Date;
  accuracy?: { seconds?: number; millis?: number; micros?: number };
  /** TSA policy OID (default a private one; `OID.baselineTimestampPolicy` implies 1 s accuracy). */
  policy?: string;
  /** Hash of the message imprint (default SHA-256). */
  imprintHash?: TestHash;
  /** Hash the TSA signs with (default the TSA key's). */
  signatureHash?: TestHash;
  /** Which certificates travel in the token (default the TSA's chain without the root). */
  certificates?: 'chain' | 'chain-with-root' | 'leaf' | 'none';
  /** Leave out the ESS signing-certificate-v2 attribute (RFC 5816). */
  omitSigningCertificate?: boolean;
  /** Name a different certificate in signing-certificate-v2 than the one that signed. */
  signingCertificateOf?: TestCertificate;
  /** Sign with this key instead of the TSA's. */
  signWith?: TestKeyPair;
  /** TSTInfo version (1 is the only valid one). */
  version?: number;
  /** eContentType (default id-ct-TSTInfo). */
  contentType?: string;
  /** The content-type signed attribute (default the eContentType). */
  contentTypeAttribute?: string;
}

const ID_CT_TSTINFO = '1.2.840.113549.1.9.16.1.4';
const ID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const ATTRIBUTE = {
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
};

/** A DER TimeStampToken (CMS SignedData over a TSTInfo) from `tsa`, as a TSA answers RFC 3161 requests. */
export function createTimestampToken(tsa: TestCertificate, options: TimestampTokenOptions): Uint8Array {
  const imprintHash = options.imprintHash ?? 'SHA-256';
  const signatureHash = options.signatureHash ?? tsa.key.hash;
  const signer = options.signWith ?? tsa.key;
  // Only the fields given: an encoded `millis 0` is not a valid Accuracy (1..999).
  const accuracy = options.accuracy
    ? new pkijs.Accuracy(
        Object.fromEntries(Object.entries(options.accuracy).filter(([, value]) => value !== undefined)),
      )
    : undefined;
  const info = new pkijs.TSTInfo({
    version: options.version ?? 1,
    policy: options.policy ?? '1.3.6.1.4.1.99999.1.1',
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OID[imprintHash] }),
      hashedMessage: new asn1js.OctetString({ valueHex: digest(imprintHash, options.message) }),
    }),
    serialNumber: new asn1js.Integer({ valueHex: randomBytes(8) }),
    genTime: options.genTime ?? new Date(Math.floor(Date.now() / 1000) * 1000),
    accuracy,
  });
  const content = new Uint8Array(info.toSchema().toBER());

  const tsaCertificate = pkijs.Certificate.fromBER(tsa.der);
  const named = options.signingCertificateOf ?? tsa;
  const attributes = [
    new pkijs.Attribute({
      type: ATTRIBUTE.contentType,
      values: [
        new asn1js.ObjectIdentifier({
          value: options.contentTypeAttribute ?? options.contentType ?? ID_CT_TSTINFO,
        }),
      ],
    }),
    new pkijs.Attribute({
      type: ATTRIBUTE.messageDigest,
      values: [new asn1js.OctetString({ valueHex: digest(signatureHash, content) })],
    }),
  ];
  if (!options.omitSigningCertificate)
    attributes.push(
      new pkijs.Attribute({ type: ATTRIBUTE.signingCertificateV2, values: [signingCertificateV2(named)] }),
    );
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes });
  // The signature covers the DER of the attributes as a SET (RFC 5652 5.4), not as [0] IMPLICIT.
  const signedAttrsSet = new asn1js.Set({ value: attributes.map((attribute) => attribute.toSchema()) });
  const signature = signWith(signer, signatureHash, new Uint8Array(signedAttrsSet.toBER()));

  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({
      issuer: tsaCertificate.issuer,
      serialNumber: tsaCertificate.serialNumber,
    }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OID[signatureHash] }),
    signedAttrs,
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: signatureAlgorithmOid(signer, signatureHash),
    }),
    signature: new asn1js.OctetString({ valueHex: signature }),
  });

  const chain = tsa.chain;
  const carried =
    options.certificates === 'none'
      ? []
      : options.certificates === 'leaf'
        ? [tsa]
        : options.certificates === 'chain-with-root'
          ? chain
          : chain.slice(0, Math.max(1, chain.length - 1));
  const signedData = new pkijs.SignedData({
    version: 3,
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OID[signatureHash] })],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: options.contentType ?? ID_CT_TSTINFO,
      eContent: new asn1js.OctetString({ valueHex: content }),
    }),
    certificates: carried.length ? carried.map((c) => pkijs.Certificate.fromBER(c.der)) : undefined,
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({
    contentType: ID_SIGNED_DATA,
    content: signedData.toSchema(true),
  });
  return new Uint8Array(contentInfo.toSchema().toBER());
}

/** SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 } with SHA-256 and IssuerSerial. */
function signingCertificateV2(certificate: TestCertificate): asn1js.Sequence {
  const parsed = pkijs.Certificate.fromBER(certificate.der);
  const issuerSerial = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({
        value: [
          new asn1js.Constructed({
            idBlock: { tagClass: 3, tagNumber: 4 },
            value: [parsed.issuer.toSchema()],
          }),
        ],
      }),
      parsed.serialNumber,
    ],
  });
  const essCertId = new asn1js.Sequence({
    value: [new asn1js.OctetString({ valueHex: digest('SHA-256', certificate.der) }), issuerSerial],
  });
  return new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertId] })] });
}

function digest(hash: TestHash, data: Uint8Array): Uint8Array {
  return createHash(hash.replace('-', '').toLowerCase()).update(data).digest();
}

// ---------------------------------------------------------------------------------------------
// A CRL / OCSP server on loopback

export type RevocationRoute =
  | { crl: Uint8Array | (() => Uint8Array) }
  | { ocsp: { issuer: TestCertificate; answer: (serialNumber: string) => OcspAnswer } }
  /** Accepts the request and never answers. */
  | { stall: true }
  /** Answers 200 with this many bytes (no Content-Length, so only reading finds out). */
  | { oversize: number }
  | { redirect: string }
  | { status: number };

export interface RevocationServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `METHOD /path` of every request received, in order. */
  log: string[];
  route(path: string, route: RevocationRoute): void;
  stop(): Promise<void>;
}

/**
 * A real HTTP server on loopback answering as a CA's CRL distribution point and OCSP responder do,
 * with answers the test PKI signs; it also stalls, redirects and sends oversized bodies on demand.
 * OCSP requests come by POST (body) or GET (base64 in the path below the route).
 */
export async function startRevocationServer(): Promise<RevocationServer> {
  const routes = new Map<string, RevocationRoute>();
  const log: string[] = [];
  const server = createServer((request, response) => {
    log.push(`${request.method} ${request.url}`);
    answer(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    });
  });

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const match = [...routes.keys()]
      .filter((route) => path === route || path.startsWith(`${route}/`))
      .sort((a, b) => b.length - a.length)[0];
    const route = match === undefined ? undefined : routes.get(match);
    if (!route || match === undefined) {
      response.writeHead(404).end();
      return;
    }
    if ('stall' in route) return;
    if ('status' in route) {
      response.writeHead(route.status).end();
      return;
    }
    if ('redirect' in route) {
      response.writeHead(302, { location: route.redirect }).end();
      return;
    }
    if ('oversize' in route) {
      response.writeHead(200, { 'content-type': 'application/pkix-crl' });
      const chunk = Buffer.alloc(64 * 1024, 0x30);
      for (let sent = 0; sent < route.oversize && !response.destroyed; sent += chunk.length) {
        if (!response.write(chunk)) await new Promise((resolve) => response.once('drain', resolve));
      }
      response.end();
      return;
    }
    if ('crl' in route) {
      const body = typeof route.crl === 'function' ? route.crl() : route.crl;
      response.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(body);
      return;
    }
    const der =
      request.method === 'POST'
        ? await readBody(request)
        : Buffer.from(path.slice(match.length + 1).replace(/^\//, ''), 'base64');
    const { certId, serialNumber } = readOcspRequest(der);
    const body = createOcspResponse(route.ocsp.issuer, certId, route.ocsp.answer(serialNumber));
    response.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('revocation server has no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    log,
    route: (path, route) => {
      routes.set(path, route);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('OCSP request too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
