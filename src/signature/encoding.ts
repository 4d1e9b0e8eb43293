import { SignatureError } from './errors.js';

/** Standard base64 with padding, nothing else (what Sigstore's JSON and cosign's annotations hold). */
export const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard base64 strictly, as Go's `base64.StdEncoding` does: padding required, no stray
 * characters (Node's decoder silently skips them), except CR and LF, which Go ignores too.
 */
export function decodeBase64(value: string, what: string): Buffer {
  const compact = value.replace(/[\r\n]/g, '');
  if (!STD_BASE64.test(compact)) throw new SignatureError('INVALID_BASE64', `${what} is not valid base64`);
  return Buffer.from(compact, 'base64');
}

/**
 * JSON as Go's `encoding/json` writes it for the values cosign marshals: object keys in the order
 * given (callers pass maps already sorted, as Go sorts map keys), and `<`, `>`, `&`, U+2028 and
 * U+2029 escaped. Bytes produced this way are what cosign would have signed for the same input.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A copy of a string map with its keys sorted (Go marshals maps that way). */
export function sortedRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const sorted: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = record[key] as T;
  return sorted;
}

export function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** Parses JSON, turning a syntax error into a SignatureError with `code`. */
export function parseJson(
  bytes: Uint8Array | string,
  what: string,
  code: 'INVALID_PAYLOAD' | 'INVALID_ENVELOPE' | 'INVALID_BUNDLE' | 'INVALID_MANIFEST',
): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : utf8(bytes));
  } catch (cause) {
    throw new SignatureError(code, `${what} is not valid JSON`, { cause });
  }
}

export { isRecord } from '../util/is-record.js';
