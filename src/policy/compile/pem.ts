/**
 * Light checks on PEM material at load time, so that a pasted-in-the-wrong-field key is reported by
 * `vouch policy lint` rather than at the first admission. The text is kept as written: parsing keys
 * for verification is the signature layer's job.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { describeError } from '../../errors.js';

const LABEL = /^[A-Z0-9 ]{1,64}$/;

/**
 * The PEM blocks of a text, each with its label. Scanned with indexOf, front to back, so that a
 * hostile text (many BEGIN lines, no END) costs linear time; a backtracking regular expression
 * costs quadratic (76 s for 1 MB).
 */
export function pemBlocks(text: string): { label: string; text: string }[] {
  const blocks: { label: string; text: string }[] = [];
  let at = 0;
  for (;;) {
    const begin = text.indexOf('-----BEGIN ', at);
    if (begin < 0) return blocks;
    const labelEnd = text.indexOf('-----', begin + 11);
    if (labelEnd < 0) return blocks;
    const label = text.slice(begin + 11, labelEnd);
    if (!LABEL.test(label)) {
      at = begin + 11;
      continue;
    }
    const end = `-----END ${label}-----`;
    const close = text.indexOf(end, labelEnd + 5);
    if (close < 0) return blocks;
    blocks.push({ label, text: text.slice(begin, close + end.length) });
    at = close + end.length;
  }
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
