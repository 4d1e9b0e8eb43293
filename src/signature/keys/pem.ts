import { decodeBase64 } from '../encoding.js';
import { SignatureError } from '../errors.js';

export interface PemBlock {
  type: string;
  bytes: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/**
 * Every PEM block in `text`. Headers (`Proc-Type:` lines) are refused: cosign never writes them and
 * OpenSSL-encrypted legacy keys are not supported.
 */
export function parsePemBlocks(text: string, what: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const type = match[1] as string;
    const body = match[2] as string;
    if (body.includes(':'))
      throw new SignatureError(
        'INVALID_KEY',
        `${what}: PEM block ${type} has headers, which are not supported`,
      );
    const bytes = decodeBase64(body.replace(/\s+/g, ''), `${what}: PEM block ${type}`);
    blocks.push({ type, bytes });
  }
  return blocks;
}

/** Exactly one PEM block, or a clear error. */
export function parseSinglePem(text: string, what: string): PemBlock {
  const blocks = parsePemBlocks(text, what);
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
