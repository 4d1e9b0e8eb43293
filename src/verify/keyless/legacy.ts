import { createHash } from 'node:crypto';
import { RFC3161Timestamp, crypto as sigstoreCrypto, type X509Certificate } from '@sigstore/core';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { SignedEntity } from '@sigstore/verify';
import { z } from 'zod';
import type { TransparencyLogOutcome } from '../outcome.js';
import { trustMaterialFor } from '../trust/material.js';
import { type ParsedCertificate, parseCertificatesPem } from '../trust/pem.js';
import { certificateIdentity, describeCertificate } from './certificate.js';
import { runVerifier } from './engine.js';
import { matchIdentities } from './identity.js';
import { withChainIntermediates } from './intermediates.js';
import { compileKeylessPolicy, type KeylessPolicy } from './policy.js';
import {
  checkHashedRekordBody,
  parseRekorBundle,
  toTransparencyLogEntry,
  verifyRekorSet,
} from './rekor-bundle.js';
import { failed, type KeylessVerification } from './result.js';

/** The layer annotations cosign writes on a keyless `.sig` layer. */
export const COSIGN_ANNOTATIONS = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
  rfc3161Timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
} as const;

/** One keyless cosign signature as found in a `.sig` manifest layer: the blob and its annotations. */
export interface LegacyKeylessSignature {
  /** The layer blob: the simple-signing payload the signature is over. */
  payload: Uint8Array;
  /** Base64 signature (`dev.cosignproject.cosign/signature`). */
  signature: string;
  /** PEM signing certificate (`dev.sigstore.cosign/certificate`). */
  certificate: string;
  /** PEM intermediates and root (`dev.sigstore.cosign/chain`); used only as untrusted path material. */
  chain?: string;
  /** Rekor bundle JSON (`dev.sigstore.cosign/bundle`). */
  rekorBundle?: string;
  /** RFC 3161 timestamp JSON (`dev.sigstore.cosign/rfc3161timestamp`). */
  rfc3161Timestamp?: string;
}

export interface LegacyVerifyOptions {
  trustedRoot: TrustedRoot;
  /** The image manifest digest (`sha256:…`) the payload must name; checked when given. */
  expectedDigest?: string;
  /** The current time, for certificates judged "now" (tests pin it). */
  now?: Date;
}

/**
 * Picks the keyless parts out of a layer's annotations; undefined when the layer carries no
 * certificate (a key-signed layer is not keyless).
 */
export function legacyKeylessFromAnnotations(
  payload: Uint8Array,
  annotations: Readonly<Record<string, string>>,
): LegacyKeylessSignature | undefined {
  const certificate = annotations[COSIGN_ANNOTATIONS.certificate];
  if (certificate === undefined || certificate === '') return undefined;
  const signature: LegacyKeylessSignature = {
    payload,
    signature: annotations[COSIGN_ANNOTATIONS.signature] ?? '',
    certificate,
  };
  const chain = annotations[COSIGN_ANNOTATIONS.chain];
  const bundle = annotations[COSIGN_ANNOTATIONS.bundle];
  const timestamp = annotations[COSIGN_ANNOTATIONS.rfc3161Timestamp];
  if (chain) signature.chain = chain;
  if (bundle) signature.rekorBundle = bundle;
  if (timestamp) signature.rfc3161Timestamp = timestamp;
  return signature;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const timestampAnnotation = z.strictObject({ SignedRFC3161Timestamp: z.string().regex(BASE64) });

/**
 * Verifies a keyless cosign signature with cosign's rules, offline: the certificate chains to a
 * trusted CA; its identity and issuer match the policy; its SCT verifies against a trusted CT log
 * (unless ignored); the Rekor SET verifies with the trusted Rekor key chosen by log ID and the logged
 * entry is this signature, certificate and payload hash (unless ignored); the certificate was valid at
 * the integrated time (or at a trusted RFC 3161 time, or now when neither is used); the signature
 * verifies over the payload; and the payload names the expected digest. Never throws for a bad
 * signature — every failure is a result with its own code; it throws only for an invalid policy.
 */
export function verifyLegacyKeyless(
  input: LegacyKeylessSignature,
  policy: KeylessPolicy,
  options: LegacyVerifyOptions,
): KeylessVerification {
  const compiled = compileKeylessPolicy(policy);
  const warnings = compiled.warnings;
  let tlog: TransparencyLogOutcome = compiled.insecureIgnoreTlog
    ? { status: 'ignored', detail: '--insecure-ignore-tlog' }
    : { status: 'not-checked' };
  const fail = (code: Parameters<typeof failed>[0], reason: string) =>
    failed(code, reason, { tlog, warnings });

  // Parse everything first: malformed material is its own failure, before any cryptography.
  // Go's base64 decoder (and so cosign) skips line breaks; cosign writes RSA signatures wrapped.
  const signatureText = input.signature.replace(/[\r\n]/g, '');
  if (!BASE64.test(signatureText)) return fail('MALFORMED', 'signature annotation is empty or not base64');
  const signature = Buffer.from(signatureText, 'base64');
  let leaf: ParsedCertificate;
  let chain: X509Certificate[] = [];
  try {
    const certificates = parseCertificatesPem(input.certificate, 'certificate annotation');
    if (certificates.length !== 1)
      return fail('MALFORMED', 'certificate annotation must hold exactly one certificate');
    leaf = certificates[0] as ParsedCertificate;
    if (input.chain)
      chain = parseCertificatesPem(input.chain, 'chain annotation').map((parsed) => parsed.certificate);
  } catch (error) {
    return fail('MALFORMED', (error as Error).message);
  }
  const payload = Buffer.from(input.payload);

  const entity: SignedEntity = {
    key: { $case: 'certificate', certificate: leaf.certificate },
    signature: payloadSignature(payload, signature),
    tlogEntries: [],
    timestamps: [],
  };
  const material = withChainIntermediates(trustMaterialFor(options.trustedRoot), chain);

  if (!compiled.insecureIgnoreTlog) {
    if (input.rekorBundle === undefined)
      return fail(
        'TLOG_MISSING',
        'signature has no Rekor bundle (dev.sigstore.cosign/bundle): it was not logged in a transparency log (use --insecure-ignore-tlog to accept that)',
      );
    const bundle = parseRekorBundle(input.rekorBundle);
    if (!bundle.ok) return fail(bundle.code, bundle.reason);
    const set = verifyRekorSet(bundle.value, material.tlogs);
    if (!set.ok) return fail(set.code, set.reason);
    const body = checkHashedRekordBody(bundle.value, {
      payload,
      signature,
      certificateDer: leaf.der,
      certificate: leaf.certificate,
    });
    if (!body.ok) return fail(body.code, body.reason);
    const entry = toTransparencyLogEntry(bundle.value, body.value);
    entity.tlogEntries.push(entry);
    entity.timestamps.push({ $case: 'transparency-log', tlogEntry: entry });
    tlog = {
      status: 'verified',
      detail: `Rekor entry ${bundle.value.logIndex} in ${set.value.baseURL || bundle.value.logId.toString('hex')}, integrated at ${new Date(bundle.value.integratedTime * 1000).toISOString()}`,
    };
  }

  if (compiled.useSignedTimestamps) {
    if (input.rfc3161Timestamp === undefined)
      return fail(
        'TIMESTAMP_MISSING',
        'signature has no RFC 3161 timestamp (dev.sigstore.cosign/rfc3161timestamp)',
      );
    let parsed: z.infer<typeof timestampAnnotation>;
    try {
      parsed = timestampAnnotation.parse(JSON.parse(input.rfc3161Timestamp));
    } catch {
      return fail('MALFORMED', 'RFC 3161 timestamp annotation is malformed');
    }
    try {
      const timestamp = RFC3161Timestamp.parse(Buffer.from(parsed.SignedRFC3161Timestamp, 'base64'));
      void timestamp.signingTime;
      entity.timestamps.push({ $case: 'timestamp-authority', timestamp });
    } catch {
      return fail('MALFORMED', 'RFC 3161 timestamp is not a DER TimeStampResp');
    }
  }

  const outcome = runVerifier({
    entity,
    material,
    thresholds: {
      tlog: compiled.insecureIgnoreTlog ? 0 : 1,
      ctlog: compiled.insecureIgnoreSct ? 0 : 1,
      timestamp: 0,
    },
    judgeAtNowWithoutTimestamps: true,
    ...(options.now && { now: options.now }),
  });
  if (!outcome.ok) {
    if (outcome.code === 'SET_INVALID' || outcome.code === 'TLOG_BODY_MISMATCH')
      tlog = { status: 'not-checked' };
    return fail(outcome.code, outcome.reason);
  }

  const identity = certificateIdentity(leaf.certificate);
  const match = matchIdentities(identity, compiled.identities, compiled.github);
  if (!match.ok) return fail(match.code, match.reason);

  if (options.expectedDigest !== undefined) {
    const named = payloadDigest(payload);
    if (named === undefined)
      return fail(
        'DIGEST_MISMATCH',
        'payload does not name an image digest (critical.image.docker-manifest-digest)',
      );
    if (named !== options.expectedDigest)
      return fail(
        'DIGEST_MISMATCH',
        `payload names ${named}, not the image being verified (${options.expectedDigest})`,
      );
  }

  const names = describeCertificate(leaf.der);
  const subject = identity.subjects[0] ?? names.subject;
  return {
    verified: true,
    reason: `signed by ${subject} (issuer ${identity.issuer ?? 'none'})${tlog.status === 'verified' ? `; ${tlog.detail}` : ''}`,
    signer: {
      kind: 'certificate',
      identity,
      certificate: {
        subject: names.subject,
        issuer: names.issuer,
        notBefore: leaf.certificate.notBefore.toISOString(),
        notAfter: leaf.certificate.notAfter.toISOString(),
      },
    },
    tlog,
    judgedAt: outcome.judgedAt,
    warnings: [...warnings],
  };
}

/** A signature over the payload bytes (ECDSA/RSA with SHA-256, cosign's default). */
function payloadSignature(payload: Buffer, signature: Buffer): SignedEntity['signature'] {
  const digest = createHash('sha256').update(payload).digest();
  return {
    signature,
    compareSignature: (other) => sigstoreCrypto.bufferEqual(other, signature),
    compareDigest: (other) => sigstoreCrypto.bufferEqual(other, digest),
    verifySignature: (key) => sigstoreCrypto.verify(payload, key, signature, 'sha256'),
  };
}

/**
 * `critical.image.docker-manifest-digest` of a simple-signing payload. Keys are matched without regard
 * to case, as Go's JSON decoding (and so cosign) does.
 */
export function payloadDigest(payload: Buffer): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  for (const key of ['critical', 'image', 'docker-manifest-digest']) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const entry = Object.entries(value).find(([name]) => name.toLowerCase() === key);
    value = entry?.[1];
  }
  return typeof value === 'string' ? value : undefined;
}
