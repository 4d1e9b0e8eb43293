import type { KeyObject } from 'node:crypto';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { type TrustMaterial, toTrustMaterial, VerificationError } from '@sigstore/verify';

const cache = new WeakMap<TrustedRoot, TrustMaterial>();

/**
 * The key material @sigstore/verify works with, built once per trusted root (it parses every
 * certificate and key). With no public key, asking for one by hint fails: keyless verification never
 * takes a signer key from anywhere but a certificate.
 */
export function trustMaterialFor(root: TrustedRoot): TrustMaterial {
  let material = cache.get(root);
  if (material === undefined) {
    material = toTrustMaterial(root, () => {
      throw new VerificationError({ code: 'PUBLIC_KEY_ERROR', message: 'no public key is trusted here' });
    });
    cache.set(root, material);
  }
  return material;
}

/**
 * Trust material for verifying with one given public key (`--key`): whatever key hint a bundle
 * carries, the key used is this one (hints are not authenticated, so they choose nothing).
 */
export function trustMaterialWithKey(root: TrustedRoot, key: KeyObject): TrustMaterial {
  return {
    ...trustMaterialFor(root),
    publicKey: () => ({ publicKey: key, validFor: () => true }),
  };
}
