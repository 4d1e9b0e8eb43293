/**
 * A small DER writer for the structures the test Sigstore builds by hand (RFC 3161 responses, SCT
 * extensions, Fulcio extension values). Only what those need; every value is definite-length DER.
 */
export function tlv(tag: number, content: Uint8Array): Buffer {
  const body = Buffer.from(content);
  let length: Buffer;
  if (body.length < 0x80) length = Buffer.from([body.length]);
  else {
    const bytes: number[] = [];
    for (let remaining = body.length; remaining > 0; remaining >>= 8) bytes.unshift(remaining & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, Buffer.concat(items));
export const octetString = (content: Uint8Array): Buffer => tlv(0x04, content);
export const utf8String = (value: string): Buffer => tlv(0x0c, Buffer.from(value, 'utf8'));
export const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);
/** `[n]` EXPLICIT (constructed, context-specific). */
export const explicit = (n: number, content: Uint8Array): Buffer => tlv(0xa0 + n, content);
/** `[n]` IMPLICIT over a constructed type (replaces its tag, keeps its content). */
export const implicitConstructed = (n: number, encoded: Buffer): Buffer => {
  const copy = Buffer.from(encoded);
  copy[0] = 0xa0 + n;
  return copy;
};

export function integer(value: bigint | number): Buffer {
  let hex = BigInt(value).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] as number) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map((part) => BigInt(part));
  const bytes: number[] = [Number((parts[0] as bigint) * 40n + (parts[1] as bigint))];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [];
    let value = part;
    do {
      chunk.unshift(Number(value & 0x7fn));
      value >>= 7n;
    } while (value > 0n);
    for (let index = 0; index < chunk.length - 1; index++) chunk[index] = (chunk[index] as number) | 0x80;
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** GeneralizedTime with whole seconds (`YYYYMMDDHHMMSSZ`), the form RFC 3161 TSAs write. */
export function generalizedTime(date: Date): Buffer {
  const text = date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return tlv(0x18, Buffer.from(text, 'ascii'));
}

export function algorithmIdentifier(dotted: string, withNull = false): Buffer {
  return withNull ? sequence(oid(dotted), nullValue()) : sequence(oid(dotted));
}
