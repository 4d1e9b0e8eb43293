import { isDigest } from '../../reference/index.js';
import { goJson, isRecord, sortedRecord } from '../encoding.js';
import { SignatureError } from '../errors.js';
import { DEFAULT_NOTATION_LIMITS } from './constants.js';
import { goMember, parseJsonObject, quoted } from './json.js';

/** The descriptor a Notary Project payload signs (`targetArtifact`). */
export interface TargetArtifact {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** What a signature must name to be about an image: its manifest's digest, size and media type. */
export interface ArtifactDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

function fail(message: string): never {
  throw new SignatureError('INVALID_PAYLOAD', `Notary Project payload ${message}`);
}

/**
 * Parses a Notary Project payload (`application/vnd.cncf.notary.payload.v1+json`): a JSON object
 * whose `targetArtifact` is a descriptor with a media type, a valid digest and a size. Keys are
 * matched as notation's Go decoder matches them (ignoring case); other members are ignored, as there.
 * Call it only on a payload whose signature has been verified (the specification's order).
 */
export function parseNotationPayload(
  bytes: Uint8Array,
  maxBytes = DEFAULT_NOTATION_LIMITS.maxPayloadBytes,
): TargetArtifact {
  const json = parseJsonObject(bytes, 'Notary Project payload', 'INVALID_PAYLOAD', maxBytes);
  const target = goMember(json, 'targetArtifact', 'Notary Project payload', 'INVALID_PAYLOAD');
  if (target === undefined || target === null) fail('has no targetArtifact');
  if (!isRecord(target)) fail('has a targetArtifact that is not an object');
  const member = (name: string) => goMember(target, name, 'targetArtifact', 'INVALID_PAYLOAD');
  const mediaType = member('mediaType');
  if (typeof mediaType !== 'string' || mediaType === '') fail('targetArtifact has no mediaType');
  const digest = member('digest');
  if (typeof digest !== 'string') fail('targetArtifact has no digest');
  if (!isDigest(digest)) fail(`targetArtifact names ${quoted(digest)}, which is not a digest`);
  const size = member('size');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    fail(`targetArtifact has size ${quoted(size)}; expected a non-negative integer`);
  const annotations = member('annotations');
  if (annotations !== undefined && annotations !== null) {
    if (!isRecord(annotations)) fail('targetArtifact has annotations that are not an object');
    for (const [key, value] of Object.entries(annotations))
      if (typeof value !== 'string') fail(`targetArtifact annotation ${quoted(key)} is not a string`);
  }
  return {
    mediaType,
    digest,
    size,
    ...(isRecord(annotations) && { annotations: annotations as Record<string, string> }),
  };
}

/**
 * Why a payload's target is not the image being verified, or undefined when digest, size and media
 * type all match (notation's descriptor equality). Each mismatch is an attack the issue lists: a
 * signature for another digest, or the right digest with a wrong size or media type.
 */
export function targetArtifactMismatch(
  target: TargetArtifact,
  image: ArtifactDescriptor,
): string | undefined {
  if (target.digest !== image.digest)
    return `the signature is for ${target.digest}, not for the image ${image.digest}`;
  if (target.size !== image.size)
    return `the signature's targetArtifact has size ${target.size}, but the image manifest is ${image.size} bytes`;
  if (target.mediaType !== image.mediaType)
    return `the signature's targetArtifact has media type ${quoted(target.mediaType)}, but the image manifest is ${quoted(image.mediaType)}`;
  return undefined;
}

/**
 * The payload `notation sign` signs for an image, byte for byte. notation marshals the descriptor
 * (media type, digest, size, annotations: Go's struct order) for COSE; for JWS its JWT library
 * re-marshals the payload as a map, so the keys come out sorted.
 */
export function buildNotationPayload(target: TargetArtifact, format: 'jws' | 'cose'): Buffer {
  const annotations =
    target.annotations && Object.keys(target.annotations).length > 0 ? target.annotations : undefined;
  if (format === 'cose')
    return Buffer.from(
      goJson({
        targetArtifact: {
          mediaType: target.mediaType,
          digest: target.digest,
          size: target.size,
          ...(annotations && { annotations: sortedRecord(annotations) }),
        },
      }),
    );
  return Buffer.from(
    goJson({
      targetArtifact: {
        ...(annotations && { annotations: sortedRecord(annotations) }),
        digest: target.digest,
        mediaType: target.mediaType,
        size: target.size,
      },
    }),
  );
}
