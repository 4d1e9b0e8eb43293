import { createHash } from 'node:crypto';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import { crypto as sigstoreCrypto, json as sigstoreJson, type X509Certificate } from '@sigstore/core';
import type { TrustMaterial } from '@sigstore/verify';
import { z } from 'zod';
import { pemBlocks } from '../trust/pem.js';
import type { KeylessFailureCode } from './result.js';

type TLogAuthority = TrustMaterial['tlogs'][number];

/**
 * cosign's `dev.sigstore.cosign/bundle` annotation: Rekor's signed entry timestamp (SET) over the
 * entry, with the entry itself. This module checks it the way cosign does, without a network:
 * the SET with the trusted Rekor key chosen by the entry's log ID, and the logged body against this
 * signature, this certificate and this payload.
 */
export interface RekorBundle {
  signedEntryTimestamp: Buffer;
  /** The body exactly as base64-encoded in the annotation (the SET covers this text). */
  bodyBase64: string;
  body: Buffer;
  integratedTime: number;
  logIndex: number;
  logId: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const annotation = z.strictObject({
  SignedEntryTimestamp: z.string().regex(BASE64),
  Payload: z.strictObject({
    body: z.string().regex(BASE64),
    integratedTime: z.number().int().nonnegative(),
    logIndex: z.number().int().nonnegative(),
    logID: z.string().regex(/^[0-9a-fA-F]{64}$/),
  }),
});

export type Checked<T> = { ok: true; value: T } | { ok: false; code: KeylessFailureCode; reason: string };

export function parseRekorBundle(text: string): Checked<RekorBundle> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, code: 'MALFORMED', reason: 'Rekor bundle annotation is not JSON' };
  }
  const parsed = annotation.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      code: 'MALFORMED',
      reason: `Rekor bundle annotation is malformed: ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? ''}`,
    };
  }
  const { SignedEntryTimestamp, Payload } = parsed.data;
  return {
    ok: true,
    value: {
      signedEntryTimestamp: Buffer.from(SignedEntryTimestamp, 'base64'),
      bodyBase64: Payload.body,
      body: Buffer.from(Payload.body, 'base64'),
      integratedTime: Payload.integratedTime,
      logIndex: Payload.logIndex,
      logId: Buffer.from(Payload.logID, 'hex'),
    },
  };
}

/**
 * Verifies the SET: the trusted log is chosen by log ID (never by trying every key), its key must be
 * valid at the integrated time, and the signature covers the canonical JSON of the four payload fields.
 */
export function verifyRekorSet(bundle: RekorBundle, tlogs: readonly TLogAuthority[]): Checked<TLogAuthority> {
  const logIdHex = bundle.logId.toString('hex');
  const candidates = tlogs.filter((log) => log.logID.equals(bundle.logId));
  if (candidates.length === 0)
    return {
      ok: false,
      code: 'TLOG_UNTRUSTED',
      reason: `Rekor entry was logged by log ${logIdHex}, which is not a trusted transparency log`,
    };
  const integrated = new Date(bundle.integratedTime * 1000);
  const current = candidates.filter(
    (log) => log.validFor.start <= integrated && integrated <= log.validFor.end,
  );
  if (current.length === 0)
    return {
      ok: false,
      code: 'TLOG_UNTRUSTED',
      reason: `the key of transparency log ${logIdHex} is not trusted for entries integrated at ${integrated.toISOString()}`,
    };
  const signed = Buffer.from(
    sigstoreJson.canonicalize({
      body: bundle.bodyBase64,
      integratedTime: bundle.integratedTime,
      logIndex: bundle.logIndex,
      logID: logIdHex,
    }),
    'utf8',
  );
  const log = current.find((candidate) =>
    sigstoreCrypto.verify(signed, candidate.publicKey, bundle.signedEntryTimestamp),
  );
  if (log === undefined)
    return {
      ok: false,
      code: 'SET_INVALID',
      reason: `the signed entry timestamp does not verify with the key of transparency log ${logIdHex}: the entry was altered or not signed by that log`,
    };
  return { ok: true, value: log };
}

const hashedRekord = z.object({
  apiVersion: z.literal('0.0.1'),
  kind: z.literal('hashedrekord'),
  spec: z.object({
    data: z.object({ hash: z.object({ algorithm: z.string(), value: z.string() }) }),
    signature: z.object({ content: z.string(), publicKey: z.object({ content: z.string() }) }),
  }),
});

/**
 * The logged body must be about this signature: same signature bytes, same certificate (or its public
 * key), and the SHA-256 of this payload. A valid SET over some other entry proves nothing here.
 */
export function checkHashedRekordBody(
  bundle: RekorBundle,
  signed: { payload: Uint8Array; signature: Buffer; certificateDer: Buffer; certificate: X509Certificate },
): Checked<{ kind: string; version: string }> {
  let raw: unknown;
  try {
    raw = JSON.parse(bundle.body.toString('utf8'));
  } catch {
    return { ok: false, code: 'MALFORMED', reason: 'Rekor entry body is not JSON' };
  }
  const kind = (raw as { kind?: unknown })?.kind;
  const version = (raw as { apiVersion?: unknown })?.apiVersion;
  const parsed = hashedRekord.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      code: 'UNSUPPORTED',
      reason: `Rekor entry is ${String(kind)} ${String(version)}; a cosign image signature is logged as hashedrekord 0.0.1`,
    };
  const spec = parsed.data.spec;
  const mismatch = (what: string) => ({
    ok: false as const,
    code: 'TLOG_BODY_MISMATCH' as const,
    reason: `Rekor entry is about another signature: its ${what} differs from this signature's`,
  });
  if (!Buffer.from(spec.signature.content, 'base64').equals(signed.signature)) return mismatch('signature');
  if (spec.data.hash.algorithm !== 'sha256') return mismatch(`hash algorithm (${spec.data.hash.algorithm})`);
  const payloadHash = createHash('sha256').update(signed.payload).digest('hex');
  if (spec.data.hash.value.toLowerCase() !== payloadHash) return mismatch('payload hash');
  let loggedKey: { type: string; der: Buffer } | undefined;
  try {
    const blocks = pemBlocks(
      Buffer.from(spec.signature.publicKey.content, 'base64').toString('utf8'),
      'Rekor entry key',
    );
    if (blocks.length >= 1)
      loggedKey = { type: (blocks[0] as { type: string }).type, der: (blocks[0] as { der: Buffer }).der };
  } catch {
    loggedKey = undefined;
  }
  const sameCertificate = loggedKey?.type === 'CERTIFICATE' && loggedKey.der.equals(signed.certificateDer);
  const sameKey = loggedKey?.type === 'PUBLIC KEY' && loggedKey.der.equals(signed.certificate.publicKey);
  if (!sameCertificate && !sameKey) return mismatch('certificate');
  return { ok: true, value: { kind: parsed.data.kind, version: parsed.data.apiVersion } };
}

/** The annotation as the protobuf entry @sigstore/verify consumes (inclusion promise only). */
export function toTransparencyLogEntry(
  bundle: RekorBundle,
  kindVersion: { kind: string; version: string },
): TransparencyLogEntry {
  return {
    logIndex: String(bundle.logIndex),
    logId: { keyId: bundle.logId },
    kindVersion,
    integratedTime: String(bundle.integratedTime),
    inclusionPromise: { signedEntryTimestamp: bundle.signedEntryTimestamp },
    inclusionProof: undefined,
    canonicalizedBody: bundle.body,
  };
}
