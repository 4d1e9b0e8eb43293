import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { SignatureError } from '../errors.js';
import { encodePem, parseSinglePem } from './pem.js';

export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'rsa' | 'ed25519';

/** A parsed public key with what verification and reporting need. Plain data plus the KeyObject. */
export interface PublicKey {
  readonly key: KeyObject;
  readonly algorithm: KeyAlgorithm;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Buffer;
  /**
   * `sha256:` + the first 16 hex digits of the SHA-256 of the DER SubjectPublicKeyInfo: short enough
   * to read, long enough to tell keys apart. `openssl pkey -pubin -outform DER | sha256sum` gives the
   * full value.
   */
  readonly fingerprint: string;
  /** PEM `PUBLIC KEY` as cosign writes it. */
  readonly pem: string;
}

const MIN_RSA_BITS = 2048;

/** The algorithm of a key vouch can use, or an UNSUPPORTED_KEY error naming what it is. */
export function keyAlgorithm(key: KeyObject, what: string): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ec') {
    switch (details.namedCurve) {
      case 'prime256v1':
        return 'ecdsa-p256';
      case 'secp384r1':
        return 'ecdsa-p384';
      case 'secp521r1':
        return 'ecdsa-p521';
      default:
        throw new SignatureError(
          'UNSUPPORTED_KEY',
          `${what} is an ECDSA key on curve ${details.namedCurve ?? 'unknown'}; supported: P-256, P-384, P-521`,
        );
    }
  }
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS)
      throw new SignatureError(
        'UNSUPPORTED_KEY',
        `${what} is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`,
      );
    return 'rsa';
  }
  if (type === 'ed25519') return 'ed25519';
  throw new SignatureError(
    'UNSUPPORTED_KEY',
    `${what} is a ${type ?? 'unknown'} key; supported: ECDSA P-256/P-384/P-521, RSA, Ed25519`,
  );
}

export function publicKeyFromKeyObject(key: KeyObject, what = 'public key'): PublicKey {
  const algorithm = keyAlgorithm(key, what);
  const spki = key.export({ type: 'spki', format: 'der' });
  return {
    key,
    algorithm,
    spki,
    fingerprint: `sha256:${createHash('sha256').update(spki).digest('hex').slice(0, 16)}`,
    pem: encodePem('PUBLIC KEY', spki),
  };
}

/** A public key from DER SubjectPublicKeyInfo bytes. */
export function publicKeyFromSpki(spki: Uint8Array, what = 'public key'): PublicKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new SignatureError('INVALID_KEY', `${what} is not a valid public key`, { cause });
  }
  return publicKeyFromKeyObject(key, what);
}

/**
 * Parses a PEM public key as cosign's `--key` accepts it: `PUBLIC KEY` (PKIX) or `RSA PUBLIC KEY`
 * (PKCS#1). A private key or a certificate given where a public key is expected is an error that
 * says so, never a silent conversion.
 */
export function parsePublicKey(text: string, what = 'public key'): PublicKey {
  const block = parseSinglePem(text, what);
  let key: KeyObject;
  try {
    if (block.type === 'PUBLIC KEY') key = createPublicKey({ key: block.bytes, format: 'der', type: 'spki' });
    else if (block.type === 'RSA PUBLIC KEY')
      key = createPublicKey({ key: block.bytes, format: 'der', type: 'pkcs1' });
    else if (block.type.includes('PRIVATE KEY'))
      throw new SignatureError(
        'INVALID_KEY',
        `${what} is a private key (${block.type}); give the public key (.pub) instead`,
      );
    else if (block.type === 'CERTIFICATE')
      throw new SignatureError('INVALID_KEY', `${what} is a certificate, not a public key`);
    else throw new SignatureError('INVALID_KEY', `${what} is a PEM ${block.type}, not a PUBLIC KEY`);
  } catch (cause) {
    if (cause instanceof SignatureError) throw cause;
    throw new SignatureError('INVALID_KEY', `${what} is not a valid public key`, { cause });
  }
  return publicKeyFromKeyObject(key, what);
}

/** Whether two keys are the same key (their DER SubjectPublicKeyInfo are equal). */
export function sameKey(a: PublicKey, b: PublicKey): boolean {
  return a.spki.equals(b.spki);
}
