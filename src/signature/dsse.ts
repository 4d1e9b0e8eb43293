import { decodeBase64, goJson, isRecord, parseJson } from './encoding.js';
import { SignatureError } from './errors.js';

/** A DSSE envelope with its payload and signatures decoded. */
export interface DsseEnvelope {
  payloadType: string;
  payload: Buffer;
  signatures: Array<{ keyid: string; sig: Buffer }>;
}

/** DSSE's pre-authentication encoding: what is actually signed. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${payload.length} `, 'ascii'),
    payload,
  ]);
}

/** DSSE allows standard or URL-safe base64 (the reference implementations try both). */
function decodeEither(value: string, what: string): Buffer {
  try {
    return decodeBase64(value, what);
  } catch (error) {
    if (/^[A-Za-z0-9_-]*={0,2}$/.test(value) && value.length % 4 !== 1)
      return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    throw error;
  }
}

export function parseDsseEnvelope(bytes: Uint8Array, what = 'DSSE envelope'): DsseEnvelope {
  const json = parseJson(bytes, what, 'INVALID_ENVELOPE');
  const bad = (detail: string) => new SignatureError('INVALID_ENVELOPE', `${what} ${detail}`);
  if (!isRecord(json)) throw bad('is not a JSON object');
  const { payloadType, payload, signatures } = json;
  if (typeof payloadType !== 'string' || payloadType === '') throw bad('has no payloadType');
  if (typeof payload !== 'string') throw bad('has no payload');
  if (!Array.isArray(signatures) || signatures.length === 0) throw bad('has no signatures');
  return {
    payloadType,
    payload: decodeEither(payload, `${what} payload`),
    signatures: signatures.map((entry, index) => {
      if (!isRecord(entry) || typeof entry.sig !== 'string') throw bad(`signature ${index} has no sig`);
      if (entry.keyid !== undefined && typeof entry.keyid !== 'string')
        throw bad(`signature ${index} keyid is not a string`);
      return {
        keyid: (entry.keyid as string | undefined) ?? '',
        sig: decodeEither(entry.sig, `${what} signature ${index}`),
      };
    }),
  };
}

/** The envelope as cosign writes it (Go field order, standard base64). */
export function serializeDsseEnvelope(envelope: DsseEnvelope): Buffer {
  return Buffer.from(
    goJson({
      payloadType: envelope.payloadType,
      payload: envelope.payload.toString('base64'),
      signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig.toString('base64') })),
    }),
  );
}
