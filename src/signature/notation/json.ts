import { isRecord, parseJson } from '../encoding.js';
import { SignatureError } from '../errors.js';

type JsonCode = 'INVALID_PAYLOAD' | 'INVALID_ENVELOPE' | 'INVALID_MANIFEST';

/** JSON text of at most `maxBytes` bytes that must be an object. */
export function parseJsonObject(
  bytes: Uint8Array,
  what: string,
  code: JsonCode,
  maxBytes: number,
): Record<string, unknown> {
  if (bytes.byteLength > maxBytes)
    throw new SignatureError('TOO_LARGE', `${what} is ${bytes.byteLength} bytes; the limit is ${maxBytes}`);
  const json = parseJson(bytes, what, code);
  if (!isRecord(json)) throw new SignatureError(code, `${what} is not a JSON object`);
  return json;
}

/**
 * The member whose key equals `name` ignoring case, as Go's `encoding/json` matches struct fields
 * (notation decodes envelopes and payloads with it). Two members that differ only in case are
 * refused: a verifier must not pick one of two conflicting values.
 */
export function goMember(
  object: Record<string, unknown>,
  name: string,
  what: string,
  code: JsonCode,
): unknown {
  const wanted = name.toLowerCase();
  let found: string | undefined;
  for (const key of Object.keys(object)) {
    if (key.toLowerCase() !== wanted) continue;
    if (found !== undefined)
      throw new SignatureError(
        code,
        `${what} has conflicting keys ${JSON.stringify(found)} and ${JSON.stringify(key)}`,
      );
    found = key;
  }
  return found === undefined ? undefined : object[found];
}

/** Whether `key` names one of `names` ignoring case (a member Go would read into a struct field). */
export function isGoFieldOf(key: string, names: readonly string[]): boolean {
  const lower = key.toLowerCase();
  return names.some((name) => name.toLowerCase() === lower);
}

/** A short, printable rendering of an untrusted value for an error message. */
export function quoted(value: unknown, max = 100): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
