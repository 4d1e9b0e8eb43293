import { createHash } from 'node:crypto';
import { InvalidReferenceError } from './errors.js';

/** Digest algorithms with a registered length (go-digest / OCI image spec). */
export const DIGEST_HEX_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

const ALGORITHM = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*$/;

/**
 * Checks `algorithm:hex` the way the OCI image spec does: the algorithm must be one we can compute and
 * the encoded part lowercase hex of exactly that algorithm's length. `input` is only used for messages.
 */
export function checkDigest(digest: string, input: string = digest): void {
  const colon = digest.indexOf(':');
  if (colon <= 0)
    throw new InvalidReferenceError(
      'INVALID_DIGEST',
      input,
      `digest ${JSON.stringify(digest)} must be algorithm:hex`,
    );
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (!ALGORITHM.test(algorithm)) {
    throw new InvalidReferenceError(
      'INVALID_DIGEST',
      input,
      `digest algorithm ${JSON.stringify(algorithm)} is malformed`,
    );
  }
  const length = DIGEST_HEX_LENGTHS[algorithm];
  if (length === undefined) {
    throw new InvalidReferenceError(
      'UNSUPPORTED_DIGEST_ALGORITHM',
      input,
      `unsupported digest algorithm ${JSON.stringify(algorithm)} (supported: sha256, sha384, sha512)`,
    );
  }
  if (!/^[a-f0-9]+$/.test(hex)) {
    throw new InvalidReferenceError(
      'INVALID_DIGEST',
      input,
      `${algorithm} digest must be lowercase hexadecimal`,
    );
  }
  if (hex.length !== length) {
    throw new InvalidReferenceError(
      'INVALID_DIGEST',
      input,
      `${algorithm} digest must have ${length} hex characters, got ${hex.length}`,
    );
  }
}

export function isDigest(value: string): boolean {
  try {
    checkDigest(value);
    return true;
  } catch {
    return false;
  }
}

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Hashes bytes with the algorithm named by `digest` and returns the resulting digest string. */
export function digestLike(digest: string, bytes: Uint8Array): string {
  const algorithm = digest.slice(0, digest.indexOf(':'));
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** The tag cosign derives from a digest: `sha256:abc` → `sha256-abc`. */
export function digestToTag(digest: string): string {
  return digest.replace(':', '-');
}
