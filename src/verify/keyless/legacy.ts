import { createHash, type KeyObject } from 'node:crypto';
import { RFC3161Timestamp, crypto as sigstoreCrypto, type X509Certificate } from '@sigstore/core';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { SignedEntity } from '@sigstore/verify';
import {
  CosignAnnotation,
  type DsseEnvelope,
  decodeBase64,
  envelopeStatement,
  type InTotoStatement,
  missingAnnotations,
  parseDsseEnvelope,
  parseRekorBundle,
  parseSimpleSigningPayload,
  preAuthEncoding,
  type RekorBundle,
  SignatureError,
  subjectsNaming,
} from '../../signature/index.js';
import { predicateTypeMismatch } from '../check.js';
import type { TransparencyLogOutcome } from '../outcome.js';
import { toTransparencyLogEntry, trustedRekorLogs, verifyRekorBundle } from '../tlog/rekor-set.js';
import { trustMaterialFor } from '../trust/material.js';
import { type ParsedCertificate, parseCertificatesPem } from '../trust/pem.js';
import { certificateIdentity, describeCertificate } from './certificate.js';
import { runVerifier } from './engine.js';
import { matchIdentities } from './identity.js';
import { withChainIntermediates } from './intermediates.js';
import { compileKeylessPolicy, type KeylessPolicy } from './policy.js';
import { failed, type KeylessFailureCode, type KeylessVerification } from './result.js';

/**
 * One keyless cosign signature or attestation as found in a `.sig` / `.att` manifest layer: the blob
 * and the parts of its annotations that keyless verification reads.
 */
export interface LegacyKeylessSignature {
  /** The layer blob: the simple-signing payload (`.sig`), or the DSSE envelope (`.att`). */
  payload: Uint8Array;
  /** Base64 signature (`dev.cosignproject.cosign/signature`); empty on attestations (it is in the envelope). */
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
  /** The image manifest digest (`sha256:…`) the payload (or statement subject) must name; checked when given. */
  expectedDigest?: string;
  /** `-a key=value`: each must be in the simple-signing payload's `optional` (signatures only). */
  annotations?: Readonly<Record<string, string>>;
  /** The current time, for certificates judged "now" (tests pin it). */
  now?: Date;
}

export interface LegacyAttestationVerifyOptions extends Omit<LegacyVerifyOptions, 'annotations'> {
  /** The predicate type the statement must have; checked when given. */
  predicateType?: string;
}

export interface LegacyAttestationVerification extends KeylessVerification {
  /** The signed statement (present when verified). */
  statement?: InTotoStatement;
}

/**
 * Picks the keyless parts out of a layer's annotations; undefined when the layer carries no
 * certificate (a key-signed layer is not keyless).
 */
export function legacyKeylessFromAnnotations(
  payload: Uint8Array,
  annotations: Readonly<Record<string, string>>,
): LegacyKeylessSignature | undefined {
  const certificate = annotations[CosignAnnotation.CERTIFICATE];
  if (certificate === undefined || certificate === '') return undefined;
  const signature: LegacyKeylessSignature = {
    payload,
    signature: annotations[CosignAnnotation.SIGNATURE] ?? '',
    certificate,
  };
  const chain = annotations[CosignAnnotation.CHAIN];
  const bundle = annotations[CosignAnnotation.REKOR_BUNDLE];
  const timestamp = annotations[CosignAnnotation.RFC3161_TIMESTAMP];
  if (chain) signature.chain = chain;
  if (bundle) signature.rekorBundle = bundle;
  if (timestamp) signature.rfc3161Timestamp = timestamp;
  return signature;
}

/**
 * Verifies a keyless cosign signature (a `.sig` layer) with cosign's rules, offline: the certificate
 * chains to a trusted CA; its identity and issuer match the policy; its SCT verifies against a trusted
 * CT log (unless ignored); the Rekor SET verifies with the trusted Rekor key chosen by log ID and the
 * logged entry is this signature, certificate and payload hash (unless ignored); the certificate was
 * valid at the integrated time (or at a trusted RFC 3161 time, or now when neither is used); the
 * signature verifies over the payload; the payload names the expected digest and carries the wanted
 * annotations. Never throws for a bad signature — every failure is a result with its own code; it
 * throws only for an invalid policy.
 */
export function verifyLegacyKeyless(
  input: LegacyKeylessSignature,
  policy: KeylessPolicy,
  options: LegacyVerifyOptions,
): KeylessVerification {
  return verifyLegacyLayer(input, policy, options, () => {
    let signature: Buffer;
    try {
      // Go's base64 decoder (and so cosign) skips line breaks; cosign writes RSA signatures wrapped.
      signature = decodeBase64(input.signature, 'signature annotation');
    } catch {
      signature = Buffer.alloc(0);
    }
    if (signature.length === 0)
      return { code: 'MALFORMED', reason: 'signature annotation is empty or not base64' };
    const payload = Buffer.from(input.payload);
    return {
      signature,
      logged: { kind: 'payload', bytes: payload },
      content: payloadSignature(payload, signature),
      claims: () => payloadClaims(payload, options),
    };
  });
}

/**
 * Verifies a keyless cosign attestation (an `.att` layer: a DSSE envelope, with the certificate, chain
 * and Rekor bundle in the layer annotations) with the same rules as `verifyLegacyKeyless`: the
 * envelope's signature over its pre-authentication encoding takes the place of the payload signature,
 * the Rekor entry (intoto or dsse) must record it, and the in-toto statement must name the expected
 * digest and have the predicate type.
 */
export function verifyLegacyKeylessAttestation(
  input: LegacyKeylessSignature,
  policy: KeylessPolicy,
  options: LegacyAttestationVerifyOptions,
): LegacyAttestationVerification {
  let statement: InTotoStatement | undefined;
  const result: LegacyAttestationVerification = verifyLegacyLayer(input, policy, options, (leafKey) => {
    let envelope: DsseEnvelope;
    try {
      envelope = parseDsseEnvelope(input.payload, 'the attestation envelope');
    } catch (error) {
      if (error instanceof SignatureError) return { code: 'MALFORMED', reason: error.message };
      throw error;
    }
    const pae = preAuthEncoding(envelope.payloadType, envelope.payload);
    // An envelope may carry several signatures; the one made with the certificate's key is judged (a
    // lone signature is judged as it is: the verifier checks it below).
    const signature =
      (envelope.signatures.length > 1
        ? envelope.signatures.find((entry) => sigstoreCrypto.verify(pae, leafKey, entry.sig))?.sig
        : undefined) ?? (envelope.signatures[0] as { sig: Buffer }).sig;
    return {
      signature,
      logged: { kind: 'dsse', envelope },
      content: dsseSignature(envelope, pae, signature),
      claims: () => {
        const checked = statementClaims(envelope, options);
        if (!('statement' in checked)) return checked;
        statement = checked.statement;
        return undefined;
      },
    };
  });
  if (result.verified && statement) result.statement = statement;
  return result;
}

/** What differs between a `.sig` and an `.att` layer; everything else is verified the same way. */
interface SignedContent {
  signature: Buffer;
  /** What the Rekor entry must record. */
  logged: { kind: 'payload'; bytes: Uint8Array } | { kind: 'dsse'; envelope: DsseEnvelope };
  /** The signature as @sigstore/verify checks it. */
  content: SignedEntity['signature'];
  /** The claims of the signed content; a failure, or undefined when they hold. */
  claims(): Failure | undefined;
}

/** Rekor entry kinds whose body @sigstore/verify 3.1 can check (it checks again what vouch checked). */
const VERIFIER_READS = new Set(['hashedrekord 0.0.1', 'intoto 0.0.2', 'dsse 0.0.1']);

type Failure = { code: KeylessFailureCode; reason: string; otherPredicateType?: string };

function verifyLegacyLayer(
  input: LegacyKeylessSignature,
  policy: KeylessPolicy,
  options: LegacyVerifyOptions | LegacyAttestationVerifyOptions,
  signedBy: (leafKey: KeyObject) => SignedContent | Failure,
): KeylessVerification {
  const compiled = compileKeylessPolicy(policy);
  const warnings = compiled.warnings;
  let tlog: TransparencyLogOutcome = compiled.insecureIgnoreTlog
    ? { status: 'ignored', detail: '--insecure-ignore-tlog' }
    : { status: 'not-checked' };
  const fail = (code: KeylessFailureCode, reason: string) => failed(code, reason, { tlog, warnings });

  // Parse everything first: malformed material is its own failure, before any cryptography.
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
  const signed = signedBy(sigstoreCrypto.createPublicKey(leaf.certificate.publicKey, 'spki'));
  if ('code' in signed) return fail(signed.code, signed.reason);

  const entity: SignedEntity = {
    key: { $case: 'certificate', certificate: leaf.certificate },
    signature: signed.content,
    tlogEntries: [],
    timestamps: [],
  };
  const material = withChainIntermediates(trustMaterialFor(options.trustedRoot), chain);
  let tlogThreshold = 0;

  if (!compiled.insecureIgnoreTlog) {
    if (input.rekorBundle === undefined)
      return fail(
        'TLOG_MISSING',
        'signature has no Rekor bundle (dev.sigstore.cosign/bundle): it was not logged in a transparency log (use --insecure-ignore-tlog to accept that)',
      );
    let bundle: RekorBundle;
    try {
      bundle = parseRekorBundle(input.rekorBundle);
    } catch (error) {
      if (error instanceof SignatureError) return fail('MALFORMED', error.message);
      throw error;
    }
    const logged = verifyRekorBundle({
      bundle,
      rekorKeys: trustedRekorLogs(material.tlogs),
      signature: signed.signature,
      signer: { certificate: leaf.der },
      signed: signed.logged,
    });
    if (!logged.ok) return fail(logged.code, logged.reason);
    const entry = toTransparencyLogEntry(bundle, { kind: logged.kind, version: logged.version });
    if (VERIFIER_READS.has(`${logged.kind} ${logged.version}`)) {
      entity.tlogEntries.push(entry);
      tlogThreshold = 1;
    }
    // The integrated time bounds the certificate's validity; its SET was verified above.
    entity.timestamps.push({ $case: 'transparency-log', tlogEntry: entry });
    tlog = {
      status: 'verified',
      detail: `Rekor entry ${logged.logIndex} in ${logged.log.baseUrl || logged.logId}, integrated at ${logged.integratedTime.toISOString()}`,
    };
  }

  if (compiled.useSignedTimestamps) {
    const timestamp = parseTimestampAnnotation(input.rfc3161Timestamp);
    if ('code' in timestamp) return fail(timestamp.code, timestamp.reason);
    entity.timestamps.push({ $case: 'timestamp-authority', timestamp: timestamp.value });
  }

  const outcome = runVerifier({
    entity,
    material,
    thresholds: {
      tlog: tlogThreshold,
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

  const claims = signed.claims();
  if (claims)
    return {
      ...fail(claims.code, claims.reason),
      ...(claims.otherPredicateType !== undefined && { otherPredicateType: claims.otherPredicateType }),
    };

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

function parseTimestampAnnotation(
  text: string | undefined,
): { value: RFC3161Timestamp } | { code: KeylessFailureCode; reason: string } {
  if (text === undefined)
    return {
      code: 'TIMESTAMP_MISSING',
      reason: 'signature has no RFC 3161 timestamp (dev.sigstore.cosign/rfc3161timestamp)',
    };
  let encoded: unknown;
  try {
    encoded = (JSON.parse(text) as { SignedRFC3161Timestamp?: unknown } | null)?.SignedRFC3161Timestamp;
  } catch {
    encoded = undefined;
  }
  let der: Buffer;
  try {
    if (typeof encoded !== 'string') throw new TypeError('no SignedRFC3161Timestamp');
    der = decodeBase64(encoded, 'SignedRFC3161Timestamp');
  } catch {
    return { code: 'MALFORMED', reason: 'RFC 3161 timestamp annotation is malformed' };
  }
  try {
    const timestamp = RFC3161Timestamp.parse(Buffer.from(der));
    void timestamp.signingTime;
    return { value: timestamp };
  } catch {
    return { code: 'MALFORMED', reason: 'RFC 3161 timestamp is not a DER TimeStampResp' };
  }
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

/** A DSSE signature: over the pre-authentication encoding; logs record the payload's digest. */
function dsseSignature(envelope: DsseEnvelope, pae: Buffer, signature: Buffer): SignedEntity['signature'] {
  const digest = createHash('sha256').update(envelope.payload).digest();
  return {
    signature,
    compareSignature: (other) => sigstoreCrypto.bufferEqual(other, signature),
    compareDigest: (other) => sigstoreCrypto.bufferEqual(other, digest),
    verifySignature: (key) => sigstoreCrypto.verify(pae, key, signature),
  };
}

/** The simple-signing payload names the expected digest and carries the wanted annotations. */
function payloadClaims(payload: Buffer, options: LegacyVerifyOptions): Failure | undefined {
  const wanted = options.annotations ?? {};
  if (options.expectedDigest === undefined && Object.keys(wanted).length === 0) return undefined;
  let claims: ReturnType<typeof parseSimpleSigningPayload>;
  try {
    claims = parseSimpleSigningPayload(payload);
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    return {
      code: 'DIGEST_MISMATCH',
      reason: `payload does not name an image digest (critical.image.docker-manifest-digest): ${error.message}`,
    };
  }
  if (options.expectedDigest !== undefined && claims.digest !== options.expectedDigest)
    return {
      code: 'DIGEST_MISMATCH',
      reason: `payload names ${claims.digest}, not the image being verified (${options.expectedDigest})`,
    };
  const missing = missingAnnotations(claims.optional, wanted);
  if (missing.length)
    return { code: 'ANNOTATION_MISMATCH', reason: `annotation mismatch: wanted ${missing.join(', ')}` };
  return undefined;
}

/** The envelope holds an in-toto statement naming the expected digest, with the wanted predicate type. */
function statementClaims(
  envelope: DsseEnvelope,
  options: LegacyAttestationVerifyOptions,
): { statement: InTotoStatement } | Failure {
  let statement: InTotoStatement;
  try {
    statement = envelopeStatement(envelope);
  } catch (error) {
    if (error instanceof SignatureError) return { code: 'MALFORMED', reason: error.message };
    throw error;
  }
  if (options.expectedDigest !== undefined && subjectsNaming(statement, options.expectedDigest).length === 0)
    return {
      code: 'DIGEST_MISMATCH',
      reason: `the statement's subjects do not name ${options.expectedDigest}`,
    };
  if (options.predicateType !== undefined && statement.predicateType !== options.predicateType)
    return {
      code: 'PREDICATE_MISMATCH',
      ...predicateTypeMismatch(statement.predicateType, options.predicateType),
    };
  return { statement };
}
