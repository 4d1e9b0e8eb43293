import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { KeyAlgorithm, PublicKey } from './public.js';

/**
 * The hash cosign signs with for each key type. cosign loads every non-Ed25519 key with SHA-256
 * unless told otherwise (`--signature-digest-algorithm`), so vouch signs with SHA-256 too; Ed25519
 * signs the message itself. Verification also accepts the curve's own hash (SHA-384 for P-384,
 * SHA-512 for P-521), which other Sigstore clients use.
 */
function signingHash(algorithm: KeyAlgorithm): string | null {
  return algorithm === 'ed25519' ? null : 'sha256';
}

function verificationHashes(algorithm: KeyAlgorithm): Array<string | null> {
  switch (algorithm) {
    case 'ed25519':
      return [null];
    case 'ecdsa-p384':
      return ['sha256', 'sha384'];
    case 'ecdsa-p521':
      return ['sha256', 'sha512'];
    default:
      return ['sha256'];
  }
}

/** Signs `data` with a private key: ASN.1 DER for ECDSA, PKCS#1 v1.5 for RSA, raw for Ed25519. */
export function signWith(privateKey: KeyObject, algorithm: KeyAlgorithm, data: Uint8Array): Buffer {
  return cryptoSign(signingHash(algorithm), data, { key: privateKey, dsaEncoding: 'der' });
}

/** Whether `signature` is a valid signature by `publicKey` over exactly `data`. Never throws. */
export function verifyWith(publicKey: PublicKey, data: Uint8Array, signature: Uint8Array): boolean {
  for (const hash of verificationHashes(publicKey.algorithm)) {
    try {
      if (cryptoVerify(hash, data, { key: publicKey.key, dsaEncoding: 'der' }, signature)) return true;
    } catch {
      // malformed signatures make OpenSSL throw on some versions; that is a failed verification
    }
  }
  return false;
}

/**
 * Why a signature's encoding cannot be right for this key, before any cryptography: ECDSA signatures
 * must be a DER SEQUENCE of two positive INTEGERs, Ed25519 signatures 64 bytes, RSA signatures the
 * modulus length. Undefined when the shape is plausible.
 */
export function signatureEncodingProblem(publicKey: PublicKey, signature: Uint8Array): string | undefined {
  if (signature.length === 0) return 'the signature is empty';
  switch (publicKey.algorithm) {
    case 'ed25519':
      return signature.length === 64
        ? undefined
        : `an Ed25519 signature has 64 bytes, this one ${signature.length}`;
    case 'rsa': {
      const bytes = Math.ceil((publicKey.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
      return signature.length === bytes
        ? undefined
        : `an RSA signature for this key has ${bytes} bytes, this one ${signature.length}`;
    }
    default:
      return isDerEcdsaSignature(signature)
        ? undefined
        : 'the signature is not a DER-encoded ECDSA signature';
  }
}

/** SEQUENCE { INTEGER r, INTEGER s } with definite lengths and nothing after it. */
export function isDerEcdsaSignature(bytes: Uint8Array): boolean {
  let offset = 0;
  const readLength = (): number | undefined => {
    const first = bytes[offset++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    const count = first & 0x7f;
    if (count === 0 || count > 2) return undefined;
    let length = 0;
    for (let i = 0; i < count; i++) {
      const byte = bytes[offset++];
      if (byte === undefined) return undefined;
      length = (length << 8) | byte;
    }
    return length;
  };
  const readInteger = (): boolean => {
    if (bytes[offset++] !== 0x02) return false;
    const length = readLength();
    if (length === undefined || length === 0 || offset + length > bytes.length) return false;
    if (((bytes[offset] as number) & 0x80) !== 0) return false; // negative
    offset += length;
    return true;
  };
  if (bytes[offset++] !== 0x30) return false;
  const length = readLength();
  if (length === undefined || offset + length !== bytes.length) return false;
  return readInteger() && readInteger() && offset === bytes.length;
}
