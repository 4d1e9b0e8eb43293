import { decodeBase64, isRecord } from '../encoding.js';
import { SignatureError } from '../errors.js';

/**
 * cosign's `dev.sigstore.cosign/bundle` layer annotation: a Rekor entry's signed entry timestamp
 * (SET) and the four fields it signs.
 */
export interface RekorBundle {
  signedEntryTimestamp: Buffer;
  payload: {
    /** The base64 of the canonical Rekor entry, exactly as given (the SET covers this string). */
    body: string;
    integratedTime: number;
    logIndex: number;
    /** Hex SHA-256 of the Rekor key's DER SubjectPublicKeyInfo, exactly as given (the SET covers it). */
    logID: string;
  };
}

/**
 * Parses the annotation (`{"SignedEntryTimestamp": …, "Payload": {body, integratedTime, logIndex,
 * logID}}`): every field present and of the right form, base64 decodable. Other fields are ignored, as
 * cosign's Go decoder ignores them (the SET does not cover them). Throws SignatureError INVALID_BUNDLE.
 */
export function parseRekorBundle(text: string): RekorBundle {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new SignatureError('INVALID_BUNDLE', 'Rekor bundle annotation is not JSON', { cause });
  }
  const bad = (detail: string) =>
    new SignatureError('INVALID_BUNDLE', `Rekor bundle annotation is malformed: ${detail}`);
  if (!isRecord(json)) throw bad('not a JSON object');
  if (typeof json.SignedEntryTimestamp !== 'string') throw bad('no SignedEntryTimestamp');
  const payload = json.Payload;
  if (!isRecord(payload)) throw bad('no Payload object');
  const { body, integratedTime, logIndex, logID } = payload;
  if (typeof body !== 'string' || body === '') throw bad('no Payload.body');
  if (!Number.isSafeInteger(integratedTime) || (integratedTime as number) < 0)
    throw bad('Payload.integratedTime is not a non-negative integer');
  if (!Number.isSafeInteger(logIndex) || (logIndex as number) < 0)
    throw bad('Payload.logIndex is not a non-negative integer');
  if (typeof logID !== 'string' || !/^[0-9a-fA-F]{64}$/.test(logID))
    throw bad('Payload.logID is not 64 hex digits');
  let signedEntryTimestamp: Buffer;
  try {
    signedEntryTimestamp = decodeBase64(json.SignedEntryTimestamp, 'SignedEntryTimestamp');
    decodeBase64(body, 'Payload.body');
  } catch (error) {
    throw bad((error as Error).message);
  }
  if (signedEntryTimestamp.length === 0) throw bad('SignedEntryTimestamp is empty');
  return {
    signedEntryTimestamp,
    payload: { body, integratedTime: integratedTime as number, logIndex: logIndex as number, logID },
  };
}
