import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/reference/index.js';
import { MediaType, RegistryClient } from '../../src/registry/index.js';
import {
  buildBundleReferrerManifest,
  buildKeyDsseBundle,
  buildReferrersIndex,
  COSIGN_SIGN_PREDICATE_TYPE,
  CosignMediaType,
  EMPTY_CONFIG,
  ImageArtefacts,
  parsePrivateKey,
  preAuthEncoding,
  signatureStatement,
  signBytes,
} from '../../src/signature/index.js';
import { keyAuthority, verifySignatures } from '../../src/verify/index.js';
import { type FakeRegistry, startFakeRegistry } from '../harness/index.js';
import { addManifest, serveStatic, staticContent } from '../signature/helpers.js';

/**
 * distribution 2.8 has no referrers API, so the API path is exercised against a loopback server that
 * answers `GET /v2/<name>/referrers/<digest>` the way registries with the API do.
 */
describe('bundles listed by the referrers API', () => {
  let fake: FakeRegistry;
  let client: RegistryClient;
  const content = staticContent();
  const image = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST, layers: [] }),
  );
  const imageDigest = sha256Digest(image);
  let listing: Buffer;

  beforeAll(async () => {
    const serve = serveStatic(content);
    fake = await startFakeRegistry((request, response) => {
      if (request.url?.startsWith(`/v2/app/referrers/${imageDigest}`)) {
        response.writeHead(200, { 'content-type': MediaType.OCI_INDEX }).end(listing);
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

  it('verify through the API without touching the tag schema', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const key = await parsePrivateKey(
      privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      async () => '',
    );
    const statement = signatureStatement(imageDigest);
    const bundle = buildKeyDsseBundle({
      payload: statement,
      payloadType: CosignMediaType.IN_TOTO,
      signature: signBytes(key, preAuthEncoding(CosignMediaType.IN_TOTO, statement)),
      publicKey: key.publicKey,
    });
    const referrer = buildBundleReferrerManifest({
      bundle,
      subject: { mediaType: MediaType.OCI_MANIFEST, digest: imageDigest, size: image.byteLength },
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    });
    content.blobs.set(sha256Digest(bundle), bundle);
    content.blobs.set(sha256Digest(EMPTY_CONFIG), EMPTY_CONFIG);
    const referrerDigest = addManifest(content, referrer.manifest, MediaType.OCI_MANIFEST);
    listing = buildReferrersIndex([
      {
        mediaType: MediaType.OCI_MANIFEST,
        digest: referrerDigest,
        size: referrer.manifest.byteLength,
        artifactType: CosignMediaType.SIGSTORE_BUNDLE_V03,
        annotations: referrer.annotations,
      },
    ]);
    const outcome = await verifySignatures(
      new ImageArtefacts(client, { registry: fake.host, repository: 'app', digest: imageDigest }),
      keyAuthority({ keys: [key.publicKey] }),
    );
    expect(outcome.passed).toBe(true);
    expect(outcome.signatures).toEqual([
      expect.objectContaining({ source: 'referrers-api', format: 'bundle' }),
    ]);
    expect(fake.log.filter((line) => line.endsWith(`/manifests/${imageDigest.replace(':', '-')}`))).toEqual(
      [],
    );
    expect(fake.log.some((line) => line.startsWith(`GET /v2/app/referrers/${imageDigest}`))).toBe(true);
  });
});
