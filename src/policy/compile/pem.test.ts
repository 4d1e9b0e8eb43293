import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certificatesError, pemBlocks, publicKeyError } from './pem.js';

const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();

describe('PEM checks at load time', () => {
  it('finds each block with its label, ignoring text around them', () => {
    const blocks = pemBlocks(`comment\n${publicKey}\nmore\n${publicKey}`);
    expect(blocks.map((block) => block.label)).toEqual(['PUBLIC KEY', 'PUBLIC KEY']);
    expect(blocks[0]?.text.trim()).toBe(publicKey.trim());
    expect(publicKeyError(publicKey)).toBeUndefined();
  });

  it('pairs a BEGIN only with the END of the same label', () => {
    const body = publicKey.split('\n').slice(1, -2).join('\n');
    expect(pemBlocks(`-----BEGIN PUBLIC KEY-----\n${body}\n-----END CERTIFICATE-----\n`)).toEqual([]);
    expect(certificatesError(publicKey)).toBe('PEM block 1 is a "PUBLIC KEY", not a CERTIFICATE');
  });

  it('answers hostile text (a megabyte of BEGIN lines without END) in linear time', () => {
    const hostile = '-----BEGIN CERTIFICATE-----\n'.repeat(40_000);
    expect(pemBlocks(hostile)).toEqual([]);
    expect(certificatesError(hostile)).toBe('no PEM certificate (-----BEGIN CERTIFICATE-----) found');
    expect(publicKeyError(`-----BEGIN PUBLIC KEY-----\n${'A'.repeat(1_000_000)}`)).toMatch(
      /not a PEM public key/,
    );
  });
});
