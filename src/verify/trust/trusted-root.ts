import { createPublicKey } from 'node:crypto';
import { type PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';
import { z } from 'zod';
import { STD_BASE64 } from '../../signature/encoding.js';
import { VerifyError } from '../errors.js';
import { readTrustFile } from './files.js';
import { parseCertificateDer } from './pem.js';

export type { TrustedRoot } from '@sigstore/protobuf-specs';

/** The media types of a trusted root that vouch reads (the old form and the versioned forms). */
export const TRUSTED_ROOT_MEDIA_TYPES = [
  'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  'application/vnd.dev.sigstore.trustedroot.v0.1+json',
  'application/vnd.dev.sigstore.trustedroot.v0.2+json',
] as const;

// protobuf JSON Timestamp: RFC 3339 in UTC, optional fraction.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

const base64 = z.string().min(1).regex(STD_BASE64, 'must be standard base64');
const timestamp = z
  .string()
  .regex(TIMESTAMP, 'must be an RFC 3339 UTC timestamp')
  .refine((value) => !Number.isNaN(Date.parse(value)), 'is not a valid date');

/** Key types a transparency log or CT log may use: what Node can verify with, in the forms Sigstore writes. */
const LOG_KEY_DETAILS = [
  'PKCS1_RSA_PKCS1V5',
  'PKCS1_RSA_PSS',
  'PKIX_RSA_PKCS1V5',
  'PKIX_RSA_PSS',
  'PKIX_RSA_PKCS1V15_2048_SHA256',
  'PKIX_RSA_PKCS1V15_3072_SHA256',
  'PKIX_RSA_PKCS1V15_4096_SHA256',
  'PKIX_RSA_PSS_2048_SHA256',
  'PKIX_RSA_PSS_3072_SHA256',
  'PKIX_RSA_PSS_4096_SHA256',
  'PKIX_ECDSA_P256_SHA_256',
  'PKIX_ECDSA_P384_SHA_384',
  'PKIX_ECDSA_P521_SHA_512',
  'PKIX_ECDSA_P384_SHA_256',
  'PKIX_ECDSA_P521_SHA_256',
  'PKIX_ED25519',
] as const satisfies readonly (keyof typeof PublicKeyDetails)[];

const logId = z.strictObject({ keyId: base64 });

const transparencyLog = z.strictObject({
  baseUrl: z.string().min(1),
  hashAlgorithm: z.enum(['SHA2_256', 'SHA2_384', 'SHA2_512', 'SHA3_256', 'SHA3_384']),
  publicKey: z.strictObject({
    rawBytes: base64,
    keyDetails: z.enum(LOG_KEY_DETAILS),
    // A log key with no start would be trusted for every entry ever made (sigstore-js 3.1 treats a
    // missing start as the beginning of time); a trusted root must say when each log key began.
    validFor: z.strictObject({ start: timestamp, end: timestamp.optional() }),
  }),
  logId,
  checkpointKeyId: logId.optional(),
  operator: z.string().optional(),
});

const certificateAuthority = z.strictObject({
  subject: z
    .strictObject({ organization: z.string().optional(), commonName: z.string().optional() })
    .optional(),
  uri: z.string().optional(),
  certChain: z.strictObject({
    certificates: z.array(z.strictObject({ rawBytes: base64 })).min(1),
  }),
  validFor: z.strictObject({ start: timestamp.optional(), end: timestamp.optional() }).optional(),
  operator: z.string().optional(),
});

const trustedRootSchema = z.strictObject({
  mediaType: z.enum(TRUSTED_ROOT_MEDIA_TYPES),
  tlogs: z.array(transparencyLog).default([]),
  certificateAuthorities: z.array(certificateAuthority).default([]),
  ctlogs: z.array(transparencyLog).default([]),
  timestampAuthorities: z.array(certificateAuthority).default([]),
});

export type TrustedRootJson = z.input<typeof trustedRootSchema>;

/**
 * Reads a trusted root (`application/vnd.dev.sigstore.trustedroot+json`) strictly: unknown fields,
 * malformed base64, keys or certificates that do not parse, inverted validity windows and log keys
 * without `validFor.start` are all rejected, so that a typo cannot silently widen what is trusted.
 */
export function parseTrustedRoot(json: unknown, source: string): TrustedRoot {
  const parsed = trustedRootSchema.safeParse(withoutNullFields(json));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new VerifyError(
      'TRUSTED_ROOT_INVALID',
      `trusted root ${source} is malformed: ${where}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const root = parsed.data;
  const fail = (where: string, detail: string, cause?: unknown) =>
    new VerifyError('TRUSTED_ROOT_INVALID', `trusted root ${source} is malformed: ${where}: ${detail}`, {
      cause,
    });

  for (const [field, logs] of [
    ['tlogs', root.tlogs],
    ['ctlogs', root.ctlogs],
  ] as const) {
    for (const [index, log] of logs.entries()) {
      const where = `${field}.${index}`;
      const keyType = log.publicKey.keyDetails.startsWith('PKCS1_') ? 'pkcs1' : 'spki';
      try {
        createPublicKey({ key: Buffer.from(log.publicKey.rawBytes, 'base64'), format: 'der', type: keyType });
      } catch (cause) {
        throw fail(`${where}.publicKey`, `not a valid ${log.publicKey.keyDetails} key`, cause);
      }
      checkWindow(log.publicKey.validFor, `${where}.publicKey.validFor`, fail);
    }
  }
  for (const [field, authorities] of [
    ['certificateAuthorities', root.certificateAuthorities],
    ['timestampAuthorities', root.timestampAuthorities],
  ] as const) {
    for (const [index, authority] of authorities.entries()) {
      const where = `${field}.${index}`;
      for (const [position, certificate] of authority.certChain.certificates.entries()) {
        try {
          parseCertificateDer(
            Buffer.from(certificate.rawBytes, 'base64'),
            `${where} certificate ${position}`,
          );
        } catch (cause) {
          throw fail(`${where}.certChain.certificates.${position}`, 'not a valid X.509 certificate', cause);
        }
      }
      if (authority.validFor) checkWindow(authority.validFor, `${where}.validFor`, fail);
    }
  }
  return TrustedRoot.fromJSON(root);
}

/**
 * The JSON with every `null`-valued field removed. Protobuf's JSON mapping reads `null` as the field's
 * default, i.e. unset (sigstore's conformance data writes `"checkpointKeyId": null`); a field the
 * schema requires is then reported missing, as it should be. Nulls inside lists are left for the
 * schema to refuse: a list element cannot be unset.
 */
function withoutNullFields(value: unknown, depth = 0): unknown {
  // A trusted root is six levels deep; anything deeper is left as it is for the schema to refuse.
  if (depth > 16 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => withoutNullFields(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value))
    if (field !== null) out[key] = withoutNullFields(field, depth + 1);
  return out;
}

function checkWindow(
  window: { start?: string | undefined; end?: string | undefined },
  where: string,
  fail: (where: string, detail: string) => VerifyError,
): void {
  if (
    window.start !== undefined &&
    window.end !== undefined &&
    Date.parse(window.end) < Date.parse(window.start)
  )
    throw fail(where, 'end is before start');
}

/** Parses JSON text, then the trusted root. */
export function parseTrustedRootText(text: string, source: string): TrustedRoot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new VerifyError('TRUSTED_ROOT_INVALID', `trusted root ${source} is not JSON`, { cause });
  }
  return parseTrustedRoot(json, source);
}

/** `--trusted-root FILE`. */
export async function loadTrustedRootFile(path: string): Promise<TrustedRoot> {
  return parseTrustedRootText(await readTrustFile(path, 'trusted root'), path);
}
