import { decodeBase64 } from '../encoding.js';
import { SignatureError } from '../errors.js';

export interface PemBlock {
  type: string;
  bytes: Buffer;
}

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----$/;
const END = /^-----END ([A-Z0-9 ]+)-----$/;
const BASE64_LINE = /^[A-Za-z0-9+/=]*$/;

/**
 * Every PEM block in `text`, strictly: each BEGIN has its END with the same label, the body is
 * base64, and nothing but blank lines sits between blocks (no stray text that might hide a typo or a
 * truncated file). Headers (`Proc-Type:` lines) are refused: cosign never writes them, and
 * OpenSSL-encrypted legacy keys are not supported. Throws SignatureError INVALID_PEM.
 */
export function parsePemBlocks(text: string, what: string): PemBlock[] {
  const invalid = (detail: string) => new SignatureError('INVALID_PEM', `${what}: ${detail}`);
  const blocks: PemBlock[] = [];
  let open: { type: string; body: string[] } | undefined;
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (open === undefined) {
      if (line === '') continue;
      const begin = BEGIN.exec(line);
      if (!begin) throw invalid(`unexpected text on line ${index + 1} outside a PEM block`);
      open = { type: begin[1] as string, body: [] };
      continue;
    }
    const end = END.exec(line);
    if (end) {
      if (end[1] !== open.type)
        throw invalid(`PEM block "${open.type}" ends with "${end[1]}" on line ${index + 1}`);
      const body = open.body.join('');
      if (body === '') throw invalid(`PEM block "${open.type}" is empty`);
      let bytes: Buffer;
      try {
        bytes = decodeBase64(body, `PEM block "${open.type}"`);
      } catch (cause) {
        throw new SignatureError('INVALID_PEM', `${what}: PEM block "${open.type}" has a malformed body`, {
          cause,
        });
      }
      blocks.push({ type: open.type, bytes });
      open = undefined;
      continue;
    }
    if (line.includes(':')) throw invalid(`PEM block ${open.type} has headers, which are not supported`);
    if (!BASE64_LINE.test(line)) throw invalid(`line ${index + 1} of a PEM block is not base64`);
    open.body.push(line);
  }
  if (open !== undefined) throw invalid(`PEM block "${open.type}" has no END line`);
  return blocks;
}

/** Exactly one PEM block holding a key, or a SignatureError INVALID_KEY that says what is wrong. */
export function parseSinglePem(text: string, what: string): PemBlock {
  // A file with no PEM at all is most likely the wrong file: say that, not where its text is.
  if (!text.includes('-----BEGIN ')) throw new SignatureError('INVALID_KEY', `${what} holds no PEM block`);
  let blocks: PemBlock[];
  try {
    blocks = parsePemBlocks(text, what);
  } catch (error) {
    if (error instanceof SignatureError)
      throw new SignatureError('INVALID_KEY', error.message, { cause: error });
    throw error;
  }
  if (blocks.length === 0) throw new SignatureError('INVALID_KEY', `${what} holds no PEM block`);
  if (blocks.length > 1)
    throw new SignatureError(
      'INVALID_KEY',
      `${what} holds ${blocks.length} PEM blocks (${blocks.map((b) => b.type).join(', ')}); expected one`,
    );
  return blocks[0] as PemBlock;
}

/** PEM with 64-character lines, as Go's `pem.Encode` writes it. */
export function encodePem(type: string, bytes: Uint8Array): string {
  const base64 = Buffer.from(bytes).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}
