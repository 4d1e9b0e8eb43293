/**
 * Light checks on PEM material at load time, so that a pasted-in-the-wrong-field key is reported by
 * `vouch policy lint` rather than at the first admission. The text is kept as written: parsing keys
 * for verification is the signature layer's job.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { describeError } from '../../errors.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END \1-----/g;

export function pemBlocks(text: string): { label: string; text: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((match) => ({ label: match[1] as string, text: match[0] }));
}

/** Why `text` is not a PEM public key (`PUBLIC KEY` or `RSA PUBLIC KEY`), or undefined. */
export function publicKeyError(text: string): string | undefined {
  const [first] = pemBlocks(text);
  if (!first) return 'not a PEM public key (no -----BEGIN PUBLIC KEY----- block)';
  if (first.label !== 'PUBLIC KEY' && first.label !== 'RSA PUBLIC KEY')
    return `expected a PEM public key, found a ${JSON.stringify(first.label)} block`;
  try {
    createPublicKey(first.text);
  } catch (error) {
    return `the PEM public key does not parse: ${describeError(error)}`;
  }
  return undefined;
}

/** Why `text` is not one or more PEM certificates, or undefined. */
export function certificatesError(text: string): string | undefined {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) return 'no PEM certificate (-----BEGIN CERTIFICATE-----) found';
  for (const [index, block] of blocks.entries()) {
    if (block.label !== 'CERTIFICATE')
      return `PEM block ${index + 1} is a ${JSON.stringify(block.label)}, not a CERTIFICATE`;
    try {
      new X509Certificate(block.text);
    } catch (error) {
      return `certificate ${index + 1} does not parse: ${describeError(error)}`;
    }
  }
  return undefined;
}
