import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  type Bundle,
  bundleFromJSON,
  ValidationError,
} from '@sigstore/bundle';
import { crypto as sigstoreCrypto } from '@sigstore/core';
import { HashAlgorithm, type TrustedRoot } from '@sigstore/protobuf-specs';
import { type SignedEntity, toSignedEntity } from '@sigstore/verify';
import {
  CosignMediaType,
  type InTotoStatement,
  parseStatement,
  SignatureError,
  subjectsNaming,
} from '../../signature/index.js';
import type { TransparencyLogOutcome } from '../outcome.js';
import { withDsseLoggedAsHashedRekord } from '../tlog/dsse-hashedrekord.js';
import { trustMaterialFor, trustMaterialWithKey } from '../trust/material.js';
import { certificateIdentity, describeCertificate } from './certificate.js';
import { runVerifier } from './engine.js';
import { matchIdentities } from './identity.js';
import { compileKeylessPolicy, type KeylessPolicy } from './policy.js';
import { prehashSupported, verifyPrehashed } from './prehash.js';
import { failed, type KeylessFailureCode, type KeylessVerification } from './result.js';

/** What the bundle is about: the artifact's bytes, or only its digest (`sha256:<64 hex>`). */
export type BundleArtifact = { bytes: Uint8Array } | { digest: string };

/** Who must have signed: a given public key, or a certificate identity under a keyless policy. */
export type BundleSigner =
  | {
      key: KeyObject;
      /** Require a verified transparency-log entry (default: entries present are verified, none is required). */
      requireTlog?: boolean;
    }
  | { keyless: KeylessPolicy };

export interface BundleVerifyOptions {
  trustedRoot: TrustedRoot;
  /** The current time, for certificates judged "now" under --insecure-ignore-tlog. */
  now?: Date;
  /**
   * Only a DSSE envelope can be what the caller wants (an image's signature or attestation): a message
   * signature is turned away before any cryptography, so that a registry cannot make vouch verify
   * bundles that could never count.
   */
  dsseOnly?: boolean;
}

export interface BundleVerification extends KeylessVerification {
  /** Present when the bundle parsed. */
  bundle?: { mediaType: string; version: '0.1' | '0.2' | '0.3'; content: 'message-signature' | 'dsse' };
  /** The signed in-toto statement of a DSSE bundle (present when verified). */
  statement?: InTotoStatement;
}

const MEDIA_TYPES: Record<string, '0.1' | '0.2' | '0.3'> = {
  [BUNDLE_V01_MEDIA_TYPE]: '0.1',
  [BUNDLE_V02_MEDIA_TYPE]: '0.2',
  [BUNDLE_V03_LEGACY_MEDIA_TYPE]: '0.3',
  [BUNDLE_V03_MEDIA_TYPE]: '0.3',
};

const DIGEST = /^sha256:([0-9a-fA-F]{64})$/;

const HASHES: Partial<Record<HashAlgorithm, 'sha256' | 'sha384' | 'sha512'>> = {
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
};

/**
 * Verifies a Sigstore bundle (v0.1, v0.2, v0.3; message signature or DSSE) with @sigstore/verify,
 * against a key or a keyless policy, offline. For a DSSE bundle the artifact must be an in-toto
 * subject of the signed statement; for a message signature it must be the signed message (or its
 * SHA-256). Never throws for a bad bundle; throws only for an invalid keyless policy.
 */
export function verifyBundle(
  bundleJson: unknown,
  artifact: BundleArtifact,
  signer: BundleSigner,
  options: BundleVerifyOptions,
): BundleVerification {
  const keyless = 'keyless' in signer ? compileKeylessPolicy(signer.keyless) : undefined;
  const warnings = keyless?.warnings ?? [];
  let tlog: TransparencyLogOutcome = keyless?.insecureIgnoreTlog
    ? { status: 'ignored', detail: '--insecure-ignore-tlog' }
    : { status: 'not-checked' };
  let described: BundleVerification['bundle'];
  const fail = (code: KeylessFailureCode, reason: string): BundleVerification => ({
    ...failed(code, reason, { tlog, warnings }),
    ...(described && { bundle: described }),
  });

  let json = bundleJson;
  if (typeof json === 'string' || json instanceof Uint8Array) {
    try {
      json = JSON.parse(typeof json === 'string' ? json : Buffer.from(json).toString('utf8'));
    } catch {
      return fail('MALFORMED', 'bundle is not JSON');
    }
  }
  const mediaType = (json as { mediaType?: unknown } | null)?.mediaType;
  if (typeof mediaType !== 'string' || MEDIA_TYPES[mediaType] === undefined)
    return fail('UNSUPPORTED', `not a Sigstore bundle vouch reads (media type ${JSON.stringify(mediaType)})`);
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (error) {
    const fields =
      error instanceof ValidationError && error.fields?.length ? ` (${error.fields.join(', ')})` : '';
    return fail('MALFORMED', `bundle is malformed: ${(error as Error).message}${fields}`);
  }
  const content = bundle.content.$case === 'dsseEnvelope' ? 'dsse' : 'message-signature';
  described = { mediaType, version: MEDIA_TYPES[mediaType] as '0.1' | '0.2' | '0.3', content };
  if (options.dsseOnly && content === 'message-signature')
    return fail('UNSUPPORTED', 'the bundle holds a message signature, not a DSSE envelope');

  const material = bundle.verificationMaterial.content;
  if (keyless && material.$case === 'publicKey')
    return fail(
      'KEY_MISMATCH',
      'bundle is signed with a public key, not a certificate; verify it with a key',
    );
  if (!keyless && material.$case !== 'publicKey')
    return fail(
      'KEY_MISMATCH',
      'bundle is signed with a certificate; a key verifies only a public-key bundle',
    );

  let artifactBytes: Buffer | undefined;
  let artifactSha256: string;
  if ('bytes' in artifact) {
    artifactBytes = Buffer.from(artifact.bytes);
    artifactSha256 = createHash('sha256').update(artifactBytes).digest('hex');
  } else {
    const match = DIGEST.exec(artifact.digest);
    if (!match)
      return fail(
        'MALFORMED',
        `artifact digest must be sha256:<64 hex digits>, got ${JSON.stringify(artifact.digest)}`,
      );
    artifactSha256 = (match[1] as string).toLowerCase();
  }

  let entity: SignedEntity;
  let statement: InTotoStatement | undefined;
  try {
    entity = toSignedEntity(bundle, artifactBytes);
  } catch (error) {
    return fail('MALFORMED', `bundle cannot be read: ${(error as Error).message}`);
  }
  if (bundle.content.$case === 'dsseEnvelope') {
    const envelope = bundle.content.dsseEnvelope;
    if (envelope.payloadType !== CosignMediaType.IN_TOTO)
      return fail(
        'MALFORMED',
        `DSSE payload type is ${JSON.stringify(envelope.payloadType)}, not ${CosignMediaType.IN_TOTO}`,
      );
    try {
      statement = parseStatement(envelope.payload);
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      return fail('MALFORMED', `DSSE payload is not an in-toto statement: ${error.message}`);
    }
    const adapted = withDsseLoggedAsHashedRekord(entity, envelope);
    if ('problem' in adapted) return fail('UNSUPPORTED', adapted.problem);
    entity = adapted.entity;
  } else {
    const { messageDigest, signature } = bundle.content.messageSignature;
    const hash = HASHES[messageDigest?.algorithm ?? HashAlgorithm.SHA2_256];
    if (hash === undefined)
      return fail('UNSUPPORTED', 'bundle message digest uses an unsupported hash algorithm');
    const bundleDigest = messageDigest?.digest ?? Buffer.alloc(0);
    if (artifactBytes !== undefined) {
      const actual = createHash(hash).update(artifactBytes).digest();
      if (!actual.equals(bundleDigest))
        return fail(
          'DIGEST_MISMATCH',
          `the bundle signs ${hash}:${bundleDigest.toString('hex')}, not this artifact (${hash}:${actual.toString('hex')})`,
        );
    } else {
      if (hash !== 'sha256')
        return fail(
          'UNSUPPORTED',
          `the bundle signs a ${hash} digest; give the artifact itself, not its SHA-256`,
        );
      if (bundleDigest.toString('hex') !== artifactSha256)
        return fail(
          'DIGEST_MISMATCH',
          `the bundle signs sha256:${bundleDigest.toString('hex')}, not sha256:${artifactSha256}`,
        );
      const signingKey =
        'key' in signer
          ? signer.key
          : entity.key.$case === 'certificate'
            ? createPublicKey({ key: entity.key.certificate.publicKey, format: 'der', type: 'spki' })
            : undefined;
      if (signingKey === undefined || !prehashSupported(signingKey))
        return fail(
          'UNSUPPORTED',
          `a ${signingKey?.asymmetricKeyType ?? 'unknown'} signature cannot be checked against a digest alone; give the artifact itself`,
        );
      entity = { ...entity, signature: prehashedMessage(bundleDigest, signature, hash) };
    }
  }

  if (keyless?.insecureIgnoreTlog) {
    entity = {
      ...entity,
      tlogEntries: [],
      timestamps: entity.timestamps.filter((timestamp) => timestamp.$case !== 'transparency-log'),
    };
  }

  const trust = keyless
    ? trustMaterialFor(options.trustedRoot)
    : trustMaterialWithKey(options.trustedRoot, (signer as { key: KeyObject }).key);
  for (const entry of entity.tlogEntries) {
    if (!trust.tlogs.some((log) => log.logID.equals(entry.logId?.keyId ?? Buffer.alloc(0))))
      return fail(
        'TLOG_UNTRUSTED',
        `transparency-log entry ${entry.logIndex} was logged by log ${Buffer.from(entry.logId?.keyId ?? []).toString('base64')}, which is not a trusted transparency log`,
      );
  }

  const judgeAtNow = keyless?.insecureIgnoreTlog === true && !keyless.useSignedTimestamps;
  const outcome = runVerifier({
    entity,
    material: trust,
    thresholds: keyless
      ? {
          tlog: keyless.insecureIgnoreTlog ? 0 : 1,
          ctlog: keyless.insecureIgnoreSct ? 0 : 1,
          timestamp: judgeAtNow ? 0 : 1,
        }
      : { tlog: 'key' in signer && signer.requireTlog ? 1 : 0, ctlog: 0, timestamp: 0 },
    judgeAtNowWithoutTimestamps: judgeAtNow,
    ...(options.now && { now: options.now }),
  });
  if (!outcome.ok) return fail(outcome.code, outcome.reason);
  if (entity.tlogEntries.length > 0) {
    tlog = {
      status: 'verified',
      detail: entity.tlogEntries
        .map((entry) => {
          const log = trust.tlogs.find((candidate) =>
            candidate.logID.equals(entry.logId?.keyId ?? Buffer.alloc(0)),
          );
          return `${entry.kindVersion?.kind ?? '?'} ${entry.kindVersion?.version ?? '?'} entry ${entry.logIndex} in ${log?.baseURL ?? 'a trusted log'}`;
        })
        .join('; '),
    };
  }

  let signerInfo: BundleVerification['signer'] = { kind: 'key' };
  let reason = 'signed with the given key';
  if (keyless && entity.key.$case === 'certificate') {
    const leaf = entity.key.certificate;
    const identity = certificateIdentity(leaf);
    const match = matchIdentities(identity, keyless.identities, keyless.github);
    if (!match.ok) return fail(match.code, match.reason);
    const names = describeCertificate(leaf.root.toDER());
    signerInfo = {
      kind: 'certificate',
      identity,
      certificate: {
        subject: names.subject,
        issuer: names.issuer,
        notBefore: leaf.notBefore.toISOString(),
        notAfter: leaf.notAfter.toISOString(),
      },
    };
    reason = `signed by ${identity.subjects[0] ?? names.subject} (issuer ${identity.issuer ?? 'none'})`;
  }

  if (statement !== undefined && subjectsNaming(statement, `sha256:${artifactSha256}`).length === 0)
    return fail(
      'DIGEST_MISMATCH',
      `the signed in-toto statement has no subject with sha256:${artifactSha256} (subjects: ${statement.subject
        .map((subject) => `${subject.name ?? '?'}=${subject.digest.sha256 ?? '(no sha256)'}`)
        .join(', ')})`,
    );

  return {
    verified: true,
    reason: tlog.status === 'verified' ? `${reason}; ${tlog.detail}` : reason,
    signer: signerInfo,
    tlog,
    judgedAt: keyless ? outcome.judgedAt : [],
    warnings: [...warnings],
    bundle: described,
    ...(statement && { statement }),
  };
}

/** A message signature checked against the message digest alone (the artifact was given as a digest). */
function prehashedMessage(
  digest: Buffer,
  signature: Buffer,
  hash: 'sha256' | 'sha384' | 'sha512',
): SignedEntity['signature'] {
  return {
    signature,
    compareSignature: (other) => sigstoreCrypto.bufferEqual(other, signature),
    compareDigest: (other) => sigstoreCrypto.bufferEqual(other, digest),
    verifySignature: (key) => verifyPrehashed(key, hash, digest, signature) === 'valid',
  };
}
