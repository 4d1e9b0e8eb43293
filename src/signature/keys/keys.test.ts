import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encryptPrivateKey } from './encrypted.js';
import {
  decryptPrivateKey,
  ENCRYPTED_COSIGN_PEM_TYPE,
  ENCRYPTED_SIGSTORE_PEM_TYPE,
  encodePem,
  generateKeyPair,
  parsePemBlocks,
  parsePrivateKey,
  parsePublicKey,
  publicKeyFromKeyObject,
  signBytes,
  verifyWith,
} from './index.js';

const password = (value: string) => async () => value;
const noPassword = async (): Promise<string> => {
  throw new Error('a password was asked for a plain key');
};

function pkcs8(key: KeyObject): Buffer {
  return key.export({ type: 'pkcs8', format: 'der' });
}

describe('cosign encrypted private keys', () => {
  it('generate-key-pair writes ENCRYPTED SIGSTORE PRIVATE KEY with cosign’s JSON, N=65536', async () => {
    const pair = await generateKeyPair('secret');
    const [block] = parsePemBlocks(pair.privateKeyPem, 'key');
    expect(block?.type).toBe(ENCRYPTED_SIGSTORE_PEM_TYPE);
    const json = JSON.parse(block?.bytes.toString('utf8') ?? '');
    expect(Object.keys(json)).toEqual(['kdf', 'cipher', 'ciphertext']);
    expect(json.kdf.name).toBe('scrypt');
    expect(json.kdf.params).toEqual({ N: 65536, r: 8, p: 1 });
    expect(Buffer.from(json.kdf.salt, 'base64')).toHaveLength(32);
    expect(json.cipher.name).toBe('nacl/secretbox');
    expect(Buffer.from(json.cipher.nonce, 'base64')).toHaveLength(24);
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const key = await parsePrivateKey(pair.privateKeyPem, password('secret'));
    expect(key.algorithm).toBe('ecdsa-p256');
    expect(key.publicKey.spki.equals(pair.publicKey.spki)).toBe(true);
  });

  it('reads N = 32768 and 131072 and the older ENCRYPTED COSIGN PRIVATE KEY type', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (const n of [32768, 131072]) {
      const body = await encryptPrivateKey(pkcs8(privateKey), 'pw', { n });
      const parsed = await parsePrivateKey(encodePem(ENCRYPTED_COSIGN_PEM_TYPE, body), password('pw'));
      expect(parsed.publicKey.spki.equals(publicKeyFromKeyObject(createPublicKey(privateKey)).spki)).toBe(
        true,
      );
    }
  });

  it('refuses scrypt parameters cosign would refuse', async () => {
    const body = JSON.parse((await encryptPrivateKey(Buffer.from('x'), 'pw')).toString());
    for (const params of [
      { N: 16384, r: 8, p: 1 },
      { N: 65536, r: 4, p: 1 },
      { N: 65536, r: 8, p: 2 },
    ]) {
      const changed = Buffer.from(JSON.stringify({ ...body, kdf: { ...body.kdf, params } }));
      await expect(decryptPrivateKey(changed, 'pw')).rejects.toMatchObject({ code: 'UNSUPPORTED_KDF' });
    }
  });

  it('a wrong password is WRONG_PASSWORD, an empty one is allowed', async () => {
    const pair = await generateKeyPair('');
    await expect(parsePrivateKey(pair.privateKeyPem, password('nope'))).rejects.toMatchObject({
      code: 'WRONG_PASSWORD',
      message: expect.stringMatching(/password is wrong/),
    });
    await expect(parsePrivateKey(pair.privateKeyPem, password(''))).resolves.toMatchObject({
      algorithm: 'ecdsa-p256',
    });
  });

  it('a corrupted ciphertext does not decrypt', async () => {
    const body = JSON.parse((await encryptPrivateKey(Buffer.from('key bytes'), 'pw')).toString());
    const sealed = Buffer.from(body.ciphertext, 'base64');
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] as number) ^ 1;
    const changed = Buffer.from(JSON.stringify({ ...body, ciphertext: sealed.toString('base64') }));
    await expect(decryptPrivateKey(changed, 'pw')).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
  });
});

describe('plain private keys', () => {
  const cases: Array<[string, KeyObject, string, 'pkcs8' | 'sec1' | 'pkcs1']> = [
    [
      'ECDSA P-256 PKCS#8',
      generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
      'ecdsa-p256',
      'pkcs8',
    ],
    [
      'ECDSA P-384 SEC 1',
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey,
      'ecdsa-p384',
      'sec1',
    ],
    ['RSA 2048 PKCS#1', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'rsa', 'pkcs1'],
    ['Ed25519 PKCS#8', generateKeyPairSync('ed25519').privateKey, 'ed25519', 'pkcs8'],
  ];
  it.each(cases)('%s signs what its public key verifies', async (_name, key, algorithm, type) => {
    const pem = key.export({ type: type as 'pkcs8', format: 'pem' }) as string;
    const parsed = await parsePrivateKey(pem, noPassword);
    expect(parsed.algorithm).toBe(algorithm);
    const data = Buffer.from('payload');
    const signature = signBytes(parsed, data);
    const publicKey = parsePublicKey(parsed.publicKey.pem);
    expect(verifyWith(publicKey, data, signature)).toBe(true);
    expect(verifyWith(publicKey, Buffer.from('other'), signature)).toBe(false);
  });

  it('refuses a public key, a certificate-shaped block, garbage and small RSA keys', async () => {
    const pub = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    }) as string;
    await expect(parsePrivateKey(pub, noPassword)).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(parsePrivateKey('hello', noPassword)).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(
      parsePrivateKey(encodePem('PRIVATE KEY', Buffer.from('junk')), noPassword),
    ).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    await expect(parsePrivateKey(small, noPassword)).rejects.toMatchObject({ code: 'UNSUPPORTED_KEY' });
  });
});

describe('public keys', () => {
  it('parses PUBLIC KEY and RSA PUBLIC KEY and fingerprints the SPKI', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = parsePublicKey(publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const pkcs1 = parsePublicKey(publicKey.export({ type: 'pkcs1', format: 'pem' }) as string);
    expect(spki.spki.equals(pkcs1.spki)).toBe(true);
    expect(spki.fingerprint).toMatch(/^sha256:[0-9a-f]{16}$/);
  });

  it('says what a wrong file is', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expect(() => parsePublicKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)).toThrow(
      /is a private key/,
    );
    expect(() => parsePublicKey('')).toThrow(/no PEM block/);
    expect(() => parsePublicKey(encodePem('CERTIFICATE', Buffer.from('x')))).toThrow(/certificate/);
    expect(() => parsePublicKey(encodePem('PUBLIC KEY', Buffer.from('junk')))).toThrow(
      /not a valid public key/,
    );
    expect(() => parsePublicKey('-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n')).toThrow(
      /base64/,
    );
  });

  it('refuses curves vouch does not support', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    expect(() => parsePublicKey(publicKey.export({ type: 'spki', format: 'pem' }) as string)).toThrow(
      /curve secp256k1/,
    );
  });
});
