import { SignatureError } from '../errors.js';
import { DEFAULT_NOTATION_LIMITS, type NotationLimits, NotationMediaType } from './constants.js';
import { parseCoseEnvelope } from './cose.js';
import type { NotationEnvelope } from './envelope.js';
import { quoted } from './json.js';
import { parseJwsEnvelope } from './jws.js';

/**
 * Parses an envelope blob by the media type its signature manifest's layer declares (the
 * specification's rule: the layer's media type decides the parser, nothing is guessed).
 */
export function parseNotationEnvelope(
  bytes: Uint8Array,
  mediaType: string,
  limits: NotationLimits = DEFAULT_NOTATION_LIMITS,
): NotationEnvelope {
  switch (mediaType) {
    case NotationMediaType.JWS:
      return parseJwsEnvelope(bytes, limits);
    case NotationMediaType.COSE:
      return parseCoseEnvelope(bytes, limits);
    default:
      throw new SignatureError(
        'INVALID_ENVELOPE',
        `envelope media type ${quoted(mediaType)} is not a Notary Project envelope (${NotationMediaType.JWS} or ${NotationMediaType.COSE})`,
      );
  }
}
