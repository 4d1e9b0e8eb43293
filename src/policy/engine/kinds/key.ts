/** A ClusterImagePolicy `key` authority made ready to verify with: its key parsed, its Rekor keys found. */
import { parsePublicKey } from '../../../signature/index.js';
import { type KeyAuthority, keyAuthority } from '../../../verify/authority.js';
import { unusableAuthority } from '../../errors.js';
import type { KeyAuthority as KeyAuthoritySpec } from '../../model.js';
import type { TrustAccess } from '../trust-access.js';

/** The hash each key type can be verified with (see the signature layer's `verifyWith`). */
const SUPPORTED_HASHES: Readonly<Record<string, readonly string[]>> = {
  'ecdsa-p256': ['sha256'],
  'ecdsa-p384': ['sha256', 'sha384'],
  'ecdsa-p521': ['sha256', 'sha512'],
  rsa: ['sha256'],
  ed25519: ['sha256', 'sha512'],
};

export async function buildKey(spec: KeyAuthoritySpec, trust: TrustAccess): Promise<KeyAuthority> {
  const key = parsePublicKey(spec.key.pem, `the public key of authority ${spec.name}`);
  if (!(SUPPORTED_HASHES[key.algorithm] ?? []).includes(spec.hashAlgorithm))
    throw unusableAuthority(
      `hashAlgorithm ${spec.hashAlgorithm} is not supported for a ${key.algorithm} key (vouch verifies with ${(SUPPORTED_HASHES[key.algorithm] ?? []).join(' or ')})`,
    );
  if (spec.timestamp !== undefined)
    throw unusableAuthority(
      'rfc3161timestamp is not supported for key authorities: vouch checks signed timestamps only for keyless signatures',
    );
  return keyAuthority({
    name: spec.name,
    keys: [key],
    ...(spec.tlog !== undefined && { rekorKeys: (await trust()).rekorKeys(spec.tlog.trustRootRef) }),
    ...(spec.annotations !== undefined && { annotations: spec.annotations }),
    ...(spec.signatureFormat !== undefined && { signatureFormat: spec.signatureFormat }),
  });
}
