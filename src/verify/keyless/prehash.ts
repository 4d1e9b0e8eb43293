import { constants, type KeyObject, publicDecrypt } from 'node:crypto';
import { ASN1Obj } from '@sigstore/core';

/**
 * Verifies a signature given only the digest of the signed message. The conformance protocol lets a
 * client verify a message-signature bundle against `sha256:<hex>` instead of the file, and Node's
 * crypto only verifies over whole messages, so the final step is done here: ECDSA over the NIST curves
 * by plain modular arithmetic on public values (no secret is involved, so constant time is not needed),
 * and RSA PKCS#1 v1.5 by recovering and comparing the DigestInfo. Ed25519 and RSA-PSS cannot be checked
 * from a digest alone and return `unsupported`.
 */
export type PrehashResult = 'valid' | 'invalid' | 'unsupported';

export function verifyPrehashed(
  key: KeyObject,
  algorithm: 'sha256' | 'sha384' | 'sha512',
  digest: Buffer,
  signature: Buffer,
): PrehashResult {
  if (key.asymmetricKeyType === 'ec') return verifyEcdsa(key, digest, signature) ? 'valid' : 'invalid';
  if (key.asymmetricKeyType === 'rsa')
    return verifyRsaPkcs1(key, algorithm, digest, signature) ? 'valid' : 'invalid';
  return 'unsupported';
}

/** Whether `verifyPrehashed` can check signatures made with this key. */
export function prehashSupported(key: KeyObject): boolean {
  if (key.asymmetricKeyType === 'rsa') return true;
  return key.asymmetricKeyType === 'ec' && CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''] !== undefined;
}

const DIGEST_INFO_PREFIX = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
} as const;

function verifyRsaPkcs1(
  key: KeyObject,
  algorithm: keyof typeof DIGEST_INFO_PREFIX,
  digest: Buffer,
  signature: Buffer,
) {
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
  return recovered.equals(Buffer.concat([DIGEST_INFO_PREFIX[algorithm], digest]));
}

interface Curve {
  p: bigint;
  n: bigint;
  gx: bigint;
  gy: bigint;
}

// NIST curves (FIPS 186-4 D.1.2); all have a = -3.
const CURVES: Record<string, Curve> = {
  prime256v1: {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
  },
  secp384r1: {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
  },
};

type Point = { x: bigint; y: bigint; z: bigint }; // Jacobian; z = 0 is the point at infinity

function verifyEcdsa(key: KeyObject, digest: Buffer, signature: Buffer): boolean {
  const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (curve === undefined) return false;
  let r: bigint;
  let s: bigint;
  try {
    const sequence = ASN1Obj.parseBuffer(Buffer.from(signature));
    if (sequence.subs.length !== 2) return false;
    r = (sequence.subs[0] as ASN1Obj).toInteger();
    s = (sequence.subs[1] as ASN1Obj).toInteger();
  } catch {
    return false;
  }
  const { n, p } = curve;
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  const jwk = key.export({ format: 'jwk' });
  if (!jwk.x || !jwk.y) return false;
  const q: Point = {
    x: toBigInt(Buffer.from(jwk.x, 'base64url')),
    y: toBigInt(Buffer.from(jwk.y, 'base64url')),
    z: 1n,
  };
  // Use the leftmost bits of the digest when it is longer than the group order.
  const orderBits = n.toString(2).length;
  let e = toBigInt(digest);
  const digestBits = digest.length * 8;
  if (digestBits > orderBits) e >>= BigInt(digestBits - orderBits);
  const w = modInverse(s, n);
  const u1 = (e * w) % n;
  const u2 = (r * w) % n;
  const sum = add(multiply({ x: curve.gx, y: curve.gy, z: 1n }, u1, p), multiply(q, u2, p), p);
  if (sum.z === 0n) return false;
  const zInverse = modInverse(sum.z, p);
  const x = mod(sum.x * zInverse * zInverse, p);
  return mod(x, n) === r;
}

function toBigInt(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
}

function mod(value: bigint, modulus: bigint): bigint {
  const result = value % modulus;
  return result < 0n ? result + modulus : result;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = mod(base, modulus);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** Inverse modulo a prime (Fermat). */
function modInverse(value: bigint, prime: bigint): bigint {
  return modPow(value, prime - 2n, prime);
}

function double(point: Point, p: bigint): Point {
  if (point.z === 0n || point.y === 0n) return { x: 0n, y: 1n, z: 0n };
  const delta = mod(point.z * point.z, p);
  const gamma = mod(point.y * point.y, p);
  const beta = mod(point.x * gamma, p);
  const alpha = mod(3n * (point.x - delta) * (point.x + delta), p);
  const x = mod(alpha * alpha - 8n * beta, p);
  const z = mod((point.y + point.z) ** 2n - gamma - delta, p);
  const y = mod(alpha * (4n * beta - x) - 8n * gamma * gamma, p);
  return { x, y, z };
}

function add(a: Point, b: Point, p: bigint): Point {
  if (a.z === 0n) return b;
  if (b.z === 0n) return a;
  const z1z1 = mod(a.z * a.z, p);
  const z2z2 = mod(b.z * b.z, p);
  const u1 = mod(a.x * z2z2, p);
  const u2 = mod(b.x * z1z1, p);
  const s1 = mod(a.y * b.z * z2z2, p);
  const s2 = mod(b.y * a.z * z1z1, p);
  const h = mod(u2 - u1, p);
  const r = mod(2n * (s2 - s1), p);
  if (h === 0n) return r === 0n ? double(a, p) : { x: 0n, y: 1n, z: 0n };
  const i = mod(4n * h * h, p);
  const j = mod(h * i, p);
  const v = mod(u1 * i, p);
  const x = mod(r * r - j - 2n * v, p);
  const y = mod(r * (v - x) - 2n * s1 * j, p);
  const z = mod(((a.z + b.z) ** 2n - z1z1 - z2z2) * h, p);
  return { x, y, z };
}

function multiply(point: Point, scalar: bigint, p: bigint): Point {
  let result: Point = { x: 0n, y: 1n, z: 0n };
  let addend = point;
  let k = scalar;
  while (k > 0n) {
    if (k & 1n) result = add(result, addend, p);
    addend = double(addend, p);
    k >>= 1n;
  }
  return result;
}
