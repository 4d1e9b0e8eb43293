import { decodeBase64, isRecord, parseJson } from './encoding.js';
import { SignatureError } from './errors.js';

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
    /** Hex SHA-256 of the Rekor key's DER SubjectPublicKeyInfo. */
    logID: string;
  };
}

export function parseRekorBundle(text: string): RekorBundle {
  const json = parseJson(text, 'Rekor bundle annotation', 'INVALID_BUNDLE');
  const bad = (detail: string) => new SignatureError('INVALID_BUNDLE', `Rekor bundle annotation ${detail}`);
  if (!isRecord(json)) throw bad('is not a JSON object');
  if (typeof json.SignedEntryTimestamp !== 'string') throw bad('has no SignedEntryTimestamp');
  const payload = json.Payload;
  if (!isRecord(payload)) throw bad('has no Payload');
  const { body, integratedTime, logIndex, logID } = payload;
  if (typeof body !== 'string' || body === '') throw bad('has no Payload.body');
  if (!Number.isSafeInteger(integratedTime) || (integratedTime as number) < 0)
    throw bad('has no valid Payload.integratedTime');
  if (!Number.isSafeInteger(logIndex) || (logIndex as number) < 0) throw bad('has no valid Payload.logIndex');
  if (typeof logID !== 'string' || !/^[0-9a-f]{64}$/.test(logID)) throw bad('has no valid Payload.logID');
  return {
    signedEntryTimestamp: decodeBase64(json.SignedEntryTimestamp, 'Rekor bundle SignedEntryTimestamp'),
    payload: { body, integratedTime: integratedTime as number, logIndex: logIndex as number, logID },
  };
}
