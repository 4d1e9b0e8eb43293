import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { Encoder, Tag } from 'cbor-x';
import type { Descriptor } from '../../registry/index.js';
import { goJson } from '../encoding.js';
import { SignatureError } from '../errors.js';
import { parsePemBlocks } from '../keys/index.js';
import {
  type AlgorithmSpec,
  DEFAULT_NOTATION_LIMITS,
  type NotationEnvelopeMediaType,
  NotationHeader,
  NotationMediaType,
  NotationUnsignedHeader,
  type SigningScheme,
  VOUCH_SIGNING_AGENT,
} from './constants.js';
import { CoseLabel, cborHead, coseSigStructure } from './cose.js';
import type { ExtendedAttribute, NotationEnvelope } from './envelope.js';
import { algorithmForKey, signPrimitive, verifyEnvelopeIntegrity } from './integrity.js';
import { buildNotationSignatureManifest, rfc3339Seconds } from './manifest.js';
import { parseNotationEnvelope } from './parse.js';
import { buildNotationPayload, type TargetArtifact } from './payload.js';

/** What signing needs: a private key, its certificate chain, and the manifest to sign. */
export interface NotationSignRequest {
  readonly key: KeyObject;
  /** DER certificates, signing certificate first, then intermediates and the root. */
  readonly chain: readonly Buffer[];
  readonly target: TargetArtifact;
  readonly format: 'jws' | 'cose';
  /** Defaults to now. Truncated to whole seconds, as notation does. */
  readonly signingTime?: Date;
  /** Optional "best by use" time; truncated to whole seconds and after the signing time. */
  readonly expiry?: Date;
  readonly signingAgent?: string;
  /** Defaults to `notary.x509` (what `notation sign` uses with a local key). */
  readonly signingScheme?: SigningScheme;
}

/** The signed attributes of an envelope to write. */
export interface SignedAttributesToWrite {
  readonly algorithm: AlgorithmSpec;
  readonly scheme: SigningScheme;
  readonly signingTime: Date;
  readonly expiry?: Date | undefined;
  /** Additional signed attributes (`notation sign` writes none; conformance vectors have some). */
  readonly extended?: readonly ExtendedAttribute[];
}

export interface NotationSignature {
  readonly envelope: Buffer;
  readonly mediaType: NotationEnvelopeMediaType;
  /** The envelope as a verifier reads it back (signing re-parses and re-verifies what it wrote). */
  readonly parsed: NotationEnvelope;
  readonly signingTime: Date;
}

const wholeSeconds = (time: Date) => new Date(Math.floor(time.getTime() / 1000) * 1000);

/** Certificates from PEM text (`--certificate-chain`), leaf first, as DER; throws SignatureError. */
export function parseCertificateChainPem(text: string, what = 'certificate chain'): Buffer[] {
  const blocks = parsePemBlocks(text, what);
  if (blocks.length === 0) throw new SignatureError('INVALID_PEM', `${what} holds no certificate`);
  if (blocks.length > DEFAULT_NOTATION_LIMITS.maxChainLength)
    throw new SignatureError(
      'INVALID_PEM',
      `${what} holds ${blocks.length} certificates; the limit is ${DEFAULT_NOTATION_LIMITS.maxChainLength}`,
    );
  return blocks.map((block, index) => {
    if (block.type !== 'CERTIFICATE')
      throw new SignatureError(
        'INVALID_PEM',
        `${what} block ${index + 1} is a ${block.type}, not a CERTIFICATE`,
      );
    try {
      new X509Certificate(block.bytes);
    } catch (cause) {
      throw new SignatureError('INVALID_PEM', `${what} block ${index + 1} is not a valid X.509 certificate`, {
        cause,
      });
    }
    return block.bytes;
  });
}

/**
 * The algorithm to sign with, after the checks `notation sign` makes on its inputs: the first
 * certificate holds the private key's public half, and that key is one the specification allows.
 * (The certificate requirements of the specification are checked by the PKI validation.)
 */
export function signingAlgorithm(key: KeyObject, chain: readonly Buffer[]): AlgorithmSpec {
  const leaf = chain[0];
  if (leaf === undefined) throw new SignatureError('INVALID_KEY', 'the certificate chain is empty');
  const certificateKey = new X509Certificate(leaf).publicKey;
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  if (!spki(createPublicKey(key)).equals(spki(certificateKey)))
    throw new SignatureError(
      'INVALID_KEY',
      'the private key does not belong to the first certificate of the chain',
    );
  const algorithm = algorithmForKey(certificateKey);
  if (typeof algorithm === 'string')
    throw new SignatureError('UNSUPPORTED_KEY', `the signing key is ${algorithm}`);
  return algorithm;
}

/**
 * Signs a manifest as `notation sign` does with a local key: the payload, protected headers,
 * signing agent and chain it writes, in JWS (keys sorted as Go marshals a map) or COSE (CBOR map keys
 * in deterministic order, times as tag-1 epoch seconds). The envelope is parsed and verified again
 * before it is returned, as notation does.
 */
export async function signNotation(request: NotationSignRequest): Promise<NotationSignature> {
  const algorithm = signingAlgorithm(request.key, request.chain);
  const scheme = request.signingScheme ?? 'notary.x509';
  const signingTime = wholeSeconds(request.signingTime ?? new Date());
  const expiry = request.expiry && wholeSeconds(request.expiry);
  if (expiry && expiry.getTime() <= signingTime.getTime())
    throw new SignatureError('INVALID_PAYLOAD', 'the expiry must come after the signing time');
  const input: SigningInput = {
    ...request,
    algorithm,
    scheme,
    signingTime,
    expiry,
    agent: request.signingAgent ?? VOUCH_SIGNING_AGENT,
  };
  const envelope = request.format === 'jws' ? signJws(input) : signCose(input);
  const mediaType = request.format === 'jws' ? NotationMediaType.JWS : NotationMediaType.COSE;
  const parsed = parseNotationEnvelope(envelope, mediaType);
  const integrity = await verifyEnvelopeIntegrity(parsed);
  if (!integrity.ok)
    throw new SignatureError(
      'INVALID_ENVELOPE',
      `the signature just made does not verify: ${integrity.reason}`,
    );
  return { envelope, mediaType, parsed, signingTime };
}

interface SigningInput extends Omit<NotationSignRequest, 'signingTime' | 'expiry'>, SignedAttributesToWrite {
  readonly agent: string;
}

const timeLabel = (scheme: SigningScheme) =>
  scheme === 'notary.x509' ? NotationHeader.SIGNING_TIME : NotationHeader.AUTHENTIC_SIGNING_TIME;

/**
 * The JWS protected header notation writes, base64url-encoded: its critical list order, every key
 * sorted (Go marshals the header as a map), Go's JSON escaping.
 */
export function encodeJwsProtectedHeader(input: SignedAttributesToWrite): string {
  const crit: string[] = [NotationHeader.SIGNING_SCHEME];
  const header: Record<string, unknown> = {};
  for (const attribute of input.extended ?? []) {
    if (typeof attribute.name !== 'string')
      throw new SignatureError('INVALID_ENVELOPE', 'JWS attribute names must be text');
    header[attribute.name] = attribute.value;
    if (attribute.critical) crit.push(attribute.name);
  }
  if (input.scheme === 'notary.x509.signingAuthority') crit.push(NotationHeader.AUTHENTIC_SIGNING_TIME);
  if (input.expiry) crit.push(NotationHeader.EXPIRY);
  Object.assign(header, {
    alg: input.algorithm.name,
    cty: NotationMediaType.PAYLOAD,
    crit,
    [NotationHeader.SIGNING_SCHEME]: input.scheme,
    [timeLabel(input.scheme)]: rfc3339Seconds(input.signingTime),
    ...(input.expiry && { [NotationHeader.EXPIRY]: rfc3339Seconds(input.expiry) }),
  });
  const sorted = Object.fromEntries(
    Object.keys(header)
      .sort()
      .map((key) => [key, header[key]]),
  );
  return Buffer.from(goJson(sorted)).toString('base64url');
}

function signJws(input: SigningInput): Buffer {
  const protectedText = encodeJwsProtectedHeader(input);
  const payloadText = buildNotationPayload(input.target, 'jws').toString('base64url');
  const signature = signPrimitive(
    input.algorithm,
    input.key,
    Buffer.from(`${protectedText}.${payloadText}`, 'ascii'),
  );
  return Buffer.from(
    goJson({
      payload: payloadText,
      protected: protectedText,
      header: {
        [NotationUnsignedHeader.X5C]: input.chain.map((der) => der.toString('base64')),
        [NotationUnsignedHeader.SIGNING_AGENT]: input.agent,
      },
      signature: signature.toString('base64url'),
    }),
  );
}

// Plain CBOR: Maps as maps (no tag 259), no records, Buffers as byte strings.
const cbor = new Encoder({ mapsAsObjects: false, useRecords: false });

/**
 * A CBOR map in deterministic order (RFC 8949 section 4.2.1: keys sorted by their encoded bytes),
 * which is the order notation's encoder writes.
 */
export function deterministicCborMap(entries: readonly [string | number, unknown][]): Buffer {
  const encoded = entries.map(
    ([key, value]) => [Buffer.from(cbor.encode(key)), Buffer.from(cbor.encode(value))] as const,
  );
  encoded.sort(([a], [b]) => Buffer.compare(a, b));
  return Buffer.concat([cborHead(5, encoded.length), ...encoded.flat()]);
}

/** The COSE protected header notation writes, as its exact bytes. */
export function encodeCoseProtectedHeader(input: SignedAttributesToWrite): Buffer {
  const epoch = (time: Date) => new Tag(Math.floor(time.getTime() / 1000), 1);
  const crit: (string | number)[] = [NotationHeader.SIGNING_SCHEME];
  if (input.scheme === 'notary.x509.signingAuthority') crit.push(NotationHeader.AUTHENTIC_SIGNING_TIME);
  if (input.expiry) crit.push(NotationHeader.EXPIRY);
  const entries: [string | number, unknown][] = [
    [CoseLabel.ALG, input.algorithm.cose],
    [NotationHeader.SIGNING_SCHEME, input.scheme],
    [timeLabel(input.scheme), epoch(input.signingTime)],
  ];
  if (input.expiry) entries.push([NotationHeader.EXPIRY, epoch(input.expiry)]);
  for (const attribute of input.extended ?? []) {
    entries.push([attribute.name, attribute.value]);
    if (attribute.critical) crit.push(attribute.name);
  }
  entries.push([CoseLabel.CRIT, crit], [CoseLabel.CONTENT_TYPE, NotationMediaType.PAYLOAD]);
  return deterministicCborMap(entries);
}

function byteString(bytes: Uint8Array): Buffer {
  return Buffer.concat([cborHead(2, bytes.byteLength), bytes]);
}

/** A COSE_Sign1_Tagged message from its parts (the unprotected header as a deterministic map). */
export function coseSign1(parts: {
  protectedBytes: Buffer;
  unprotected: readonly [string | number, unknown][];
  payload: Buffer;
  signature: Buffer;
}): Buffer {
  return Buffer.concat([
    Buffer.from([0xd2]),
    cborHead(4, 4),
    byteString(parts.protectedBytes),
    deterministicCborMap(parts.unprotected),
    byteString(parts.payload),
    byteString(parts.signature),
  ]);
}

function signCose(input: SigningInput): Buffer {
  const protectedBytes = encodeCoseProtectedHeader(input);
  const payload = buildNotationPayload(input.target, 'cose');
  const signature = signPrimitive(input.algorithm, input.key, coseSigStructure(protectedBytes, payload));
  return coseSign1({
    protectedBytes,
    unprotected: [
      [CoseLabel.X5CHAIN, [...input.chain]],
      [NotationUnsignedHeader.SIGNING_AGENT, input.agent],
    ],
    payload,
    signature,
  });
}

/**
 * Signs an image manifest and builds the signature manifest to push as its referrer: the whole of
 * what `notation sign` makes. The caller pushes the envelope blob, then the manifest.
 */
export async function signNotationArtifact(
  request: Omit<NotationSignRequest, 'target'> & { subject: Descriptor },
): Promise<NotationSignature & { manifest: Buffer; layer: Descriptor; annotations: Record<string, string> }> {
  const target: TargetArtifact = {
    mediaType: request.subject.mediaType,
    digest: request.subject.digest,
    size: request.subject.size,
  };
  const signature = await signNotation({ ...request, target });
  const manifest = buildNotationSignatureManifest({
    envelope: signature.envelope,
    envelopeMediaType: signature.mediaType,
    subject: request.subject,
    chain: request.chain,
    signingTime: signature.signingTime,
  });
  return { ...signature, ...manifest };
}
