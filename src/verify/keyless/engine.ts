import type { TransparencyLogEntry } from '@sigstore/bundle';
import type { X509Certificate } from '@sigstore/core';
import {
  type SignedEntity,
  type Signer,
  type TrustMaterial,
  VerificationError,
  Verifier,
} from '@sigstore/verify';
import { describeCertificate } from './certificate.js';
import type { JudgedTime, KeylessFailureCode } from './result.js';

export interface EngineRequest {
  entity: SignedEntity;
  material: TrustMaterial;
  /** Minimum number of verified tlog entries, SCTs and timestamps (each 0 or 1 here). */
  thresholds: { tlog: number; ctlog: number; timestamp: number };
  /**
   * When the entity carries no timestamp at all, judge the certificate at the current time (cosign's
   * behaviour without a transparency log or TSA). Without this, a certificate with no timestamp fails.
   */
  judgeAtNowWithoutTimestamps: boolean;
  now?: Date;
}

export type EngineResult =
  | { ok: true; signer: Signer; judgedAt: JudgedTime[] }
  | { ok: false; code: KeylessFailureCode; reason: string };

/**
 * Runs @sigstore/verify's Verifier (chain, SCTs, timestamps, tlog inclusion and body, signature) and
 * turns its errors into vouch failure codes with reasons that say what was seen. Identity policy is
 * not applied here: cosign's matching rules differ from the Verifier's (see identity.ts).
 */
export function runVerifier(request: EngineRequest): EngineResult {
  const { entity, material, thresholds } = request;
  const now = request.now ?? new Date();
  let judged = entity;
  const judgedAt: JudgedTime[] = entity.timestamps.map((timestamp) =>
    timestamp.$case === 'timestamp-authority'
      ? { source: 'tsa', time: safeIso(() => timestamp.timestamp.signingTime) }
      : { source: 'tlog', time: new Date(Number(timestamp.tlogEntry.integratedTime) * 1000).toISOString() },
  );
  if (
    entity.timestamps.length === 0 &&
    request.judgeAtNowWithoutTimestamps &&
    entity.key.$case === 'certificate'
  ) {
    // The Verifier checks the chain at each timestamp it is given and skips the check when there is
    // none. To judge the certificate at the current time, hand it one more timestamp: "now". It is not
    // a log entry (it is not in tlogEntries, so nothing trusts it as one); it is only a date.
    judged = { ...entity, timestamps: [{ $case: 'transparency-log', tlogEntry: nowMarker(now) }] };
    judgedAt.push({ source: 'now', time: now.toISOString() });
  }
  try {
    const signer = new Verifier(material, {
      tlogThreshold: thresholds.tlog,
      ctlogThreshold: thresholds.ctlog,
      timestampThreshold: thresholds.timestamp,
    }).verify(judged);
    return { ok: true, signer, judgedAt };
  } catch (error) {
    return { ok: false, ...describeFailure(error, judged, judgedAt, material) };
  }
}

function nowMarker(now: Date): TransparencyLogEntry {
  return {
    logIndex: '0',
    logId: { keyId: Buffer.alloc(0) },
    kindVersion: { kind: 'now', version: '0' },
    integratedTime: String(Math.floor(now.getTime() / 1000)),
    inclusionPromise: { signedEntryTimestamp: Buffer.alloc(0) },
    inclusionProof: undefined,
    canonicalizedBody: Buffer.alloc(0),
  };
}

function safeIso(get: () => Date): string {
  try {
    return get().toISOString();
  } catch {
    return '(unreadable time)';
  }
}

function describeFailure(
  error: unknown,
  entity: SignedEntity,
  judgedAt: readonly JudgedTime[],
  material: TrustMaterial,
): { code: KeylessFailureCode; reason: string } {
  if (!(error instanceof VerificationError) && !(error instanceof Error && 'code' in error))
    return {
      code: 'MALFORMED',
      reason: `verification failed: ${(error as Error)?.message ?? String(error)}`,
    };
  const code = (error as { code: string }).code;
  const message = (error as Error).message;
  const cause = (error as { cause?: unknown }).cause;
  const causeMessage = cause instanceof Error ? cause.message : undefined;
  switch (code) {
    case 'TIMESTAMP_ERROR':
      if (/^expected \d+ timestamps/.test(message))
        return {
          code: 'TIMESTAMP_MISSING',
          reason:
            'no trusted time to judge the certificate at: no transparency-log entry and no RFC 3161 timestamp',
        };
      return {
        code: 'TIMESTAMP_INVALID',
        reason: `RFC 3161 timestamp does not verify against a trusted TSA (${message})`,
      };
    case 'CERTIFICATE_ERROR':
      return describeCertificateFailure(message, causeMessage, entity, judgedAt, material);
    case 'TLOG_INCLUSION_PROMISE_ERROR':
      return {
        code: 'SET_INVALID',
        reason:
          'the signed entry timestamp does not verify with the trusted transparency-log key: the entry was altered or not signed by that log',
      };
    case 'TLOG_INCLUSION_PROOF_ERROR':
      return {
        code: 'INCLUSION_PROOF_INVALID',
        reason: `transparency-log inclusion proof does not verify (${message})`,
      };
    case 'TLOG_MISSING_INCLUSION_ERROR':
      return {
        code: 'INCLUSION_PROOF_INVALID',
        reason: 'transparency-log entry has neither an inclusion promise nor an inclusion proof',
      };
    case 'TLOG_BODY_ERROR':
      return {
        code: 'TLOG_BODY_MISMATCH',
        reason: `transparency-log entry does not match this signature (${message})`,
      };
    case 'TLOG_ERROR':
      return { code: 'TLOG_MISSING', reason: 'no transparency-log entry, and one is required' };
    case 'SIGNATURE_ERROR':
      return {
        code: 'SIGNATURE_INVALID',
        reason: 'signature does not verify over the signed content with the signer key',
      };
    case 'PUBLIC_KEY_ERROR':
      return { code: 'KEY_MISMATCH', reason: `public key cannot be used: ${message}` };
    default:
      return { code: 'MALFORMED', reason: `verification failed: ${message}` };
  }
}

function describeCertificateFailure(
  message: string,
  causeMessage: string | undefined,
  entity: SignedEntity,
  judgedAt: readonly JudgedTime[],
  material: TrustMaterial,
): { code: KeylessFailureCode; reason: string } {
  if (message === 'SCT verification failed')
    return { code: 'SCT_INVALID', reason: 'an embedded SCT does not verify against a trusted CT log' };
  if (/^expected \d+ SCTs/.test(message))
    return {
      code: 'SCT_MISSING',
      reason: 'certificate carries no SCT from a trusted CT log, and one is required',
    };
  const leaf = entity.key.$case === 'certificate' ? entity.key.certificate : undefined;
  if (causeMessage === 'certificate is not valid or expired at the specified date' && leaf)
    return { code: 'CERTIFICATE_EXPIRED', reason: expiryReason(leaf, judgedAt) };
  if (leaf) {
    const names = describeCertificate(leaf.root.toDER());
    const invalidAt = judgedAt.find((time) => !leaf.validForDate(new Date(time.time)));
    if (causeMessage === undefined && invalidAt !== undefined)
      return { code: 'CERTIFICATE_EXPIRED', reason: expiryReason(leaf, judgedAt) };
    // No cause: no trusted CA was valid at one of the times (each CA has its own validity window).
    const uncovered = judgedAt.find(
      (time) =>
        !material.certificateAuthorities.some(
          (ca) => ca.validFor.start <= new Date(time.time) && new Date(time.time) <= ca.validFor.end,
        ),
    );
    if (causeMessage === undefined && uncovered !== undefined)
      return {
        code: 'UNTRUSTED_CA',
        reason: `no trusted certificate authority was valid at ${uncovered.time} (${label(uncovered)}) to issue this certificate (issuer ${names.issuer})`,
      };
    return {
      code: 'UNTRUSTED_CA',
      reason: `certificate does not chain to a trusted certificate authority (issuer ${names.issuer})${causeMessage ? `: ${causeMessage}` : ''}`,
    };
  }
  return { code: 'UNTRUSTED_CA', reason: `certificate verification failed: ${causeMessage ?? message}` };
}

function expiryReason(leaf: X509Certificate, judgedAt: readonly JudgedTime[]): string {
  const window = `${leaf.notBefore.toISOString()} to ${leaf.notAfter.toISOString()}`;
  const invalidAt = judgedAt.find((time) => !leaf.validForDate(new Date(time.time)));
  if (invalidAt === undefined)
    return `a certificate in the chain was not valid at ${judgedAt.map((time) => `${time.time} (${label(time)})`).join(', ')}`;
  const hint =
    invalidAt.source === 'now'
      ? '; without a transparency-log entry an expired certificate needs a trusted timestamp'
      : '';
  return `certificate was not valid at ${invalidAt.time} (${label(invalidAt)}): it is valid from ${window}${hint}`;
}

function label(time: JudgedTime): string {
  return time.source === 'tlog'
    ? 'transparency-log integrated time'
    : time.source === 'tsa'
      ? 'RFC 3161 timestamp'
      : 'now';
}
