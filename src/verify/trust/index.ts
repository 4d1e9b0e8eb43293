export { publicGoodTrustedRoot, stagingTrustedRoot } from './embedded.js';
export { logFromKey, withRekorKeys } from './log-keys.js';
export { trustMaterialFor, trustMaterialWithKey } from './material.js';
export {
  type ParsedCertificate,
  parseCertificateDer,
  parseCertificatesPem,
  parsePublicKeyPem,
} from './pem.js';
export { type PrivatePkiOptions, withPrivatePki, withPrivatePkiFiles } from './private-pki.js';
export {
  loadTrustedRootFile,
  parseTrustedRoot,
  parseTrustedRootText,
  TRUSTED_ROOT_MEDIA_TYPES,
  type TrustedRoot,
  type TrustedRootJson,
} from './trusted-root.js';
export {
  loadTrustedRootOrResourceFile,
  parseTrustedRootOrResource,
  parseTrustRootResources,
  type TrustRootResource,
  trustRootFromResource,
} from './trustroot-resource.js';
