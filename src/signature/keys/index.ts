export { isDerEcdsaSignature, signatureEncodingProblem, signWith, verifyWith } from './algorithms.js';
export {
  ACCEPTED_SCRYPT_N,
  DEFAULT_SCRYPT_N,
  decryptPrivateKey,
  ENCRYPTED_COSIGN_PEM_TYPE,
  ENCRYPTED_SIGSTORE_PEM_TYPE,
  encryptPrivateKey,
} from './encrypted.js';
export { encodePem, type PemBlock, parsePemBlocks, parseSinglePem } from './pem.js';
export {
  type GeneratedKeyPair,
  generateKeyPair,
  type PasswordSource,
  type PrivateKey,
  parsePrivateKey,
  signBytes,
} from './private.js';
export {
  type KeyAlgorithm,
  keyAlgorithm,
  type PublicKey,
  parsePublicKey,
  publicKeyFromKeyObject,
  publicKeyFromSpki,
  sameKey,
} from './public.js';
