/**
 * The one harness that tests, benchmarks and the demo use to start real components on loopback: the
 * distribution registry (anonymous, Basic, token auth), redis-server, deterministic images, and a
 * deliberately misbehaving HTTP server.
 */
export { type CliResult, runVouch, VOUCH_BIN } from './cli.js';
export { type FakeHandler, type FakeRegistry, startFakeRegistry } from './fake-registry.js';
export {
  type BuiltArtifact,
  type BuiltImage,
  type BuiltIndex,
  buildImage,
  buildIndex,
  makeTar,
  pushArtifact,
} from './images.js';
export {
  type CertificateProfile,
  type CrlEntry,
  type CrlOptions,
  createCodeSigningPki,
  createOcspResponse,
  createRoot,
  createTimestampingPki,
  createTimestampToken,
  generateTestKey,
  type KeyUsageName,
  type OcspAnswer,
  OID,
  type PkiOptions,
  PROFILE,
  type RevocationRoute,
  type RevocationServer,
  readOcspRequest,
  startRevocationServer,
  TestCertificate,
  type TestHash,
  type TestKeyPair,
  type TestKeySpec,
  type TestPki,
  type TimestampTokenOptions,
} from './notation-pki.js';
export { freePort, killLeftovers, type ManagedProcess, startProcess, tempDir, waitFor } from './processes.js';
export { startRedis, type TestRedis } from './redis.js';
export {
  type RegistryAuth,
  type RegistryOptions,
  startRegistry,
  TEST_PASSWORD,
  TEST_USER,
  type TestRegistry,
} from './registry.js';
export { seedTags } from './seed.js';
export { type AccessRule, authenticatedOnly, startTokenServer, type TokenServer } from './token-server.js';
