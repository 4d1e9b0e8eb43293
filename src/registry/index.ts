export type { Challenge } from './challenge.js';
export { parseChallenge } from './challenge.js';
export {
  type CallOptions,
  type FetchedManifest,
  nextLink,
  type Referrers,
  RegistryClient,
  type RegistryClientOptions,
  type Repository,
  type ResolvedManifest,
} from './client.js';
export {
  anonymous,
  ChainedCredentials,
  type Credential,
  type CredentialStore,
  type DockerConfig,
  DockerConfigCredentials,
  StaticCredentials,
} from './credentials.js';
export {
  isNotFound,
  isRegistryError,
  RegistryError,
  type RegistryErrorCode,
  registryFailureKind,
} from './errors.js';
export { parseManifest } from './manifest.js';
export * from './media-types.js';
export { RequestCounter } from './stats.js';
export { isLoopbackRegistry, parseRetryAfter, type RequestEvent, type RequestKind } from './transport.js';
export { RegistryTrouble } from './trouble.js';
