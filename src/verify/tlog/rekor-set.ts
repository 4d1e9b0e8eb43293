import { createHash, X509Certificate } from 'node:crypto';
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
import type { RekorKey } from '../authority.js';

// canonicalize is CommonJS (`module.exports = fn`) but its typings declare an ES default export.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** What a Rekor entry must record for it to vouch for one signature. */
export interface RekorSetInput {
  /** cosign's `dev.sigstore.cosign/bundle` annotation, parsed. */
  bundle: RekorBundle;
  /** Trusted Rekor keys; the entry's log ID picks one. */
  rekorKeys: readonly RekorKey[];
  /** The raw signature bytes the entry must record. */
  signature: Uint8Array;
  /**
   * Who must have signed according to the entry: a public key (key authorities), or a certificate
   * (keyless: the entry must hold this very certificate).
   */
  signer: { publicKey: PublicKey } | { certificate: Uint8Array };
  /**
   * What was signed: the payload bytes (a `hashedrekord` entry records their SHA-256), or a DSSE
   * envelope (an `intoto` or `dsse` entry records its payload's hash and signature).
   */
  signed: { kind: 'payload'; bytes: Uint8Array } | { kind: 'dsse'; envelope: DsseEnvelope };
}

export type RekorSetResult =
  | { ok: true; logIndex: number; logId: string; integratedTime: Date }
  | { ok: false; reason: string };

/**
 * Verifies a Rekor bundle offline, as cosign does: the signed entry timestamp (SET) is a signature by
 * the Rekor key named by the log ID over the RFC 8785 canonical JSON of {body, integratedTime,
 * logIndex, logID}; and the entry's body records this signature, this signer and the hash of what
 * was signed. Supported entry kinds: hashedrekord 0.0.1, intoto 0.0.1/0.0.2, dsse 0.0.1.
 */
export function verifyRekorBundle(input: RekorSetInput): RekorSetResult {
  const { payload } = input.bundle;
  const rekor = input.rekorKeys.find((key) => key.logId === payload.logID);
  if (!rekor)
    return {
      ok: false,
      reason: `the Rekor entry is from log ${payload.logID.slice(0, 16)}…, which is not a trusted Rekor key`,
    };
  const signed = canonicalize({
    body: payload.body,
    integratedTime: payload.integratedTime,
    logIndex: payload.logIndex,
    logID: payload.logID,
  });
  if (
    signed === undefined ||
    !verifyWith(rekor.key, Buffer.from(signed, 'utf8'), input.bundle.signedEntryTimestamp)
  )
    return { ok: false, reason: 'the Rekor signed entry timestamp does not verify with the Rekor key' };
  let problem: string | undefined;
  try {
    problem = checkBody(input);
  } catch (error) {
    problem = error instanceof SignatureError ? error.message : `the Rekor entry body is malformed`;
  }
  if (problem) return { ok: false, reason: problem };
  return {
    ok: true,
    logIndex: payload.logIndex,
    logId: payload.logID,
    integratedTime: new Date(payload.integratedTime * 1000),
  };
}

type Json = Record<string, unknown>;

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

/** Returns why the body does not match, or undefined when it does. */
function checkBody(input: RekorSetInput): string | undefined {
  const bodyBytes = decodeBase64(input.bundle.payload.body, 'the Rekor entry body');
  let body: Json;
  try {
    body = object(JSON.parse(bodyBytes.toString('utf8')), 'entry');
  } catch {
    return 'the Rekor entry body is not JSON';
  }
  const kind = `${String(body.kind)} ${String(body.apiVersion)}`;
  const spec = object(body.spec, 'spec');
  switch (kind) {
    case 'hashedrekord 0.0.1':
      return checkHashedRekord(spec, input);
    case 'intoto 0.0.2':
      return checkIntotoV2(spec, input);
    case 'intoto 0.0.1':
      return checkIntotoV1(spec, input);
    case 'dsse 0.0.1':
      return checkDsse(spec, input);
    default:
      return `the Rekor entry is of kind ${kind}, which vouch does not check`;
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function checkHash(hash: Json, expected: Uint8Array, what: string): string | undefined {
  if (hash.algorithm !== 'sha256')
    return `the Rekor entry hashes ${what} with ${String(hash.algorithm)}, not sha256`;
  return string(hash.value, `${what} hash`).toLowerCase() === sha256Hex(expected)
    ? undefined
    : `the Rekor entry records another ${what} (its hash differs)`;
}

function checkHashedRekord(spec: Json, input: RekorSetInput): string | undefined {
  if (input.signed.kind !== 'payload') return 'a hashedrekord entry cannot vouch for a DSSE envelope';
  const signature = object(spec.signature, 'spec.signature');
  const recorded = decodeBase64(
    string(signature.content, 'spec.signature.content'),
    'the recorded signature',
  );
  if (!recorded.equals(Buffer.from(input.signature))) return 'the Rekor entry records a different signature';
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

function checkIntotoV2(spec: Json, input: RekorSetInput): string | undefined {
  if (input.signed.kind !== 'dsse') return 'an intoto entry cannot vouch for a simple-signing payload';
  const content = object(spec.content, 'spec.content');
  const envelope = object(content.envelope, 'spec.content.envelope');
  const signatures = envelope.signatures;
  if (!Array.isArray(signatures)) return 'the Rekor entry records no signatures';
  const mine = Buffer.from(input.signature);
  const matching = signatures.find((entry) => {
    const recorded = decodeBase64(
      string(object(entry, 'signature').sig, 'signature sig'),
      'recorded signature',
    );
    // Rekor stores the envelope's base64 signature text base64-encoded once more.
    return recorded.equals(mine) || recorded.toString('utf8') === mine.toString('base64');
  }) as Json | undefined;
  if (!matching) return 'the Rekor entry records a different signature';
  const signer = checkSigner(string(matching.publicKey, 'signature publicKey'), input);
  if (signer) return signer;
  return checkHash(
    object(content.payloadHash, 'spec.content.payloadHash'),
    input.signed.envelope.payload,
    'payload',
  );
}

function checkIntotoV1(spec: Json, input: RekorSetInput): string | undefined {
  if (input.signed.kind !== 'dsse') return 'an intoto entry cannot vouch for a simple-signing payload';
  const signer = checkSigner(string(spec.publicKey, 'spec.publicKey'), input);
  if (signer) return signer;
  const content = object(spec.content, 'spec.content');
  return checkHash(
    object(content.payloadHash, 'spec.content.payloadHash'),
    input.signed.envelope.payload,
    'payload',
  );
}

function checkDsse(spec: Json, input: RekorSetInput): string | undefined {
  if (input.signed.kind !== 'dsse') return 'a dsse entry cannot vouch for a simple-signing payload';
  const signatures = spec.signatures;
  if (!Array.isArray(signatures)) return 'the Rekor entry records no signatures';
  const mine = Buffer.from(input.signature);
  const matching = signatures.find((entry) =>
    decodeBase64(string(object(entry, 'signature').signature, 'signature'), 'recorded signature').equals(
      mine,
    ),
  ) as Json | undefined;
  if (!matching) return 'the Rekor entry records a different signature';
  const signer = checkSigner(string(matching.verifier, 'signature verifier'), input);
  if (signer) return signer;
  return checkHash(object(spec.payloadHash, 'spec.payloadHash'), input.signed.envelope.payload, 'payload');
}

/** `recorded` is the base64 of a PEM public key or certificate. */
function checkSigner(recorded: string, input: RekorSetInput): string | undefined {
  const pem = decodeBase64(recorded, 'the recorded signer').toString('utf8');
  if (pem.includes('-----BEGIN CERTIFICATE-----')) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(pem);
    } catch {
      return 'the Rekor entry records an unreadable certificate';
    }
    if ('certificate' in input.signer)
      return certificate.raw.equals(Buffer.from(input.signer.certificate))
        ? undefined
        : 'the Rekor entry records a different certificate';
    return sameKey(publicKeyFromKeyObject(certificate.publicKey), input.signer.publicKey)
      ? undefined
      : 'the Rekor entry records a different signing key';
  }
  if ('certificate' in input.signer) return 'the Rekor entry records a key, not the signing certificate';
  let key: PublicKey;
  try {
    key = parsePublicKey(pem, 'the recorded key');
  } catch {
    return 'the Rekor entry records an unreadable key';
  }
  return sameKey(key, input.signer.publicKey) ? undefined : 'the Rekor entry records a different signing key';
}
