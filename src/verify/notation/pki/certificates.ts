import 'reflect-metadata';
import { type KeyObject, X509Certificate as NodeCertificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { type SignatureScheme, signatureScheme } from './algorithms.js';
import { failure, type PkiFailure } from './result.js';

/** A certificate as callers hold it: DER bytes or a parsed @peculiar/x509 certificate. */
export type CertificateInput = Uint8Array | x509.X509Certificate;

/** Larger than any real certificate (a few KiB); anything bigger is refused before it is parsed. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

/** Limits for asn1js on input nobody vouches for yet. */
export const ASN1_LIMITS = { maxDepth: 40, maxNodes: 10_000 } as const;

/** One certificate, parsed once, with what the checks read from it. */
export interface ParsedCertificate {
  der: Uint8Array;
  certificate: x509.X509Certificate;
  /** For signature checks and key details (OpenSSL underneath). */
  node: NodeCertificate;
  /** For the raw names, the to-be-signed bytes and the SubjectPublicKeyInfo. */
  asn: pkijs.Certificate;
  /** `C=US, ST=WA, O=acme, CN=release`, for messages. */
  subject: string;
  rawSubject: Uint8Array;
  rawIssuer: Uint8Array;
  publicKey: KeyObject;
}

export function parseCertificate(input: CertificateInput): ParsedCertificate | PkiFailure {
  const der = input instanceof Uint8Array ? input : new Uint8Array(input.rawData);
  if (der.byteLength > MAX_CERTIFICATE_BYTES)
    return failure(
      'MALFORMED',
      `a certificate of ${der.byteLength} bytes is over the ${MAX_CERTIFICATE_BYTES}-byte limit`,
    );
  try {
    const decoded = asn1js.fromBER(der, ASN1_LIMITS);
    if (decoded.offset === -1 || decoded.offset !== der.byteLength) throw new Error('not one DER value');
    const asn = new pkijs.Certificate({ schema: decoded.result });
    const certificate = input instanceof Uint8Array ? new x509.X509Certificate(der) : input;
    const node = new NodeCertificate(der);
    return {
      der,
      certificate,
      node,
      asn,
      subject: certificate.subject,
      rawSubject: new Uint8Array(asn.subject.valueBeforeDecode),
      rawIssuer: new Uint8Array(asn.issuer.valueBeforeDecode),
      publicKey: node.publicKey,
    };
  } catch (error) {
    return failure('MALFORMED', `a certificate cannot be parsed: ${(error as Error).message}`);
  }
}

/** Parses every input, or says which one is malformed. */
export function parseCertificates(inputs: readonly CertificateInput[]): ParsedCertificate[] | PkiFailure {
  const parsed: ParsedCertificate[] = [];
  for (const [index, input] of inputs.entries()) {
    const one = parseCertificate(input);
    if ('ok' in one) return failure(one.code, `certificate ${index + 1}: ${one.reason}`);
    parsed.push(one);
  }
  return parsed;
}

export function isFailure(value: unknown): value is PkiFailure {
  return typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

/** The scheme the certificate's issuer signed it with, or why that algorithm is refused. */
export function certificateSignatureScheme(certificate: ParsedCertificate): SignatureScheme | string {
  return signatureScheme(certificate.asn.signatureAlgorithm);
}

/** Whether `subject` names `issuer` as its issuer and carries a signature `issuer`'s key verifies. */
export function isIssuedBy(subject: ParsedCertificate, issuer: ParsedCertificate): boolean {
  if (!sameBytes(subject.rawIssuer, issuer.rawSubject)) return false;
  try {
    return subject.node.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Self-issued (subject = issuer) and self-signed (its own key verifies it). */
export function isSelfSigned(certificate: ParsedCertificate): boolean {
  return isIssuedBy(certificate, certificate);
}

/** The Notary Project's signature algorithms, one per key type and size (signature specification). */
export type NotarySigningAlgorithm = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

export interface KeySpec {
  type: 'RSA' | 'EC';
  bits: number;
  /** The algorithm a signature by this key must use. */
  algorithm: NotarySigningAlgorithm;
}

const RSA_ALGORITHM: Readonly<Record<number, NotarySigningAlgorithm>> = {
  2048: 'PS256',
  3072: 'PS384',
  4096: 'PS512',
};
const EC_CURVES: Readonly<Record<string, { bits: number; algorithm: NotarySigningAlgorithm }>> = {
  prime256v1: { bits: 256, algorithm: 'ES256' },
  secp384r1: { bits: 384, algorithm: 'ES384' },
  secp521r1: { bits: 521, algorithm: 'ES512' },
};

/** The key spec of a certificate's key, or why the Notary Project does not sign with it. */
export function keySpecOf(certificate: ParsedCertificate): KeySpec | string {
  const key = certificate.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    const algorithm = RSA_ALGORITHM[bits];
    return algorithm
      ? { type: 'RSA', bits, algorithm }
      : `an RSA key of ${bits} bits (the Notary Project signs with RSA 2048, 3072 or 4096)`;
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = EC_CURVES[details.namedCurve ?? ''];
    return curve
      ? { type: 'EC', ...curve }
      : `an EC key on curve ${details.namedCurve ?? 'unknown'} (the Notary Project signs with P-256, P-384 or P-521)`;
  }
  return `a ${key.asymmetricKeyType ?? 'unknown'} key (the Notary Project signs with RSA or ECDSA keys)`;
}

/** `"C=US, O=acme, CN=release"`: how messages name a certificate. */
export function named(certificate: ParsedCertificate): string {
  return JSON.stringify(certificate.subject);
}
