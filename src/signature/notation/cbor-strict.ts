import { SignatureError } from '../errors.js';

/**
 * A well-formedness check run on untrusted CBOR before cbor-x decodes it. cbor-x is a fast, general
 * decoder with many extensions (records, shared references, typed arrays, packed tables: all keyed
 * by tags) and it silently keeps the last of duplicate map keys. A signature envelope must be read one
 * way only, so this walk admits the plain subset COSE needs: definite lengths, integer or text map
 * keys without duplicates, valid UTF-8, no `undefined` or other simple values beyond false/true/null,
 * bounded depth and item count, and only the tags the caller allows.
 */
export interface StrictCborOptions {
  /** Whether a tag may appear at this nesting depth (0 = the top-level item). */
  readonly allowTag: (tag: number, depth: number) => boolean;
  readonly maxDepth: number;
  readonly maxItems: number;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function checkStrictCbor(bytes: Uint8Array, options: StrictCborOptions): void {
  let offset = 0;
  let items = 0;
  const fail = (message: string): never => {
    throw new SignatureError('INVALID_ENVELOPE', `${message} at byte ${offset}`);
  };

  const need = (count: number) => {
    if (offset + count > bytes.byteLength) fail('truncated CBOR');
  };

  /** The head of the next item: major type and argument (lengths above 2^53 are refused). */
  const head = (): { major: number; info: number; argument: number } => {
    need(1);
    const initial = bytes[offset++] as number;
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (info < 24) return { major, info, argument: info };
    if (info > 27) fail(info === 31 ? 'indefinite-length CBOR is not allowed' : 'reserved CBOR encoding');
    const size = 1 << (info - 24);
    need(size);
    let argument = 0;
    for (let i = 0; i < size; i++) argument = argument * 256 + (bytes[offset + i] as number);
    offset += size;
    // A float's bits are not a length; any other argument must be a safe integer.
    if (major !== 7 && !Number.isSafeInteger(argument)) fail('CBOR length or integer too large');
    return { major, info, argument };
  };

  /** Reads one item; returns a comparable key for integers and text (used for duplicate map keys). */
  const item = (depth: number): string | undefined => {
    if (depth > options.maxDepth) fail('CBOR nested too deeply');
    if (++items > options.maxItems) fail('too many CBOR items');
    const { major, info, argument } = head();
    switch (major) {
      case 0:
        return `i${argument}`;
      case 1:
        return `i${-1 - argument}`;
      case 2:
        need(argument);
        offset += argument;
        return undefined;
      case 3: {
        need(argument);
        let text: string;
        try {
          text = UTF8.decode(bytes.subarray(offset, offset + argument));
        } catch {
          return fail('CBOR text is not valid UTF-8');
        }
        offset += argument;
        return `t${text}`;
      }
      case 4:
        for (let i = 0; i < argument; i++) item(depth + 1);
        return undefined;
      case 5: {
        const keys = new Set<string>();
        for (let i = 0; i < argument; i++) {
          const key = item(depth + 1);
          if (key === undefined) fail('CBOR map key is neither an integer nor text');
          if (keys.has(key as string)) fail('CBOR map has a duplicate key');
          keys.add(key as string);
          item(depth + 1);
        }
        return undefined;
      }
      case 6:
        if (!options.allowTag(argument, depth)) fail(`CBOR tag ${argument} is not allowed here`);
        if (argument === 1) {
          // An epoch time: the tagged item must be a number (integer or float).
          const next = bytes[offset];
          const nextMajor = next === undefined ? -1 : next >> 5;
          const isFloat = next === 0xf9 || next === 0xfa || next === 0xfb;
          if (nextMajor !== 0 && nextMajor !== 1 && !isFloat) fail('CBOR tag 1 must hold a number');
        }
        item(depth + 1);
        return undefined;
      default:
        // Major type 7: false, true, null, and floats; nothing else.
        if (info === 20 || info === 21 || info === 22 || info === 25 || info === 26 || info === 27)
          return undefined;
        return fail('CBOR simple value is not allowed');
    }
  };

  item(0);
  if (offset !== bytes.byteLength) fail('trailing bytes after the CBOR item');
}
