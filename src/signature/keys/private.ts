import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignatureError } from '../errors.js';
import { signWith } from './algorithms.js';
import {
  decryptPrivateKey,
  ENCRYPTED_COSIGN_PEM_TYPE,
  ENCRYPTED_SIGSTORE_PEM_TYPE,
  encryptPrivateKey,
} from './encrypted.js';
import { encodePem, parseSinglePem } from './pem.js';
import { type KeyAlgorithm, keyAlgorithm, type PublicKey, publicKeyFromKeyObject } from './public.js';

/** A private key ready to sign with, and its public half. */
export interface PrivateKey {
  readonly key: KeyObject;
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: PublicKey;
}

/** Signs bytes with the key's algorithm (see `algorithms.ts`). */
export function signBytes(privateKey: PrivateKey, data: Uint8Array): Buffer {
  return signWith(privateKey.key, privateKey.algorithm, data);
}

/** Where a password comes from: asked only when the key is encrypted. */
export type PasswordSource = () => Promise<string>;

function fromKeyObject(key: KeyObject, what: string): PrivateKey {
  const algorithm = keyAlgorithm(key, what);
  return { key, algorithm, publicKey: publicKeyFromKeyObject(createPublicKey(key), what) };
}

/**
 * Reads a private key as cosign does: its own encrypted formats (`ENCRYPTED SIGSTORE PRIVATE KEY`,
 * the older `ENCRYPTED COSIGN PRIVATE KEY`), or a plain `PRIVATE KEY` (PKCS#8), `EC PRIVATE KEY`
 * (SEC 1) or `RSA PRIVATE KEY` (PKCS#1). The password is asked for only for encrypted keys.
 */
export async function parsePrivateKey(
  text: string,
  password: PasswordSource,
  what = 'private key',
): Promise<PrivateKey> {
  const block = parseSinglePem(text, what);
  let der: Buffer;
  let type: 'pkcs8' | 'sec1' | 'pkcs1';
  switch (block.type) {
    case ENCRYPTED_SIGSTORE_PEM_TYPE:
    case ENCRYPTED_COSIGN_PEM_TYPE:
      der = await decryptPrivateKey(block.bytes, await password(), what);
      type = 'pkcs8';
      break;
    case 'PRIVATE KEY':
      der = block.bytes;
      type = 'pkcs8';
      break;
    case 'EC PRIVATE KEY':
      der = block.bytes;
      type = 'sec1';
      break;
    case 'RSA PRIVATE KEY':
      der = block.bytes;
      type = 'pkcs1';
      break;
    default:
      if (block.type.includes('PUBLIC KEY'))
        throw new SignatureError('INVALID_KEY', `${what} is a public key; signing needs the private key`);
      throw new SignatureError(
        'INVALID_KEY',
        `${what} is a PEM ${block.type}; expected ${ENCRYPTED_SIGSTORE_PEM_TYPE}, PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY`,
      );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: der, format: 'der', type });
  } catch (cause) {
    throw new SignatureError('INVALID_KEY', `${what} does not hold a valid private key`, { cause });
  }
  return fromKeyObject(key, what);
}

export interface GeneratedKeyPair {
  /** `ENCRYPTED SIGSTORE PRIVATE KEY` PEM. */
  privateKeyPem: string;
  /** `PUBLIC KEY` PEM. */
  publicKeyPem: string;
  publicKey: PublicKey;
}

/** A new ECDSA P-256 key pair in cosign's files' formats (what `cosign generate-key-pair` writes). */
export async function generateKeyPair(
  password: string,
  options: { n?: number } = {},
): Promise<GeneratedKeyPair> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const encrypted = await encryptPrivateKey(pkcs8, password, options);
  const parsed = publicKeyFromKeyObject(publicKey);
  return {
    privateKeyPem: encodePem(ENCRYPTED_SIGSTORE_PEM_TYPE, encrypted),
    publicKeyPem: parsed.pem,
    publicKey: parsed,
  };
}
