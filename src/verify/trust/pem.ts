import { createPublicKey, type KeyObject } from 'node:crypto';
import { X509Certificate } from '@sigstore/core';
import { KeylessError } from '../keyless/errors.js';

export interface PemBlock {
  type: string;
  der: Buffer;
}

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----$/;
const END = /^-----END ([A-Z0-9 ]+)-----$/;
const BASE64_LINE = /^[A-Za-z0-9+/=]*$/;

/**
 * Every PEM block in `text`, strictly: each BEGIN has its END with the same label, the body is base64,
 * and nothing but blank lines sits between blocks (no headers, no stray text that might hide a typo).
 */
export function pemBlocks(text: string, what: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let open: { type: string; body: string[] } | undefined;
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (open === undefined) {
      if (line === '') continue;
      const begin = BEGIN.exec(line);
      if (!begin) throw invalid(what, `unexpected text on line ${index + 1} outside a PEM block`);
      open = { type: begin[1] as string, body: [] };
      continue;
    }
    const end = END.exec(line);
    if (end) {
      if (end[1] !== open.type)
        throw invalid(what, `PEM block "${open.type}" ends with "${end[1]}" on line ${index + 1}`);
      const body = open.body.join('');
      if (body === '' || body.length % 4 !== 0)
        throw invalid(what, `PEM block "${open.type}" has a malformed body`);
      blocks.push({ type: open.type, der: Buffer.from(body, 'base64') });
      open = undefined;
      continue;
    }
    if (!BASE64_LINE.test(line)) throw invalid(what, `line ${index + 1} of a PEM block is not base64`);
    open.body.push(line);
  }
  if (open !== undefined) throw invalid(what, `PEM block "${open.type}" has no END line`);
  return blocks;
}

export interface ParsedCertificate {
  /** The certificate exactly as encoded. */
  der: Buffer;
  certificate: X509Certificate;
}

/** One or more certificates, in the order written. */
export function parseCertificatesPem(text: string, what: string): ParsedCertificate[] {
  const blocks = pemBlocks(text, what);
  if (blocks.length === 0) throw invalid(what, 'no PEM certificate found');
  return blocks.map((block, index) => {
    if (block.type !== 'CERTIFICATE')
      throw invalid(what, `block ${index + 1} is "${block.type}", expected "CERTIFICATE"`);
    return {
      der: block.der,
      certificate: parseCertificateDer(block.der, `${what} (certificate ${index + 1})`),
    };
  });
}

export function parseCertificateDer(der: Uint8Array, what: string): X509Certificate {
  try {
    const certificate = X509Certificate.parse(Buffer.from(der));
    // Touch the fields verification relies on, so that a truncated certificate fails here.
    void certificate.subject;
    void certificate.publicKey;
    void certificate.notAfter;
    return certificate;
  } catch (cause) {
    throw new KeylessError('PEM_INVALID', `${what} is not a valid X.509 certificate`, { cause });
  }
}

/** A single `PUBLIC KEY` (SubjectPublicKeyInfo) or `RSA PUBLIC KEY` (PKCS#1) block. */
export function parsePublicKeyPem(text: string, what: string): KeyObject {
  const blocks = pemBlocks(text, what);
  if (blocks.length !== 1) throw invalid(what, `expected one PEM public key, found ${blocks.length} blocks`);
  const block = blocks[0] as PemBlock;
  const type = block.type === 'PUBLIC KEY' ? 'spki' : block.type === 'RSA PUBLIC KEY' ? 'pkcs1' : undefined;
  if (type === undefined) throw invalid(what, `block is "${block.type}", expected "PUBLIC KEY"`);
  try {
    return createPublicKey({ key: block.der, format: 'der', type });
  } catch (cause) {
    throw new KeylessError('PEM_INVALID', `${what} is not a valid public key`, { cause });
  }
}

/** The DER SubjectPublicKeyInfo of a key, the form Sigstore hashes into log IDs and key hints. */
export function spkiDer(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}

export function toPem(der: Uint8Array, type = 'CERTIFICATE'): string {
  const body =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${body.join('\n')}\n-----END ${type}-----\n`;
}

function invalid(what: string, detail: string): KeylessError {
  return new KeylessError('PEM_INVALID', `${what}: ${detail}`);
}
