import { createHash } from 'node:crypto';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import type { KeyAlgorithm, PublicKey } from '../../signature/index.js';
import { parseTrustedRoot, type TrustedRootJson } from './trusted-root.js';

type LogJson = NonNullable<TrustedRootJson['tlogs']>[number];

const KEY_DETAILS: Record<KeyAlgorithm, LogJson['publicKey']['keyDetails']> = {
  'ecdsa-p256': 'PKIX_ECDSA_P256_SHA_256',
  'ecdsa-p384': 'PKIX_ECDSA_P384_SHA_384',
  'ecdsa-p521': 'PKIX_ECDSA_P521_SHA_512',
  ed25519: 'PKIX_ED25519',
  rsa: 'PKIX_RSA_PKCS1V5',
};

/** Trusted since 1970: keys given without a validity window (a `--rekor-key`, a TrustRoot resource). */
export const EPOCH = '1970-01-01T00:00:00Z';

/**
 * A transparency (or CT) log entry of a trusted root for a bare public key: its log ID is the SHA-256
 * of the key's DER SubjectPublicKeyInfo, the value Rekor and CT logs put in their entries.
 */
export function logFromKey(
  key: PublicKey,
  baseUrl: string,
  hashAlgorithm: LogJson['hashAlgorithm'] = 'SHA2_256',
): LogJson {
  return {
    baseUrl,
    hashAlgorithm,
    publicKey: {
      rawBytes: key.spki.toString('base64'),
      keyDetails: KEY_DETAILS[key.algorithm],
      validFor: { start: EPOCH },
    },
    logId: { keyId: createHash('sha256').update(key.spki).digest('base64') },
  };
}

/**
 * `--rekor-key` with keyless verification: the given keys replace the trusted root's transparency logs
 * (its CAs, CT logs and TSAs stay), as cosign's SIGSTORE_REKOR_PUBLIC_KEY does. A Rekor entry then
 * counts only when one of these keys signed it.
 */
export function withRekorKeys(base: TrustedRoot, keys: readonly PublicKey[]): TrustedRoot {
  const json = TrustedRoot.toJSON(base) as TrustedRootJson;
  return parseTrustedRoot(
    { ...json, tlogs: keys.map((key, index) => logFromKey(key, `--rekor-key ${index + 1}`)) },
    '--rekor-key',
  );
}
