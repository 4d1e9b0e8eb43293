import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { prehashSupported, verifyPrehashed } from './prehash.js';

describe('verifyPrehashed (a signature checked against a digest only)', () => {
  const cases = [
    {
      name: 'ECDSA P-256 / SHA-256',
      key: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      hash: 'sha256',
    },
    {
      name: 'ECDSA P-384 / SHA-384',
      key: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
      hash: 'sha384',
    },
    {
      name: 'ECDSA P-256 / SHA-512 (truncated)',
      key: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      hash: 'sha512',
    },
    {
      name: 'RSA PKCS#1 v1.5 / SHA-256',
      key: generateKeyPairSync('rsa', { modulusLength: 2048 }),
      hash: 'sha256',
    },
  ] as const;

  for (const { name, key, hash } of cases) {
    it(`agrees with Node's crypto for ${name}`, () => {
      for (let round = 0; round < 8; round++) {
        const message = Buffer.from(`message ${round} ${Math.random()}`);
        const digest = createHash(hash).update(message).digest();
        const signature = sign(hash, message, key.privateKey);
        expect(verifyPrehashed(key.publicKey, hash, digest, signature)).toBe('valid');
        const otherDigest = createHash(hash)
          .update(Buffer.concat([message, Buffer.from('x')]))
          .digest();
        expect(verifyPrehashed(key.publicKey, hash, otherDigest, signature)).toBe('invalid');
        const tampered = Buffer.from(signature);
        tampered[tampered.length - 3] = (tampered[tampered.length - 3] as number) ^ 0x01;
        expect(verifyPrehashed(key.publicKey, hash, digest, tampered)).toBe('invalid');
      }
    });
  }

  it('rejects a signature made by another key', () => {
    const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const message = Buffer.from('hello');
    const signature = sign('sha256', message, signer.privateKey);
    const digest = createHash('sha256').update(message).digest();
    expect(verifyPrehashed(other.publicKey, 'sha256', digest, signature)).toBe('invalid');
  });

  it('says Ed25519 cannot be verified from a digest', () => {
    const key = generateKeyPairSync('ed25519');
    const signature = sign(null, Buffer.from('hello'), key.privateKey);
    expect(verifyPrehashed(key.publicKey, 'sha256', Buffer.alloc(32), signature)).toBe('unsupported');
    expect(prehashSupported(key.publicKey)).toBe(false);
    expect(prehashSupported(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)).toBe(true);
  });
});
