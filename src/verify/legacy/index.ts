/**
 * The legacy format in the verify layer: cosign's `.sig` layers (signatures) and `.att` layers
 * (attestations), checked against key authorities here and keyless ones in `keyless.ts` (loaded on
 * first use: it brings in the certificate machinery a key-only run does not need).
 */
import { findLegacy, type LegacyLayerArtefact } from '../../signature/index.js';
import type { FormatReader } from '../reader.js';
import { checkLegacyAttestationWithKey, checkLegacySignatureWithKey } from './key.js';

export const reader: FormatReader<LegacyLayerArtefact> = {
  async find(artefacts, purpose) {
    const legacy = await findLegacy(artefacts, purpose.kind === 'signatures' ? 'sig' : 'att');
    return {
      location: legacy.location,
      candidates: legacy.layers,
      ...(legacy.problem !== undefined && { problem: legacy.problem }),
    };
  },
  lookupStep: (purpose) =>
    purpose.kind === 'signatures' ? 'reading the .sig signatures' : 'reading the .att attestations',
  checks: {
    key: (layer, authority, { digest, purpose }) =>
      purpose.kind === 'signatures'
        ? checkLegacySignatureWithKey(layer, authority, digest)
        : checkLegacyAttestationWithKey(layer, authority, digest, purpose.predicateType),
    keyless: async (layer, authority, { digest, purpose }) => {
      const keyless = await import('./keyless.js');
      return purpose.kind === 'signatures'
        ? keyless.checkLegacySignatureKeyless(layer, authority, digest)
        : keyless.checkLegacyAttestationKeyless(layer, authority, digest, purpose.predicateType);
    },
  },
};
