export {
  checkDigest,
  DIGEST_HEX_LENGTHS,
  digestLike,
  digestToTag,
  isDigest,
  sha256Digest,
} from './digest.js';
export { InvalidReferenceError, type ReferenceErrorCode } from './errors.js';
export {
  canonicalLocation,
  canonicalRegistry,
  DEFAULT_TAG,
  DOCKER_HUB_REGISTRY,
  formatReference,
  type ImageReference,
  manifestIdentifier,
  parseReference,
  repositoryName,
  withDigest,
  withTag,
} from './parse.js';
