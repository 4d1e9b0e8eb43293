import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestToTag, parseReference, sha256Digest } from '../../src/reference/index.js';
import {
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  MediaType,
  RegistryClient,
} from '../../src/registry/index.js';
import {
  attachBundle,
  attestLegacy,
  buildBundleReferrerManifest,
  buildLegacyManifest,
  buildReferrersIndex,
  buildSimpleSigningPayload,
  buildStatement,
  COSIGN_SIGN_PREDICATE_TYPE,
  CosignAnnotation,
  CosignMediaType,
  digestSet,
  ImageArtefacts,
  layerDescriptor,
  legacyTag,
  type PrivateKey,
  parsePrivateKey,
  signatureStatement,
  signBytes,
  signLegacy,
} from '../../src/signature/index.js';
import { keyAuthority, verifyAttestations, verifySignatures } from '../../src/verify/index.js';
import {
  type BuiltImage,
  buildImage,
  type FakeRegistry,
  pushArtifact,
  startFakeRegistry,
  startRegistry,
  type TestRegistry,
} from '../harness/index.js';
import { addManifest, pushLegacyManifest, serveStatic, staticContent } from '../signature/helpers.js';

const PROVENANCE = 'https://slsa.dev/provenance/v1';

async function newKey(): Promise<PrivateKey> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return parsePrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, async () => '');
}

/** A simple-signing layer signed by `key` over `payload` (or carrying whatever signature is given). */
function signedLayer(
  key: PrivateKey,
  payload: Buffer,
  options: { mediaType?: string; signature?: string } = {},
) {
  const signature = options.signature ?? signBytes(key, payload).toString('base64');
  return {
    blob: payload,
    descriptor: layerDescriptor(payload, options.mediaType ?? CosignMediaType.SIMPLE_SIGNING, {
      [CosignAnnotation.SIGNATURE]: signature,
    }),
  };
}

describe('attacks on a real registry, each refused with its own reason', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let key: PrivateKey;
  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient();
    key = await newKey();
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  const repo = () => ({ registry: registry.host, repository: 'victim/app' });
  async function image(seed: string): Promise<BuiltImage> {
    const built = buildImage({ seed });
    await pushArtifact(client, repo(), built, seed);
    return built;
  }
  function target(built: BuiltImage) {
    return { ...repo(), digest: built.digest, mediaType: built.mediaType, size: built.manifest.byteLength };
  }
  const verify = (digest: string, authority = {}) =>
    verifySignatures(
      new ImageArtefacts(client, { ...repo(), digest }),
      keyAuthority({ keys: [key.publicKey], ...authority }),
    );
  const payloadFor = (digest: string, annotations?: Record<string, string>) =>
    buildSimpleSigningPayload({
      dockerReference: `${registry.host}/victim/app`,
      digest,
      ...(annotations && { annotations }),
    });

  it('a valid .sig manifest of image A copied to image B’s signature tag', async () => {
    const a = await image('copy-a');
    const b = await image('copy-b');
    await signLegacy(client, target(a), key, {});
    expect((await verify(a.digest)).passed).toBe(true);
    const sig = await client.getManifest({ ...repo(), tag: legacyTag(a.digest, 'sig') });
    await client.putManifest(repo(), legacyTag(b.digest, 'sig'), sig.bytes, MediaType.OCI_MANIFEST);
    const outcome = await verify(b.digest);
    expect(outcome).toMatchObject({ passed: false, failure: 'signature' });
    expect(outcome.reason).toContain(`the signed payload names ${a.digest}, not ${b.digest}`);
  });

  it('a valid .att manifest of image A copied to image B’s attestation tag', async () => {
    const a = await image('att-copy-a');
    const b = await image('att-copy-b');
    const statement = buildStatement({
      subject: [{ name: 'victim/app', digest: digestSet(a.digest) }],
      predicateType: PROVENANCE,
      predicate: {},
    });
    await attestLegacy(client, target(a), key, { statement, predicateType: PROVENANCE });
    const attested = (digest: string) =>
      verifyAttestations(
        new ImageArtefacts(client, { ...repo(), digest }),
        keyAuthority({ keys: [key.publicKey] }),
        { predicateType: PROVENANCE },
      );
    expect((await attested(a.digest)).passed).toBe(true);
    const att = await client.getManifest({ ...repo(), tag: legacyTag(a.digest, 'att') });
    await client.putManifest(repo(), legacyTag(b.digest, 'att'), att.bytes, MediaType.OCI_MANIFEST);
    const outcome = await attested(b.digest);
    expect(outcome).toMatchObject({ passed: false, failure: 'signature' });
    expect(outcome.reason).toContain(`the statement's subjects name ${a.digest}, not ${b.digest}`);
  });

  it('the tag moved to new content after signing', async () => {
    const signed = await image('moving');
    await signLegacy(client, target(signed), key, {});
    const replacement = buildImage({ seed: 'moving-replacement' });
    await pushArtifact(client, repo(), replacement, 'moving');
    const { digest } = await client.resolve(parseReference(`${registry.host}/victim/app:moving`));
    expect(digest).toBe(replacement.digest);
    const outcome = await verify(digest);
    expect(outcome.passed).toBe(false);
    expect(outcome.reason).toContain(`no signatures found for ${replacement.digest}`);
  });

  it('a signed payload naming another digest', async () => {
    const b = await image('other-digest');
    const elsewhere = sha256Digest('some other image');
    await pushLegacyManifest(client, repo(), b.digest, [signedLayer(key, payloadFor(elsewhere))]);
    const outcome = await verify(b.digest);
    expect(outcome.reason).toContain(`the signed payload names ${elsewhere}, not ${b.digest}`);
  });

  it('a signature made over a different payload', async () => {
    const b = await image('other-payload');
    const signedPayload = payloadFor(b.digest, { approved: 'no' });
    const shownPayload = payloadFor(b.digest, { approved: 'yes' });
    const signature = signBytes(key, signedPayload).toString('base64');
    await pushLegacyManifest(client, repo(), b.digest, [signedLayer(key, shownPayload, { signature })]);
    const outcome = await verify(b.digest, { annotations: { approved: 'yes' } });
    expect(outcome.passed).toBe(false);
    expect(outcome.reason).toMatch(/the signature does not verify over the payload with key sha256:/);
  });

  it('a layer that is not a simple-signing payload, with a valid-looking signature annotation', async () => {
    const b = await image('not-simple-signing');
    await pushLegacyManifest(client, repo(), b.digest, [
      signedLayer(key, payloadFor(b.digest), { mediaType: 'text/plain' }),
    ]);
    const outcome = await verify(b.digest);
    expect(outcome.reason).toContain('layer is text/plain, not a simple-signing payload, so it never counts');
  });

  it('malformed base64 and malformed DER signatures', async () => {
    const b = await image('malformed');
    const payload = payloadFor(b.digest);
    await pushLegacyManifest(client, repo(), b.digest, [
      signedLayer(key, payload, { signature: 'MEUCIQ***not base64***' }),
      signedLayer(key, Buffer.concat([payload, Buffer.from(' ')]), {
        signature: randomBytes(70).toString('base64'),
      }),
    ]);
    const outcome = await verify(b.digest);
    expect(outcome.passed).toBe(false);
    expect(outcome.signatures.map((s) => s.reason)).toEqual([
      'the signature annotation is not valid base64',
      'the signature is not a DER-encoded ECDSA signature',
    ]);
  });

  it('an annotation mismatch', async () => {
    const b = await image('annotations');
    await signLegacy(client, target(b), key, { annotations: { env: 'staging' } });
    const outcome = await verify(b.digest, { annotations: { env: 'prod' } });
    expect(outcome.reason).toContain('annotation mismatch: wanted env=prod (signed env=staging)');
  });

  it('a signature manifest with 10,000 layers is refused by the layer cap, fetching no blob', async () => {
    const b = await image('many-layers');
    const layer = signedLayer(key, payloadFor(b.digest));
    await client.putBlob(repo(), layer.blob);
    const { manifest, config } = buildLegacyManifest(Array.from({ length: 10_000 }, () => layer.descriptor));
    await client.putBlob(repo(), config);
    await client.putManifest(repo(), legacyTag(b.digest, 'sig'), manifest, MediaType.OCI_MANIFEST);
    client.stats.reset();
    const outcome = await verify(b.digest);
    // An oversized manifest is a registry fault: it denies in every mode (issue 15, item 5).
    expect(outcome).toMatchObject({ passed: false, failure: 'registry' });
    expect(outcome.reason).toContain('has 10000 layers; at most 1000 are read');
    expect(client.stats.count('blob-get')).toBe(0);
  });

  it('a bundle referrer of image A listed for image B', async () => {
    const a = await image('bundle-a');
    const b = await image('bundle-b');
    await attachBundle(client, target(a), key, {
      statement: signatureStatement(a.digest),
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    });
    const aIndex = (await client.getManifest({ ...repo(), tag: digestToTag(a.digest) }))
      .manifest as ImageIndex;
    // 1. A's referrer copied into B's referrers index as it is: its subject is A.
    await client.putManifest(
      repo(),
      digestToTag(b.digest),
      buildReferrersIndex(aIndex.manifests),
      MediaType.OCI_INDEX,
    );
    const copied = await verify(b.digest);
    expect(copied.reason).toContain(`has subject ${a.digest}, not ${b.digest}`);
    // 2. A's bundle under a new referrer manifest whose subject says B: the signed statement still names A.
    const aReferrer = (await client.getManifest({ ...repo(), digest: aIndex.manifests[0]?.digest as string }))
      .manifest as ImageManifest;
    const bundle = await client.getBlob(repo(), aReferrer.layers[0]?.digest as string);
    const forged = buildBundleReferrerManifest({
      bundle,
      subject: { mediaType: b.mediaType, digest: b.digest, size: b.manifest.byteLength },
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    });
    const forgedDigest = await client.putManifest(
      repo(),
      sha256Digest(forged.manifest),
      forged.manifest,
      MediaType.OCI_MANIFEST,
    );
    await client.putManifest(
      repo(),
      digestToTag(b.digest),
      buildReferrersIndex([
        {
          mediaType: MediaType.OCI_MANIFEST,
          digest: forgedDigest,
          size: forged.manifest.byteLength,
          artifactType: CosignMediaType.SIGSTORE_BUNDLE_V03,
        },
      ]),
      MediaType.OCI_INDEX,
    );
    const relabelled = await verify(b.digest);
    expect(relabelled.reason).toMatch(
      new RegExp(`the statement's subjects name ${a.digest}, not ${b.digest}`),
    );
  });
});

describe('attacks only a misbehaving registry can make', () => {
  let fake: FakeRegistry;
  let client: RegistryClient;
  let key: PrivateKey;
  let sentBytes = 0;
  const content = staticContent();
  const imageDigest = sha256Digest('{"pretend":"image"}');
  const hugeDigest = sha256Digest('the digest a 100 MiB blob claims');
  const HUNDRED_MIB = 100 * 1024 * 1024;

  beforeAll(async () => {
    key = await newKey();
    const serve = serveStatic(content);
    fake = await startFakeRegistry((request, response) => {
      if (request.url?.endsWith(hugeDigest)) {
        // Streams 100 MiB without a Content-Length, counting what actually left.
        response.writeHead(200);
        const chunk = Buffer.alloc(1024 * 1024, 0x61);
        let sent = 0;
        const pump = () => {
          while (sent < HUNDRED_MIB) {
            sent += chunk.length;
            sentBytes += chunk.length;
            if (!response.write(chunk)) {
              response.once('drain', pump);
              return;
            }
          }
          response.end();
        };
        pump();
        return;
      }
      serve(request, response);
    });
    client = new RegistryClient();
  });
  afterAll(async () => {
    await client?.close();
    await fake?.stop();
  });

  /** Serves a `.sig` manifest of these layers for the image (the static handler ignores repositories). */
  function publishSig(descriptors: Descriptor[]) {
    content.manifests.clear();
    const { manifest, config } = buildLegacyManifest(descriptors);
    content.blobs.set(sha256Digest(config), config);
    addManifest(content, manifest, MediaType.OCI_MANIFEST, legacyTag(imageDigest, 'sig'));
  }

  const verify = (repository: string) =>
    verifySignatures(
      new ImageArtefacts(client, { registry: fake.host, repository, digest: imageDigest }),
      keyAuthority({ keys: [key.publicKey] }),
    );

  it('a registry serving a signature blob that does not match its digest', async () => {
    const payload = buildSimpleSigningPayload({ dockerReference: 'x/y', digest: imageDigest });
    const layer = signedLayer(key, payload);
    content.blobs.set(layer.descriptor.digest, Buffer.from(payload.toString().replace('x/y', 'x/z')));
    publishSig([layer.descriptor]);
    const outcome = await verify('lying/app');
    // Content that is not what was asked for is a registry fault, not "not signed" (issue 15, item 5).
    expect(outcome).toMatchObject({ passed: false, failure: 'registry' });
    expect(outcome.reason).toMatch(
      new RegExp(`blob ${layer.descriptor.digest} from ${fake.host} does not match its digest`),
    );
  });

  it('a 100 MiB payload blob is refused by the size cap, declared or not', async () => {
    const declared: Descriptor = {
      mediaType: CosignMediaType.SIMPLE_SIGNING,
      digest: hugeDigest,
      size: HUNDRED_MIB,
      annotations: { [CosignAnnotation.SIGNATURE]: 'MEUCIQ==' },
    };
    publishSig([declared]);
    const honest = await verify('huge/app');
    expect(honest).toMatchObject({ passed: false, failure: 'registry' });
    expect(honest.reason).toContain(`declared as ${HUNDRED_MIB} bytes, over the 262144-byte limit`);
    expect(sentBytes).toBe(0);

    publishSig([{ ...declared, size: 300 }]);
    const streamed = await verify('huge/app');
    expect(streamed).toMatchObject({ passed: false, failure: 'registry' });
    expect(streamed.reason).toMatch(/larger than the 262144-byte limit/);
    // The client stopped reading long before 100 MiB (socket buffers account for the rest).
    expect(sentBytes).toBeLessThan(HUNDRED_MIB / 4);
  });
});
