import type { ArtefactSigner } from '../../src/signature/index.js';
import type { BundleSigningOptions, TestSigstore } from './index.js';

/**
 * The test Sigstore as a signer for the project's own `signLegacy`, `attestLegacy` and `attachBundle`:
 * every signature gets a fresh certificate (with `options`' identity and knobs), its SCT and a Rekor
 * entry, exactly as a keyless cosign client would write them; the manifests, tags and referrers are
 * written by the same code as for keys.
 */
export function sigstoreSigner(sigstore: TestSigstore, options: BundleSigningOptions = {}): ArtefactSigner {
  return {
    async signLayer(request) {
      if (request.kind === 'payload') {
        const signed = await sigstore.signLegacy(request.payload, options);
        return { signature: Buffer.from(signed.signature, 'base64'), annotations: signed.annotations };
      }
      const signed = await sigstore.signLegacyAttestation(request.payloadType, request.payload, options);
      return { signature: signed.signature, annotations: signed.annotations };
    },
    async signBundle(request) {
      return Buffer.from(
        JSON.stringify(await sigstore.signDssePayload(request.payloadType, request.payload, options)),
      );
    },
  };
}
