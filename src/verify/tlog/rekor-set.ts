import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import canonicalizeModule from 'canonicalize';
import {
  type DsseEnvelope,
  decodeBase64,
  type PublicKey,
  parsePublicKey,
  publicKeyFromKeyObject,
  type RekorBundle,
  SignatureError,
  sameKey,
  verifyWith,
} from '../../signature/index.js';

// canonicalize is CommonJS (`module.exports = fn`) but its typings declare an ES default export.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/**
 * A Rekor log whose signed entry timestamps are trusted: a `--rekor-key` (then `validFor` is absent:
 * always trusted) or a transparency log of a trusted root (trusted from `validFor.start` to `.end`).
 */
export interface TrustedRekorLog {
  /** Hex log ID, as Rekor entries name their log (SHA-256 of the key's DER SubjectPublicKeyInfo). */
  logId: string;
  key: PublicKey;
  validFor?: { start: Date; end: Date };
  /** The log's URL, for messages. */
  baseUrl?: string;
}

/** What a Rekor entry must record for it to vouch for one signature. */
export interface RekorSetInput {
  /** cosign's `dev.sigstore.cosign/bundle` annotation, parsed. */
  bundle: RekorBundle;
  /** Trusted Rekor logs; the entry's log ID picks one. */
  rekorKeys: readonly TrustedRekorLog[];
  /** The raw signature bytes the entry must record. */
  signature: Uint8Array;
  /**
   * Who must have signed according to the entry: a public key (key authorities), or a certificate
   * (keyless: the entry must hold this very certificate, or its public key).
   */
  signer: { publicKey: PublicKey } | { certificate: Uint8Array };
  /**
   * What was signed: the payload bytes (a `hashedrekord` entry records their SHA-256), or a DSSE
   * envelope (an `intoto` or `dsse` entry records its payload's hash and signature).
   */
  signed: { kind: 'payload'; bytes: Uint8Array } | { kind: 'dsse'; envelope: DsseEnvelope };
}

/** Why a Rekor bundle does not vouch for a signature, one code per cause. */
export type RekorSetFailureCode =
  /** The entry's log is not a trusted one, or its key was not trusted at the integrated time. */
  | 'TLOG_UNTRUSTED'
  /** The signed entry timestamp does not verify with the log's key. */
  | 'SET_INVALID'
  /** The entry records another signature, signer or payload. */
  | 'TLOG_BODY_MISMATCH'
  /** The entry's body cannot be read. */
  | 'MALFORMED'
  /** An entry kind vouch does not check. */
  | 'UNSUPPORTED';

export type RekorSetResult =
  | {
      ok: true;
      logIndex: number;
      logId: string;
      integratedTime: Date;
      /** The trusted log whose key signed the SET. */
      log: TrustedRekorLog;
      /** The entry's kind and API version (`hashedrekord` `0.0.1`, …). */
      kind: string;
      version: string;
    }
  | { ok: false; code: RekorSetFailureCode; reason: string };

/**
 * Verifies a Rekor bundle offline, as cosign does: the signed entry timestamp (SET) is a signature by
 * the trusted log named by the log ID (never by trying every key), whose key was trusted at the
 * integrated time, over the RFC 8785 canonical JSON of {body, integratedTime, logIndex, logID}; and
 * the entry's body records this signature, this signer and the hash of what was signed. A valid SET
 * over some other entry proves nothing. Supported entry kinds: hashedrekord 0.0.1, intoto 0.0.1 and
 * 0.0.2, dsse 0.0.1. Used by key and keyless verification alike.
 */
export function verifyRekorBundle(input: RekorSetInput): RekorSetResult {
  const { payload } = input.bundle;
  const logId = payload.logID.toLowerCase();
  const candidates = input.rekorKeys.filter((log) => log.logId.toLowerCase() === logId);
  if (candidates.length === 0)
    return {
      ok: false,
      code: 'TLOG_UNTRUSTED',
      reason: `the Rekor entry is from log ${payload.logID}, which is not a trusted Rekor key`,
    };
  const integratedTime = new Date(payload.integratedTime * 1000);
  const current = candidates.filter(
    (log) => !log.validFor || (log.validFor.start <= integratedTime && integratedTime <= log.validFor.end),
  );
  if (current.length === 0)
    return {
      ok: false,
      code: 'TLOG_UNTRUSTED',
      reason: `the key of Rekor log ${payload.logID} is not trusted for entries integrated at ${integratedTime.toISOString()}`,
    };
  const signed = canonicalize({
    body: payload.body,
    integratedTime: payload.integratedTime,
    logIndex: payload.logIndex,
    logID: payload.logID,
  });
  const log =
    signed === undefined
      ? undefined
      : current.find((candidate) =>
          verifyWith(candidate.key, Buffer.from(signed, 'utf8'), input.bundle.signedEntryTimestamp),
        );
  if (!log)
    return {
      ok: false,
      code: 'SET_INVALID',
      reason:
        'the Rekor signed entry timestamp does not verify with the Rekor key: the entry was altered or not signed by that log',
    };
  let checked: BodyCheck;
  try {
    checked = checkBody(input);
  } catch (error) {
    checked = {
      code: 'MALFORMED',
      reason: error instanceof SignatureError ? error.message : 'the Rekor entry body is malformed',
    };
  }
  if ('code' in checked) return { ok: false, ...checked };
  return {
    ok: true,
    logIndex: payload.logIndex,
    logId,
    integratedTime,
    log,
    kind: checked.kind,
    version: checked.version,
  };
}

/**
 * The annotation as the protobuf entry @sigstore/verify consumes: an inclusion promise (the SET), no
 * inclusion proof. Call it only with a bundle `verifyRekorBundle` accepted.
 */
export function toTransparencyLogEntry(
  bundle: RekorBundle,
  kindVersion: { kind: string; version: string },
): TransparencyLogEntry {
  return {
    logIndex: String(bundle.payload.logIndex),
    logId: { keyId: Buffer.from(bundle.payload.logID, 'hex') },
    kindVersion,
    integratedTime: String(bundle.payload.integratedTime),
    inclusionPromise: { signedEntryTimestamp: bundle.signedEntryTimestamp },
    inclusionProof: undefined,
    canonicalizedBody: Buffer.from(bundle.payload.body, 'base64'),
  };
}

/** The transparency logs of a trusted root as `verifyRekorBundle` takes them (logs whose key vouch cannot use are left out). */
export function trustedRekorLogs(tlogs: readonly TrustedRootLog[]): TrustedRekorLog[] {
  // The same trust material serves every signature it verifies: convert its keys once.
  const known = converted.get(tlogs);
  if (known !== undefined) return known;
  const logs: TrustedRekorLog[] = [];
  for (const log of tlogs) {
    try {
      logs.push({
        logId: log.logID.toString('hex'),
        key: publicKeyFromKeyObject(log.publicKey, `transparency log ${log.baseURL}`),
        validFor: log.validFor,
        baseUrl: log.baseURL,
      });
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
    }
  }
  converted.set(tlogs, logs);
  return logs;
}

interface TrustedRootLog {
  logID: Buffer;
  publicKey: KeyObject;
  validFor: { start: Date; end: Date };
  baseURL: string;
}

const converted = new WeakMap<readonly TrustedRootLog[], TrustedRekorLog[]>();

type BodyCheck = { kind: string; version: string } | { code: RekorSetFailureCode; reason: string };
type Json = Record<string, unknown>;

const mismatch = (reason: string): BodyCheck => ({ code: 'TLOG_BODY_MISMATCH', reason });

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SignatureError('INVALID_BUNDLE', `the Rekor entry body has no ${path}`);
  return value as Json;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string')
    throw new SignatureError('INVALID_BUNDLE', `the Rekor entry body has no ${path}`);
  return value;
}

function checkBody(input: RekorSetInput): BodyCheck {
  const bodyBytes = decodeBase64(input.bundle.payload.body, 'the Rekor entry body');
  let body: Json;
  try {
    body = object(JSON.parse(bodyBytes.toString('utf8')), 'entry');
  } catch {
    return { code: 'MALFORMED', reason: 'the Rekor entry body is not JSON' };
  }
  const kind = String(body.kind);
  const version = String(body.apiVersion);
  const spec = () => object(body.spec, 'spec');
  let problem: BodyCheck | undefined;
  switch (`${kind} ${version}`) {
    case 'hashedrekord 0.0.1':
      problem = checkHashedRekord(spec(), input);
      break;
    case 'intoto 0.0.2':
      problem = checkIntotoV2(spec(), input);
      break;
    case 'intoto 0.0.1':
      problem = checkIntotoV1(spec(), input);
      break;
    case 'dsse 0.0.1':
      problem = checkDsse(spec(), input);
      break;
    default:
      return {
        code: 'UNSUPPORTED',
        reason: `the Rekor entry is of kind ${kind} ${version}, which vouch does not check`,
      };
  }
  return problem ?? { kind, version };
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function checkHash(hash: Json, expected: Uint8Array, what: string): BodyCheck | undefined {
  if (hash.algorithm !== 'sha256')
    return mismatch(`the Rekor entry hashes the ${what} with ${String(hash.algorithm)}, not sha256`);
  return string(hash.value, `${what} hash`).toLowerCase() === sha256Hex(expected)
    ? undefined
    : mismatch(`the Rekor entry records another ${what} hash`);
}

function checkHashedRekord(spec: Json, input: RekorSetInput): BodyCheck | undefined {
  if (input.signed.kind !== 'payload')
    return mismatch('a hashedrekord entry cannot vouch for a DSSE envelope');
  const signature = object(spec.signature, 'spec.signature');
  const recorded = decodeBase64(
    string(signature.content, 'spec.signature.content'),
    'the recorded signature',
  );
  if (!recorded.equals(Buffer.from(input.signature)))
    return mismatch('the Rekor entry records a different signature');
  const signer = checkSigner(
    string(object(signature.publicKey, 'spec.signature.publicKey').content, 'key'),
    input,
  );
  if (signer) return signer;
  return checkHash(
    object(object(spec.data, 'spec.data').hash, 'spec.data.hash'),
    input.signed.bytes,
    'payload',
  );
}

function checkIntotoV2(spec: Json, input: RekorSetInput): BodyCheck | undefined {
  if (input.signed.kind !== 'dsse')
    return mismatch('an intoto entry cannot vouch for a simple-signing payload');
  const content = object(spec.content, 'spec.content');
  const envelope = object(content.envelope, 'spec.content.envelope');
  const signatures = envelope.signatures;
  if (!Array.isArray(signatures)) return mismatch('the Rekor entry records no signatures');
  const mine = Buffer.from(input.signature);
  const matching = signatures.find((entry) => {
    const recorded = decodeBase64(
      string(object(entry, 'signature').sig, 'signature sig'),
      'recorded signature',
    );
    // Rekor stores the envelope's base64 signature text base64-encoded once more.
    return recorded.equals(mine) || recorded.toString('utf8') === mine.toString('base64');
  }) as Json | undefined;
  if (!matching) return mismatch('the Rekor entry records a different signature');
  const signer = checkSigner(string(matching.publicKey, 'signature publicKey'), input);
  if (signer) return signer;
  return checkHash(
    object(content.payloadHash, 'spec.content.payloadHash'),
    input.signed.envelope.payload,
    'payload',
  );
}

function checkIntotoV1(spec: Json, input: RekorSetInput): BodyCheck | undefined {
  if (input.signed.kind !== 'dsse')
    return mismatch('an intoto entry cannot vouch for a simple-signing payload');
  const signer = checkSigner(string(spec.publicKey, 'spec.publicKey'), input);
  if (signer) return signer;
  const content = object(spec.content, 'spec.content');
  return checkHash(
    object(content.payloadHash, 'spec.content.payloadHash'),
    input.signed.envelope.payload,
    'payload',
  );
}

function checkDsse(spec: Json, input: RekorSetInput): BodyCheck | undefined {
  if (input.signed.kind !== 'dsse') return mismatch('a dsse entry cannot vouch for a simple-signing payload');
  const signatures = spec.signatures;
  if (!Array.isArray(signatures)) return mismatch('the Rekor entry records no signatures');
  const mine = Buffer.from(input.signature);
  const matching = signatures.find((entry) =>
    decodeBase64(string(object(entry, 'signature').signature, 'signature'), 'recorded signature').equals(
      mine,
    ),
  ) as Json | undefined;
  if (!matching) return mismatch('the Rekor entry records a different signature');
  const signer = checkSigner(string(matching.verifier, 'signature verifier'), input);
  if (signer) return signer;
  return checkHash(object(spec.payloadHash, 'spec.payloadHash'), input.signed.envelope.payload, 'payload');
}

/**
 * `recorded` is the base64 of a PEM public key or certificate. A key authority's key matches a
 * recorded key or a certificate for that key; a keyless signer's certificate matches the same
 * certificate, or a recorded public key equal to the certificate's.
 */
function checkSigner(recorded: string, input: RekorSetInput): BodyCheck | undefined {
  const pem = decodeBase64(recorded, 'the recorded signer').toString('utf8');
  if (pem.includes('-----BEGIN CERTIFICATE-----')) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(pem);
    } catch {
      return { code: 'MALFORMED', reason: 'the Rekor entry records an unreadable certificate' };
    }
    if ('certificate' in input.signer)
      return certificate.raw.equals(Buffer.from(input.signer.certificate))
        ? undefined
        : mismatch('the Rekor entry records a different certificate');
    return sameKey(publicKeyFromKeyObject(certificate.publicKey), input.signer.publicKey)
      ? undefined
      : mismatch('the Rekor entry records a different signing key');
  }
  let key: PublicKey;
  try {
    key = parsePublicKey(pem, 'the recorded key');
  } catch {
    return { code: 'MALFORMED', reason: 'the Rekor entry records an unreadable key' };
  }
  if ('certificate' in input.signer) {
    const certificate = new X509Certificate(Buffer.from(input.signer.certificate));
    return sameKey(publicKeyFromKeyObject(certificate.publicKey), key)
      ? undefined
      : mismatch('the Rekor entry records a different certificate');
  }
  return sameKey(key, input.signer.publicKey)
    ? undefined
    : mismatch('the Rekor entry records a different signing key');
}
