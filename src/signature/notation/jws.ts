import { decodeBase64, isRecord } from '../encoding.js';
import { SignatureError } from '../errors.js';
import {
  algorithmByName,
  DEFAULT_NOTATION_LIMITS,
  isSigningScheme,
  NotationHeader,
  type NotationLimits,
  NotationMediaType,
  NotationUnsignedHeader,
} from './constants.js';
import { checkSignedAttributes, invalidEnvelope, type NotationEnvelope } from './envelope.js';
import { goMember, isGoFieldOf, parseJsonObject, quoted } from './json.js';
import { parseRfc3339 } from './time.js';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Unpadded base64url as RFC 7515 (and Go's `RawURLEncoding`) has it. */
export function decodeBase64Url(value: unknown, what: string): Buffer {
  if (typeof value !== 'string') throw invalidEnvelope('jws', `has no ${what} string`);
  if (!BASE64URL.test(value) || value.length % 4 === 1)
    throw new SignatureError('INVALID_BASE64', `JWS envelope ${what} is not unpadded base64url`);
  return Buffer.from(value, 'base64url');
}

const TOP_LEVEL = ['payload', 'protected', 'header', 'signature'];

/** Protected header names the specification gives a meaning (everything else is an extended attribute). */
const PROTECTED_NAMES = [
  'alg',
  'cty',
  'crit',
  NotationHeader.SIGNING_SCHEME,
  NotationHeader.SIGNING_TIME,
  NotationHeader.AUTHENTIC_SIGNING_TIME,
  NotationHeader.EXPIRY,
];

/**
 * Parses a JWS envelope (`application/jose+json`): the flattened JSON serialization with exactly the
 * members `payload`, `protected`, `header` and `signature` (the specification allows no others), the
 * Notary Project protected headers with the signing-scheme rules, and the unsigned `x5c` chain,
 * timestamp token and signing agent. Envelope members are matched ignoring case as notation's Go
 * decoder does; protected header names must be exact, and a name that differs from a defined one only
 * in case is refused rather than guessed at. Throws SignatureError.
 */
export function parseJwsEnvelope(
  bytes: Uint8Array,
  limits: NotationLimits = DEFAULT_NOTATION_LIMITS,
): NotationEnvelope {
  const json = parseJsonObject(bytes, 'JWS envelope', 'INVALID_ENVELOPE', limits.maxEnvelopeBytes);
  for (const key of Object.keys(json))
    if (!isGoFieldOf(key, TOP_LEVEL))
      throw invalidEnvelope(
        'jws',
        `has a member ${quoted(key)}; only payload, protected, header and signature are allowed`,
      );
  const member = (name: string) => goMember(json, name, 'JWS envelope', 'INVALID_ENVELOPE');
  const protectedText = member('protected');
  const payloadText = member('payload');
  const protectedBytes = decodeBase64Url(protectedText, 'protected header');
  const payload = decodeBase64Url(payloadText, 'payload');
  if (payload.byteLength === 0) throw invalidEnvelope('jws', 'has an empty payload');
  if (payload.byteLength > limits.maxPayloadBytes)
    throw new SignatureError(
      'TOO_LARGE',
      `JWS payload is ${payload.byteLength} bytes; the limit is ${limits.maxPayloadBytes}`,
    );
  const signature = decodeBase64Url(member('signature'), 'signature');
  if (signature.byteLength === 0) throw invalidEnvelope('jws', 'has an empty signature');
  const header = member('header');
  if (!isRecord(header)) throw invalidEnvelope('jws', 'has no unprotected header object');
  const signed = parseProtectedHeader(protectedBytes, limits);
  const unsigned = parseUnprotectedHeader(header, limits);
  return {
    format: 'jws',
    mediaType: NotationMediaType.JWS,
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
    signingInput: Buffer.from(`${protectedText as string}.${payloadText as string}`, 'ascii'),
  };
}

function parseProtectedHeader(bytes: Buffer, limits: NotationLimits) {
  const invalid = (message: string) => invalidEnvelope('jws', message);
  const header = parseJsonObject(bytes, 'JWS protected header', 'INVALID_ENVELOPE', limits.maxEnvelopeBytes);
  const names = Object.keys(header);
  if (names.length > limits.maxHeaders)
    throw invalid(`has ${names.length} protected headers; the limit is ${limits.maxHeaders}`);
  for (const name of names)
    if (!PROTECTED_NAMES.includes(name) && isGoFieldOf(name, PROTECTED_NAMES))
      throw invalid(`has a protected header ${quoted(name)} that differs from a defined name only in case`);
  const algorithm = algorithmByName(header.alg);
  if (algorithm === undefined)
    throw new SignatureError(
      'UNSUPPORTED_KEY',
      `JWS envelope algorithm ${quoted(header.alg ?? '(none)')} is not one the Notary Project allows (PS256/384/512, ES256/384/512)`,
    );
  if (typeof header.cty !== 'string') throw invalid('has no content type (cty)');
  const crit = header.crit;
  if (!Array.isArray(crit) || crit.some((name) => typeof name !== 'string' || name === ''))
    throw invalid('has no critical header list (crit) of names');
  for (const name of crit as string[])
    if (name === 'alg' || name === 'cty' || name === 'crit')
      throw invalid(`marks the registered header ${name} critical, which JWS forbids`);
  const scheme = header[NotationHeader.SIGNING_SCHEME];
  if (!isSigningScheme(scheme))
    throw invalid(
      `has signing scheme ${quoted(scheme ?? '(none)')}; expected notary.x509 or notary.x509.signingAuthority`,
    );
  const time = (name: string): Date | undefined => {
    const value = header[name];
    if (value === undefined) return undefined;
    const parsed = typeof value === 'string' ? parseRfc3339(value) : undefined;
    if (parsed === undefined) throw invalid(`has ${name} ${quoted(value)}, which is not an RFC 3339 time`);
    return parsed;
  };
  const signingTime = time(NotationHeader.SIGNING_TIME);
  const authenticSigningTime = time(NotationHeader.AUTHENTIC_SIGNING_TIME);
  const expiry = time(NotationHeader.EXPIRY);
  const others = new Map<string, unknown>(
    names.filter((name) => !PROTECTED_NAMES.includes(name)).map((name) => [name, header[name]]),
  );
  const values = {
    algorithm,
    contentType: header.cty,
    critical: crit as string[],
    signingScheme: scheme,
    ...(signingTime && { signingTime }),
    ...(authenticSigningTime && { authenticSigningTime }),
    ...(expiry && { expiry }),
    others,
  };
  return { ...values, extendedAttributes: checkSignedAttributes('jws', values, limits) };
}

function parseUnprotectedHeader(header: Record<string, unknown>, limits: NotationLimits) {
  const invalid = (message: string) => invalidEnvelope('jws', message);
  if (Object.keys(header).length > limits.maxHeaders)
    throw invalid(`has ${Object.keys(header).length} unprotected headers; the limit is ${limits.maxHeaders}`);
  const member = (name: string) => goMember(header, name, 'JWS unprotected header', 'INVALID_ENVELOPE');
  const x5c = member(NotationUnsignedHeader.X5C);
  if (!Array.isArray(x5c) || x5c.length === 0) throw invalid('has no certificate chain (x5c)');
  if (x5c.length > limits.maxChainLength)
    throw invalid(`carries ${x5c.length} certificates; the limit is ${limits.maxChainLength}`);
  const chain = x5c.map((entry, index) => {
    if (typeof entry !== 'string') throw invalid(`x5c[${index}] is not a string`);
    const der = decodeBase64(entry, `JWS envelope x5c[${index}]`);
    if (der.byteLength === 0) throw invalid(`x5c[${index}] is empty`);
    if (der.byteLength > limits.maxCertificateBytes)
      throw new SignatureError(
        'TOO_LARGE',
        `JWS envelope x5c[${index}] is ${der.byteLength} bytes; the limit is ${limits.maxCertificateBytes}`,
      );
    return der;
  });
  const token = member(NotationUnsignedHeader.TIMESTAMP_SIGNATURE);
  let timestampToken: Buffer | undefined;
  if (token !== undefined && token !== null) {
    if (typeof token !== 'string') throw invalid('has a timestamp signature that is not a string');
    timestampToken = decodeBase64(token, 'JWS envelope timestamp signature');
    if (timestampToken.byteLength > limits.maxTimestampTokenBytes)
      throw new SignatureError(
        'TOO_LARGE',
        `JWS envelope timestamp signature is ${timestampToken.byteLength} bytes; the limit is ${limits.maxTimestampTokenBytes}`,
      );
    if (timestampToken.byteLength === 0) timestampToken = undefined;
  }
  // The signing agent is informational: a value that is not a string is ignored, never a failure.
  const agent = member(NotationUnsignedHeader.SIGNING_AGENT);
  return { chain, timestampToken, signingAgent: typeof agent === 'string' ? agent : undefined };
}
