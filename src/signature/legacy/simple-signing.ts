import { isDigest } from '../../reference/index.js';
import { goJson, isRecord, parseJson, sortedRecord } from '../encoding.js';
import { SignatureError } from '../errors.js';
import { SIMPLE_SIGNING_TYPE } from '../media-types.js';

/** What a simple-signing payload claims. `optional` keeps whatever the signer put there. */
export interface SimpleSigningClaims {
  /** `critical.identity.docker-reference`: informative only; cosign does not check it. */
  dockerReference?: string;
  /** `critical.image.docker-manifest-digest`: the digest the signature is about. */
  digest: string;
  /** `critical.type`. */
  type?: string;
  optional: Record<string, unknown> | null;
}

/**
 * The payload cosign signs for an image, byte for byte: Go's field order, `optional` null when there
 * are no annotations, annotation keys sorted (a Go map), Go's HTML escaping.
 */
export function buildSimpleSigningPayload(input: {
  dockerReference: string;
  digest: string;
  annotations?: Readonly<Record<string, string>>;
}): Buffer {
  const annotations =
    input.annotations && Object.keys(input.annotations).length ? input.annotations : undefined;
  return Buffer.from(
    goJson({
      critical: {
        identity: { 'docker-reference': input.dockerReference },
        image: { 'docker-manifest-digest': input.digest },
        type: SIMPLE_SIGNING_TYPE,
      },
      optional: annotations ? sortedRecord(annotations) : null,
    }),
  );
}

/**
 * The member of `object` whose key equals `name` ignoring case, as Go's `encoding/json` matches
 * struct fields. Two members that differ only in case are refused: a verifier must not pick one of
 * two conflicting claims.
 */
function member(object: Record<string, unknown>, name: string, where: string): unknown {
  const wanted = name.toLowerCase();
  const matches = Object.keys(object).filter((key) => key.toLowerCase() === wanted);
  if (matches.length > 1)
    throw new SignatureError(
      'INVALID_PAYLOAD',
      `simple-signing payload has conflicting keys ${matches.map((m) => JSON.stringify(m)).join(' and ')} in ${where}`,
    );
  return matches.length ? object[matches[0] as string] : undefined;
}

function objectMember(object: Record<string, unknown>, name: string, where: string, required: boolean) {
  const value = member(object, name, where);
  if (value === undefined || value === null) {
    if (required)
      throw new SignatureError('INVALID_PAYLOAD', `simple-signing payload has no ${where}.${name}`);
    return undefined;
  }
  if (!isRecord(value))
    throw new SignatureError('INVALID_PAYLOAD', `simple-signing payload's ${where}.${name} is not an object`);
  return value;
}

/** Parses a simple-signing payload (keys matched case-insensitively, as cosign's Go decoder does). */
export function parseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningClaims {
  const json = parseJson(bytes, 'simple-signing payload', 'INVALID_PAYLOAD');
  if (!isRecord(json))
    throw new SignatureError('INVALID_PAYLOAD', 'simple-signing payload is not a JSON object');
  const critical = objectMember(json, 'critical', 'payload', true) as Record<string, unknown>;
  const image = objectMember(critical, 'image', 'critical', true) as Record<string, unknown>;
  const digest = member(image, 'docker-manifest-digest', 'critical.image');
  if (typeof digest !== 'string')
    throw new SignatureError(
      'INVALID_PAYLOAD',
      'simple-signing payload has no critical.image.docker-manifest-digest',
    );
  if (!isDigest(digest))
    throw new SignatureError(
      'INVALID_PAYLOAD',
      `simple-signing payload names ${JSON.stringify(digest.slice(0, 100))}, which is not a digest`,
    );
  const identity = objectMember(critical, 'identity', 'critical', false);
  const reference = identity ? member(identity, 'docker-reference', 'critical.identity') : undefined;
  const type = member(critical, 'type', 'critical');
  const optional = member(json, 'optional', 'payload');
  if (optional !== undefined && optional !== null && !isRecord(optional))
    throw new SignatureError('INVALID_PAYLOAD', "simple-signing payload's optional is not an object");
  return {
    digest,
    ...(typeof reference === 'string' && { dockerReference: reference }),
    ...(typeof type === 'string' && { type }),
    optional: (optional as Record<string, unknown> | undefined) ?? null,
  };
}

/**
 * Which of the wanted annotations the claims do not carry with exactly that string value (cosign's
 * `-a key=value` check). An empty list means they all match.
 */
export function missingAnnotations(
  have: Readonly<Record<string, unknown>> | null | undefined,
  wanted: Readonly<Record<string, string>>,
): string[] {
  return Object.entries(wanted)
    .filter(([key, value]) => have?.[key] !== value)
    .map(([key, value]) => {
      const actual = have?.[key];
      return actual === undefined
        ? `${key}=${value} (absent)`
        : `${key}=${value} (signed ${key}=${typeof actual === 'string' ? actual : JSON.stringify(actual)})`;
    });
}
