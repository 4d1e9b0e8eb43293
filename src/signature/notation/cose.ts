import { Decoder, Tag } from 'cbor-x';
import { SignatureError } from '../errors.js';
import { checkStrictCbor } from './cbor-strict.js';
import {
  algorithmByCoseLabel,
  DEFAULT_NOTATION_LIMITS,
  isSigningScheme,
  NotationHeader,
  type NotationLimits,
  NotationMediaType,
  NotationUnsignedHeader,
} from './constants.js';
import { checkSignedAttributes, invalidEnvelope, type NotationEnvelope } from './envelope.js';
import { quoted } from './json.js';

/** COSE header labels (RFC 9052 and the X.509 COSE draft) the envelope uses. */
export const CoseLabel = { ALG: 1, CRIT: 2, CONTENT_TYPE: 3, X5CHAIN: 33 } as const;

const COSE_SIGN1_TAG = 18;
const EPOCH_TIME_TAG = 1;

// Maps stay Maps (integer labels survive) and no record extension applies.
const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });

/** The head of a CBOR item of major type `major` with argument `length` (shortest form). */
export function cborHead(major: number, length: number): Buffer {
  const type = major << 5;
  if (length < 24) return Buffer.from([type | length]);
  if (length < 0x100) return Buffer.from([type | 24, length]);
  if (length < 0x10000) return Buffer.from([type | 25, length >> 8, length & 0xff]);
  const head = Buffer.alloc(5);
  head[0] = type | 26;
  head.writeUInt32BE(length, 1);
  return head;
}

function byteString(bytes: Uint8Array): Buffer {
  return Buffer.concat([cborHead(2, bytes.byteLength), bytes]);
}

/**
 * The bytes a COSE_Sign1 signature covers (RFC 9052 section 4.4): the CBOR array
 * `["Signature1", protected, h'', payload]`, with the protected header exactly as it was serialized.
 */
export function coseSigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Buffer {
  const context = Buffer.from('Signature1', 'ascii');
  return Buffer.concat([
    cborHead(4, 4),
    cborHead(3, context.byteLength),
    context,
    byteString(protectedBytes),
    byteString(Buffer.alloc(0)),
    byteString(payload),
  ]);
}

function decodeStrict(
  bytes: Uint8Array,
  what: string,
  allowTag: (tag: number, depth: number) => boolean,
): unknown {
  try {
    checkStrictCbor(bytes, { allowTag, maxDepth: 8, maxItems: 10_000 });
    return decoder.decode(bytes);
  } catch (cause) {
    const detail = cause instanceof SignatureError ? `: ${cause.message}` : '';
    throw new SignatureError('INVALID_ENVELOPE', `COSE envelope ${what} is not valid CBOR${detail}`, {
      cause,
    });
  }
}

const asBuffer = (value: unknown): Buffer | undefined =>
  value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : undefined;

/**
 * Parses a COSE envelope (`application/cose`): a COSE_Sign1_Tagged message (tag 18) whose protected
 * header carries the algorithm, critical list, content type and the Notary Project attributes (times
 * as tag-1 epoch values), and whose unprotected header carries the `x5chain` (label 33) as an array
 * of certificates, the timestamp token and the signing agent. The CBOR is checked strictly before it
 * is decoded (see cbor-strict.ts). Throws SignatureError.
 */
export function parseCoseEnvelope(
  bytes: Uint8Array,
  limits: NotationLimits = DEFAULT_NOTATION_LIMITS,
): NotationEnvelope {
  const invalid = (message: string) => invalidEnvelope('cose', message);
  if (bytes.byteLength > limits.maxEnvelopeBytes)
    throw new SignatureError(
      'TOO_LARGE',
      `COSE envelope is ${bytes.byteLength} bytes; the limit is ${limits.maxEnvelopeBytes}`,
    );
  const message = decodeStrict(bytes, 'message', (tag, depth) => tag === COSE_SIGN1_TAG && depth === 0);
  if (!(message instanceof Tag) || message.tag !== COSE_SIGN1_TAG)
    throw invalid('is not a COSE_Sign1_Tagged message (CBOR tag 18)');
  const parts = message.value;
  if (!Array.isArray(parts) || parts.length !== 4) throw invalid('is not a four-element COSE_Sign1 array');
  const [protectedValue, unprotected, payloadValue, signatureValue] = parts as unknown[];
  const protectedBytes = asBuffer(protectedValue);
  if (protectedBytes === undefined || protectedBytes.byteLength === 0)
    throw invalid('has no protected header');
  const payload = asBuffer(payloadValue);
  if (payload === undefined || payload.byteLength === 0) throw invalid('has no embedded payload');
  if (payload.byteLength > limits.maxPayloadBytes)
    throw new SignatureError(
      'TOO_LARGE',
      `COSE payload is ${payload.byteLength} bytes; the limit is ${limits.maxPayloadBytes}`,
    );
  const signature = asBuffer(signatureValue);
  if (signature === undefined || signature.byteLength === 0) throw invalid('has no signature');
  if (!(unprotected instanceof Map)) throw invalid('has an unprotected header that is not a map');
  const signed = parseProtectedHeader(protectedBytes, limits);
  const unsigned = parseUnprotectedHeader(unprotected, limits);
  return {
    format: 'cose',
    mediaType: NotationMediaType.COSE,
    payload,
    payloadContentType: signed.contentType,
    algorithm: signed.algorithm,
    signingScheme: signed.signingScheme,
    ...(signed.signingTime && { signingTime: signed.signingTime }),
    ...(signed.authenticSigningTime && { authenticSigningTime: signed.authenticSigningTime }),
    ...(signed.expiry && { expiry: signed.expiry }),
    criticalHeaders: signed.critical,
    extendedAttributes: signed.extendedAttributes,
    certificateChain: unsigned.chain,
    signature,
    ...(unsigned.timestampToken && { timestampToken: unsigned.timestampToken }),
    ...(unsigned.signingAgent !== undefined && { signingAgent: unsigned.signingAgent }),
    signingInput: coseSigStructure(protectedBytes, payload),
  };
}

const TIME_LABELS: readonly string[] = [
  NotationHeader.SIGNING_TIME,
  NotationHeader.AUTHENTIC_SIGNING_TIME,
  NotationHeader.EXPIRY,
];

function parseProtectedHeader(bytes: Buffer, limits: NotationLimits) {
  const invalid = (message: string) => invalidEnvelope('cose', message);
  // Tag 1 (epoch time) only as the direct value of a header.
  const header = decodeStrict(
    bytes,
    'protected header',
    (tag, depth) => tag === EPOCH_TIME_TAG && depth === 1,
  );
  if (!(header instanceof Map)) throw invalid('has a protected header that is not a map');
  if (header.size > limits.maxHeaders)
    throw invalid(`has ${header.size} protected headers; the limit is ${limits.maxHeaders}`);
  const algorithm = algorithmByCoseLabel(header.get(CoseLabel.ALG));
  if (algorithm === undefined)
    throw new SignatureError(
      'UNSUPPORTED_KEY',
      `COSE envelope algorithm ${quoted(header.get(CoseLabel.ALG) ?? '(none)')} is not one the Notary Project allows (PS256/384/512, ES256/384/512)`,
    );
  const contentType = header.get(CoseLabel.CONTENT_TYPE);
  if (typeof contentType !== 'string') throw invalid('has no text content type (label 3)');
  const crit = header.get(CoseLabel.CRIT);
  if (!Array.isArray(crit) || crit.some((label) => typeof label !== 'string' && !Number.isInteger(label)))
    throw invalid('has no critical header list (label 2) of labels');
  for (const label of crit as (string | number)[])
    if (typeof label === 'number' && label >= 0 && label <= 8)
      throw invalid(`marks the common header label ${label} critical, which COSE forbids`);
  const scheme = header.get(NotationHeader.SIGNING_SCHEME);
  if (!isSigningScheme(scheme))
    throw invalid(
      `has signing scheme ${quoted(scheme ?? '(none)')}; expected notary.x509 or notary.x509.signingAuthority`,
    );
  const time = (name: string): Date | undefined => {
    if (!header.has(name)) return undefined;
    const value = header.get(name);
    // The strict walk admitted tag 1 only around a number, which cbor-x turns into a Date.
    if (!(value instanceof Date) || Number.isNaN(value.getTime()))
      throw invalid(`has ${name} that is not a tag-1 epoch time`);
    return value;
  };
  const signingTime = time(NotationHeader.SIGNING_TIME);
  const authenticSigningTime = time(NotationHeader.AUTHENTIC_SIGNING_TIME);
  const expiry = time(NotationHeader.EXPIRY);
  const defined = new Set<unknown>([
    CoseLabel.ALG,
    CoseLabel.CRIT,
    CoseLabel.CONTENT_TYPE,
    NotationHeader.SIGNING_SCHEME,
    ...TIME_LABELS,
  ]);
  const others = new Map<string | number, unknown>();
  for (const [label, value] of header) {
    if (defined.has(label)) continue;
    if (value instanceof Date)
      throw invalid(`has a tag-1 time under ${quoted(label)}, which is not a time header`);
    others.set(label as string | number, value);
  }
  const values = {
    algorithm,
    contentType,
    critical: crit as (string | number)[],
    signingScheme: scheme,
    ...(signingTime && { signingTime }),
    ...(authenticSigningTime && { authenticSigningTime }),
    ...(expiry && { expiry }),
    others,
  };
  return { ...values, extendedAttributes: checkSignedAttributes('cose', values, limits) };
}

function parseUnprotectedHeader(header: Map<unknown, unknown>, limits: NotationLimits) {
  const invalid = (message: string) => invalidEnvelope('cose', message);
  if (header.size > limits.maxHeaders)
    throw invalid(`has ${header.size} unprotected headers; the limit is ${limits.maxHeaders}`);
  const x5chain = header.get(CoseLabel.X5CHAIN);
  if (!Array.isArray(x5chain) || x5chain.length === 0)
    throw invalid('has no certificate chain (x5chain, label 33, as an array)');
  if (x5chain.length > limits.maxChainLength)
    throw invalid(`carries ${x5chain.length} certificates; the limit is ${limits.maxChainLength}`);
  const chain = x5chain.map((entry, index) => {
    const der = asBuffer(entry);
    if (der === undefined || der.byteLength === 0)
      throw invalid(`x5chain[${index}] is not a certificate byte string`);
    if (der.byteLength > limits.maxCertificateBytes)
      throw new SignatureError(
        'TOO_LARGE',
        `COSE envelope x5chain[${index}] is ${der.byteLength} bytes; the limit is ${limits.maxCertificateBytes}`,
      );
    return der;
  });
  let timestampToken: Buffer | undefined;
  if (header.has(NotationUnsignedHeader.TIMESTAMP_SIGNATURE)) {
    timestampToken = asBuffer(header.get(NotationUnsignedHeader.TIMESTAMP_SIGNATURE));
    if (timestampToken === undefined) throw invalid('has a timestamp signature that is not a byte string');
    if (timestampToken.byteLength > limits.maxTimestampTokenBytes)
      throw new SignatureError(
        'TOO_LARGE',
        `COSE envelope timestamp signature is ${timestampToken.byteLength} bytes; the limit is ${limits.maxTimestampTokenBytes}`,
      );
    if (timestampToken.byteLength === 0) timestampToken = undefined;
  }
  const agent = header.get(NotationUnsignedHeader.SIGNING_AGENT);
  return { chain, timestampToken, signingAgent: typeof agent === 'string' ? agent : undefined };
}
