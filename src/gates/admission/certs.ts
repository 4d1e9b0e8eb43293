/**
 * A private CA and a serving certificate for the webhook's Service, as `vouch webhook certs` writes
 * them (Kubernetes TLS secret layout plus the CA for the webhook configurations' `caBundle`).
 */
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { AdmissionError } from './errors.js';

const crypto = webcrypto;
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Clocks in a cluster disagree a little; a certificate valid from "now" can be rejected for minutes. */
const BACKDATE_MS = 5 * 60 * 1000;

export interface WebhookCertificateOptions {
  service: string;
  namespace: string;
  /** Validity of the serving certificate in days (default 365); the CA lives ten times as long. */
  days?: number;
  now?: Date;
}

export interface WebhookCertificates {
  /** PEM of the CA certificate (`ca.crt`; base64 of it is the webhooks' `caBundle`). */
  caCert: string;
  /** PEM of the serving certificate (`tls.crt`). */
  tlsCert: string;
  /** PEM PKCS#8 of the serving key (`tls.key`). */
  tlsKey: string;
  /** DNS names the serving certificate is valid for. */
  dnsNames: string[];
  notAfter: Date;
}

/** The names the API server may use to reach `service` in `namespace`. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

export async function generateWebhookCertificates(
  options: WebhookCertificateOptions,
): Promise<WebhookCertificates> {
  for (const [flag, value] of [
    ['service', options.service],
    ['namespace', options.namespace],
  ] as const) {
    if (!DNS_LABEL.test(value))
      throw new AdmissionError(
        'TLS',
        `--${flag} ${JSON.stringify(value)} is not a valid Kubernetes name (lowercase letters, digits and "-", at most 63)`,
      );
  }
  const days = options.days ?? 365;
  if (!Number.isInteger(days) || days < 1 || days > 3650)
    throw new AdmissionError('TLS', `validity must be a whole number of days from 1 to 3650, got ${days}`);

  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const dnsNames = serviceDnsNames(options.service, options.namespace);

  const caKeys = (await crypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: `CN=vouch webhook CA ${options.service}.${options.namespace}`,
      notBefore,
      notAfter: new Date(now.getTime() + days * 10 * DAY_MS),
      signingAlgorithm: ALGORITHM,
      keys: caKeys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );

  const leafKeys = (await crypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const notAfter = new Date(now.getTime() + days * DAY_MS);
  const leaf = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: `CN=${options.service}.${options.namespace}.svc`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      signingAlgorithm: ALGORITHM,
      publicKey: leafKeys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(
          dnsNames.map((value) => ({ type: 'dns' as const, value })),
          false,
        ),
        await x509.AuthorityKeyIdentifierExtension.create(ca, false, crypto),
        await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );

  const pkcs8 = await crypto.subtle.exportKey('pkcs8', leafKeys.privateKey);
  return {
    caCert: ca.toString('pem'),
    tlsCert: leaf.toString('pem'),
    tlsKey: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    dnsNames,
    notAfter,
  };
}

/** A positive 128-bit serial (the high bit cleared so DER does not read it as negative). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
}
