import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestToTag } from '../../src/reference/index.js';
import {
  type ImageIndex,
  type ImageManifest,
  RegistryClient,
  StaticCredentials,
} from '../../src/registry/index.js';
import {
  attachBundle,
  attestLegacy,
  buildStatement,
  COSIGN_SIGN_PREDICATE_TYPE,
  CosignMediaType,
  digestSet,
  ImageArtefacts,
  type PrivateKey,
  parsePrivateKey,
  type SignTarget,
  signatureStatement,
  signLegacy,
} from '../../src/signature/index.js';
import {
  compileCondition,
  keyAuthority,
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

async function newKey(): Promise<PrivateKey> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return parsePrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, async () => '');
}

function targetOf(registry: string, repository: string, image: BuiltImage): SignTarget {
  return {
    registry,
    repository,
    digest: image.digest,
    mediaType: image.mediaType,
    size: image.manifest.byteLength,
  };
}

describe.each(['anonymous', 'basic', 'token'] as const)('sign then verify (%s registry)', (auth) => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let key: PrivateKey;
  beforeAll(async () => {
    registry = await startRegistry({ auth });
    client = new RegistryClient({
      credentials: new StaticCredentials({
        [registry.host]: { username: registry.username, password: registry.password },
      }),
    });
    key = await newKey();
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  it('legacy: the .sig signature verifies with the key', async () => {
    const image = buildImage({ seed: `legacy-${auth}` });
    const repo = { registry: registry.host, repository: 'team/legacy' };
    await pushArtifact(client, repo, image, 'v1');
    const result = await signLegacy(client, targetOf(registry.host, repo.repository, image), key, {});
    expect(result).toEqual({
      location: `${registry.host}/team/legacy:${digestToTag(image.digest)}.sig`,
      written: true,
    });
    const outcome = await verifySignatures(
      new ImageArtefacts(client, { ...repo, digest: image.digest }),
      keyAuthority({ keys: [key.publicKey] }),
    );
    expect(outcome).toMatchObject({ passed: true, type: 'key', tlog: { status: 'not-checked' } });
    expect(outcome.signatures).toEqual([
      expect.objectContaining({ source: 'sig-tag', format: 'legacy', verified: true }),
    ]);
  });

  it('bundle: the referrer verifies with the key, through the referrers tag schema', async () => {
    const image = buildImage({ seed: `bundle-${auth}` });
    const repo = { registry: registry.host, repository: 'team/bundle' };
    await pushArtifact(client, repo, image, 'v1');
    const statement = signatureStatement(image.digest);
    await attachBundle(client, targetOf(registry.host, repo.repository, image), key, {
      statement,
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    });
    const index = await client.getManifest({ ...repo, tag: digestToTag(image.digest) });
    const listed = (index.manifest as ImageIndex).manifests;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ artifactType: CosignMediaType.SIGSTORE_BUNDLE_V03 });
    const referrer = (await client.getManifest({ ...repo, digest: listed[0]?.digest as string }))
      .manifest as ImageManifest;
    expect(referrer.subject?.digest).toBe(image.digest);
    expect(referrer.artifactType).toBe(CosignMediaType.SIGSTORE_BUNDLE_V03);
    const outcome = await verifySignatures(
      new ImageArtefacts(client, { ...repo, digest: image.digest }),
      keyAuthority({ keys: [key.publicKey] }),
    );
    expect(outcome.passed).toBe(true);
    expect(outcome.signatures).toEqual([
      expect.objectContaining({ source: 'referrers-tag', format: 'bundle', verified: true }),
    ]);
    expect(outcome.tlog?.detail).toMatch(/no transparency-log entry/);
  });
});

describe('sign then verify, in depth (anonymous registry)', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let key: PrivateKey;
  let otherKey: PrivateKey;
  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient();
    key = await newKey();
    otherKey = await newKey();
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  async function pushed(seed: string, repository = 'team/app') {
    const image = buildImage({ seed });
    const repo = { registry: registry.host, repository };
    await pushArtifact(client, repo, image, seed);
    return { image, repo, target: targetOf(registry.host, repository, image) };
  }

  const verify = (
    repo: { registry: string; repository: string },
    digest: string,
    options = {},
    authority = {},
  ) =>
    verifySignatures(
      new ImageArtefacts(client, { ...repo, digest }, options),
      keyAuthority({ keys: [key.publicKey], ...authority }),
    );

  it('annotations: signed -a values must match exactly (legacy and bundle)', async () => {
    const legacy = await pushed('annotated-legacy');
    await signLegacy(client, legacy.target, key, { annotations: { env: 'prod', ci: '42' } });
    expect(
      (await verify(legacy.repo, legacy.image.digest, {}, { annotations: { env: 'prod' } })).passed,
    ).toBe(true);
    const mismatch = await verify(legacy.repo, legacy.image.digest, {}, { annotations: { env: 'dev' } });
    expect(mismatch.passed).toBe(false);
    expect(mismatch.reason).toContain('annotation mismatch: wanted env=dev (signed env=prod)');

    const bundle = await pushed('annotated-bundle');
    await attachBundle(client, bundle.target, key, {
      statement: signatureStatement(bundle.image.digest, { env: 'prod' }),
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    });
    expect(
      (await verify(bundle.repo, bundle.image.digest, {}, { annotations: { env: 'prod' } })).passed,
    ).toBe(true);
    const absent = await verify(bundle.repo, bundle.image.digest, {}, { annotations: { team: 'x' } });
    expect(absent.reason).toContain('annotation mismatch: wanted team=x (absent)');
  });

  it('signing twice with the same key and annotations writes nothing; other annotations or keys append', async () => {
    const { image, repo, target } = await pushed('resign');
    expect((await signLegacy(client, target, key, {})).written).toBe(true);
    expect((await signLegacy(client, target, key, {})).written).toBe(false);
    expect((await signLegacy(client, target, key, { annotations: { a: 'b' } })).written).toBe(true);
    expect((await signLegacy(client, target, otherKey, {})).written).toBe(true);
    const sig = await client.getManifest({ ...repo, tag: `${digestToTag(image.digest)}.sig` });
    expect((sig.manifest as ImageManifest).layers).toHaveLength(3);
    const outcome = await verify(repo, image.digest);
    expect(outcome.signatures.filter((s) => s.verified)).toHaveLength(2);

    const statement = signatureStatement(image.digest);
    const input = { statement, predicateType: COSIGN_SIGN_PREDICATE_TYPE };
    expect((await attachBundle(client, target, key, input)).written).toBe(true);
    expect((await attachBundle(client, target, key, input)).written).toBe(false);
  });

  it('a signature repository override: found only where it was written', async () => {
    const { image, repo, target } = await pushed('elsewhere');
    const signatureRepository = { registry: registry.host, repository: 'signatures/store' };
    await signLegacy(client, target, key, {}, { signatureRepository });
    const beside = await verify(repo, image.digest);
    expect(beside.passed).toBe(false);
    expect(beside.reason).toMatch(/no signatures found/);
    expect((await verify(repo, image.digest, { signatureRepository })).passed).toBe(true);

    const bundled = await pushed('elsewhere-bundle');
    await attachBundle(
      client,
      bundled.target,
      key,
      { statement: signatureStatement(bundled.image.digest), predicateType: COSIGN_SIGN_PREDICATE_TYPE },
      { signatureRepository },
    );
    expect((await verify(bundled.repo, bundled.image.digest, { signatureRepository })).passed).toBe(true);
  });

  it('the wrong key fails, an unsigned image fails with "no signatures found"', async () => {
    const { image, repo, target } = await pushed('wrong-key');
    await signLegacy(client, target, otherKey, {});
    const wrong = await verify(repo, image.digest);
    expect(wrong).toMatchObject({ passed: false, failure: 'signature' });
    expect(wrong.reason).toMatch(/does not verify over the payload with key sha256:/);

    const unsigned = await pushed('never-signed');
    const none = await verify(unsigned.repo, unsigned.image.digest);
    expect(none).toMatchObject({ passed: false, failure: 'signature', signatures: [] });
    expect(none.reason).toMatch(
      /^no signatures found for sha256:[0-9a-f]{64} \(looked in .*\.sig and the referrers/,
    );
  });

  it('legacy and bundle attestations verify with their predicate type and CEL condition', async () => {
    const { image, repo, target } = await pushed('attested');
    const predicateType = 'https://cyclonedx.org/bom';
    const statement = buildStatement({
      subject: [{ name: repo.repository, digest: digestSet(image.digest) }],
      predicateType,
      predicate: { bomFormat: 'CycloneDX', components: [{ name: 'openssl' }] },
    });
    await attestLegacy(client, target, key, { statement, predicateType });
    const authority = keyAuthority({ keys: [key.publicKey] });
    const artefacts = () => new ImageArtefacts(client, { ...repo, digest: image.digest });
    const good = await verifyAttestations(artefacts(), authority, {
      predicateType,
      condition: compileCondition('statement.predicate.components.exists(c, c.name == "openssl")', [
        'statement',
      ]),
    });
    expect(good.passed).toBe(true);
    expect(good.statements?.[0]?.predicateType).toBe(predicateType);
    const falseCondition = await verifyAttestations(artefacts(), authority, {
      predicateType,
      condition: compileCondition('statement.predicate.bomFormat == "SPDX"', ['statement']),
    });
    expect(falseCondition).toMatchObject({ passed: false, failure: 'policy' });
    expect(falseCondition.reason).toContain('the condition statement.predicate.bomFormat == "SPDX" is false');
    const otherType = await verifyAttestations(artefacts(), authority, {
      predicateType: 'https://slsa.dev/provenance/v1',
    });
    expect(otherType.passed).toBe(false);
    expect(otherType.reason).toContain(
      'predicate type is https://cyclonedx.org/bom, not https://slsa.dev/provenance/v1',
    );

    const bundled = await pushed('attested-bundle');
    await attachBundle(client, bundled.target, key, {
      statement: buildStatement({
        subject: [{ name: bundled.repo.repository, digest: digestSet(bundled.image.digest) }],
        predicateType,
        predicate: { bomFormat: 'CycloneDX' },
      }),
      predicateType,
    });
    const viaBundle = await verifyAttestations(
      new ImageArtefacts(client, { ...bundled.repo, digest: bundled.image.digest }),
      authority,
      {
        predicateType,
        condition: compileCondition('statement.predicate.bomFormat == "CycloneDX"', ['statement']),
      },
    );
    expect(viaBundle.passed).toBe(true);
    expect(viaBundle.signatures[0]).toMatchObject({ format: 'bundle', verified: true });
    // An attestation bundle is not a signature.
    const asSignature = await verify(bundled.repo, bundled.image.digest);
    expect(asSignature.passed).toBe(false);
  });

  it('with a legacy signature present, the referrers are not read at all', async () => {
    const { image, repo, target } = await pushed('legacy-first');
    await signLegacy(client, target, key, {});
    await attachBundle(client, target, key, {
      statement: signatureStatement(image.digest),
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    });
    client.stats.reset();
    const outcome = await verify(repo, image.digest);
    expect(outcome.passed).toBe(true);
    expect(client.stats.count('referrers')).toBe(0);
    expect(client.stats.total).toBe(2);
  });
});

describe('every supported key type signs and verifies, legacy and bundle', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient();
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  const keyTypes: Array<[string, () => ReturnType<typeof generateKeyPairSync>]> = [
    ['ECDSA P-256', () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' })],
    ['ECDSA P-384', () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' })],
    ['RSA 3072', () => generateKeyPairSync('rsa', { modulusLength: 3072 })],
    ['Ed25519', () => generateKeyPairSync('ed25519')],
  ];

  it.each(keyTypes)('%s', async (name, generate) => {
    const { privateKey } = generate();
    const key = await parsePrivateKey(
      privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      async () => '',
    );
    const seed = name.replace(/\W/g, '-').toLowerCase();
    for (const format of ['legacy', 'bundle'] as const) {
      const image = buildImage({ seed: `${seed}-${format}` });
      const repo = { registry: registry.host, repository: `keys/${seed}` };
      await pushArtifact(client, repo, image);
      const target = targetOf(registry.host, repo.repository, image);
      if (format === 'legacy') await signLegacy(client, target, key, {});
      else
        await attachBundle(client, target, key, {
          statement: signatureStatement(image.digest),
          predicateType: COSIGN_SIGN_PREDICATE_TYPE,
        });
      const outcome = await verifySignatures(
        new ImageArtefacts(client, { ...repo, digest: image.digest }),
        keyAuthority({ keys: [key.publicKey] }),
      );
      expect(outcome.passed, `${name} ${format}: ${outcome.reason}`).toBe(true);
      expect(outcome.signatures[0]?.format).toBe(format);
    }
  });
});
