import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/index.js';
import {
  attachBundle,
  attestLegacy,
  buildStatement,
  COSIGN_SIGN_PREDICATE_TYPE,
  digestSet,
  ImageArtefacts,
  type SignTarget,
  signatureStatement,
  signLegacy,
} from '../../src/signature/index.js';
import {
  compileCondition,
  type KeylessAuthority,
  keylessAuthority,
  parseTrustedRoot,
  verifyAttestations,
  verifySignatures,
} from '../../src/verify/index.js';
import {
  type BuiltImage,
  buildImage,
  pushArtifact,
  startRegistry,
  type TestRegistry,
} from '../harness/index.js';
import { createTestSigstore, type TestSigstore } from '../sigstore/index.js';
import { sigstoreSigner } from '../sigstore/signer.js';

const PREDICATE = 'https://vouch.test/provenance/v1';

describe('keyless authorities through the verification core (real registry)', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let sigstore: TestSigstore;
  let authority: KeylessAuthority;

  beforeAll(async () => {
    [registry, sigstore] = await Promise.all([startRegistry(), createTestSigstore()]);
    client = new RegistryClient();
    authority = keylessAuthority({
      policy: { identities: [sigstore.defaultIdentity] },
      trustedRoot: parseTrustedRoot(sigstore.trustedRootJson, 'test sigstore'),
    });
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  async function push(seed: string): Promise<{ image: BuiltImage; target: SignTarget }> {
    const image = buildImage({ seed });
    const repo = { registry: registry.host, repository: `keyless/${seed}` };
    await pushArtifact(client, repo, image, 'v1');
    return {
      image,
      target: { ...repo, digest: image.digest, mediaType: image.mediaType, size: image.manifest.byteLength },
    };
  }

  const artefacts = (target: SignTarget) =>
    new ImageArtefacts(client, {
      registry: target.registry,
      repository: target.repository,
      digest: target.digest,
    });

  it('a legacy .sig layer with certificate, chain and Rekor bundle passes, naming the identity and the log', async () => {
    const { target } = await push('legacy-sig');
    await signLegacy(client, target, sigstoreSigner(sigstore), { annotations: { env: 'prod' } });
    const outcome = await verifySignatures(artefacts(target), authority);
    expect(outcome).toMatchObject({ type: 'keyless', passed: true, tlog: { status: 'verified' } });
    expect(outcome.reason).toContain('signed by signer@vouch.test (issuer https://issuer.vouch.test)');
    expect(outcome.signatures[0]?.identity).toEqual({
      subjects: ['signer@vouch.test'],
      issuer: 'https://issuer.vouch.test',
    });
    const annotated = await verifySignatures(artefacts(target), {
      ...authority,
      annotations: { env: 'dev' },
    });
    expect(annotated.passed).toBe(false);
    expect(annotated.reason).toContain('annotation mismatch: wanted env=dev (signed env=prod)');
  });

  it('a bundle referrer (cosign v3) passes; its subject annotations are checked', async () => {
    const { target } = await push('bundle-sig');
    await attachBundle(client, target, sigstoreSigner(sigstore), {
      statement: signatureStatement(target.digest, { env: 'prod' }),
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    });
    const outcome = await verifySignatures(artefacts(target), authority);
    expect(outcome.reason).toContain('signer@vouch.test');
    expect(outcome.passed).toBe(true);
    expect(outcome.signatures[0]).toMatchObject({
      format: 'bundle',
      source: 'referrers-tag',
      verified: true,
    });
    const annotated = await verifySignatures(artefacts(target), {
      ...authority,
      annotations: { env: 'dev' },
    });
    expect(annotated.reason).toContain('annotation mismatch');
    expect(annotated.passed).toBe(false);
  });

  it('legacy and bundle attestations pass with their predicate type and CEL condition', async () => {
    const { target } = await push('attest');
    const statement = buildStatement({
      subject: [{ name: target.repository, digest: digestSet(target.digest) }],
      predicateType: PREDICATE,
      predicate: { builder: 'ci' },
    });
    await attestLegacy(client, target, sigstoreSigner(sigstore), { statement, predicateType: PREDICATE });
    const good = compileCondition('statement.predicate.builder == "ci"', ['statement']);
    const bad = compileCondition('statement.predicate.builder == "laptop"', ['statement']);
    const legacy = await verifyAttestations(artefacts(target), authority, {
      predicateType: PREDICATE,
      condition: good,
    });
    expect(legacy.reason).toContain('signer@vouch.test');
    expect(legacy.passed).toBe(true);
    expect(legacy.signatures[0]).toMatchObject({ source: 'att-tag', verified: true });
    expect(legacy.statements?.[0]?.predicate).toEqual({ builder: 'ci' });
    const refused = await verifyAttestations(artefacts(target), authority, {
      predicateType: PREDICATE,
      condition: bad,
    });
    expect(refused).toMatchObject({ passed: false, failure: 'policy' });

    const { target: other } = await push('attest-bundle');
    const bundled = buildStatement({
      subject: [{ name: other.repository, digest: digestSet(other.digest) }],
      predicateType: PREDICATE,
      predicate: { builder: 'ci' },
    });
    await attachBundle(client, other, sigstoreSigner(sigstore), {
      statement: bundled,
      predicateType: PREDICATE,
    });
    const bundle = await verifyAttestations(artefacts(other), authority, {
      predicateType: PREDICATE,
      condition: good,
    });
    expect(bundle.signatures.map((s) => s.format)).toEqual(['bundle']);
    expect(bundle.passed).toBe(true);
    const wrongType = await verifyAttestations(artefacts(other), authority, {
      predicateType: 'https://vouch.test/other/v1',
    });
    expect(wrongType.passed).toBe(false);
  });
});
