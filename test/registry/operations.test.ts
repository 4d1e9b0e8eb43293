import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createNetServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestToTag, parseReference, sha256Digest } from '../../src/reference/index.js';
import {
  type ImageIndex,
  MediaType,
  RegistryClient,
  type RegistryError,
  StaticCredentials,
} from '../../src/registry/index.js';
import {
  buildImage,
  buildIndex,
  pushArtifact,
  startFakeRegistry,
  startRegistry,
  type TestRegistry,
} from '../harness/index.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

describe('registry operations against the real registry', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  const repo = () => ({ registry: registry.host, repository: 'ops/app' });

  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient();
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  it('resolves Docker and OCI, image and index media types', async () => {
    const cases = [
      buildImage({ seed: 'docker', format: 'docker' }),
      buildImage({ seed: 'oci', format: 'oci' }),
      buildIndex({ seed: 'docker-list', format: 'docker' }),
      buildIndex({ seed: 'oci-index', format: 'oci' }),
    ];
    for (const [i, artifact] of cases.entries()) {
      await pushArtifact(client, repo(), artifact, `mt${i}`);
      const resolved = await client.resolve(parseReference(`${registry.host}/ops/app:mt${i}`));
      expect(resolved.digest).toBe(artifact.digest);
      expect(resolved.mediaType).toBe(artifact.mediaType);
    }
  });

  it('lists every tag of a registry that does not page (distribution 2.8 ignores n)', async () => {
    const image = buildImage({ seed: 'unpaged' });
    const target = { ...repo(), repository: 'ops/unpaged' };
    await pushArtifact(client, target, image);
    const tags = Array.from({ length: 23 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    for (const tag of tags) await client.putManifest(target, tag, image.manifest, image.mediaType);
    client.stats.reset();
    expect((await client.listTags(target, { pageSize: 5 })).sort()).toEqual(tags);
    expect(client.stats.count('tags-list')).toBe(1);
  });

  it('finds referrers through the tag schema when the registry has no referrers API', async () => {
    const subject = buildImage({ seed: 'subject' });
    await pushArtifact(client, repo(), subject, 'subject');
    const empty = Buffer.from('{}');
    await client.putBlob(repo(), empty);
    const layer = Buffer.from('{"hello":"referrer"}');
    await client.putBlob(repo(), layer);
    const referrer = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OCI_MANIFEST,
        artifactType: 'application/vnd.example.test+json',
        config: { mediaType: MediaType.OCI_EMPTY, digest: sha256Digest(empty), size: 2 },
        layers: [
          { mediaType: 'application/vnd.example.test+json', digest: sha256Digest(layer), size: layer.length },
        ],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.manifest.byteLength },
      }),
    );
    const referrerDigest = await client.putManifest(
      repo(),
      sha256Digest(referrer),
      referrer,
      MediaType.OCI_MANIFEST,
    );
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: MediaType.OCI_INDEX,
      manifests: [
        {
          mediaType: MediaType.OCI_MANIFEST,
          digest: referrerDigest,
          size: referrer.length,
          artifactType: 'application/vnd.example.test+json',
        },
      ],
    };
    await client.putManifest(
      repo(),
      digestToTag(subject.digest),
      Buffer.from(JSON.stringify(index)),
      MediaType.OCI_INDEX,
    );

    const fresh = new RegistryClient();
    const found = await fresh.referrers(repo(), subject.digest);
    expect(found.source).toBe('tag-schema');
    expect(found.descriptors.map((d) => d.digest)).toEqual([referrerDigest]);
    expect(await fresh.referrers(repo(), subject.digest, { artifactType: 'application/other' })).toEqual({
      descriptors: [],
      source: 'tag-schema',
    });
    // The 404 from the referrers API is remembered: the second lookup goes straight to the tag.
    expect(fresh.stats.count('referrers')).toBe(1);
    const none = await fresh.referrers(repo(), buildImage({ seed: 'lonely' }).digest);
    expect(none.descriptors).toEqual([]);
    await fresh.close();
  });

  it('refuses to push a manifest whose blobs are missing, with the registry message', async () => {
    const image = buildImage({ seed: 'missing-blobs' });
    const error = (await client
      .putManifest(repo(), 'broken', image.manifest, image.mediaType)
      .catch((e: unknown) => e)) as RegistryError;
    expect(error.code).toBe('MANIFEST_INVALID');
    expect(error.registryMessage).toMatch(/blob unknown/i);
  });

  it('reports an unknown repository as NAME_UNKNOWN', async () => {
    const error = (await client
      .listTags({ registry: registry.host, repository: 'no/such' })
      .catch((e: unknown) => e)) as RegistryError;
    expect(error.code).toBe('NAME_UNKNOWN');
    expect(error.message).toBe(
      `repository ${registry.host}/no/such not found: repository name not known to registry`,
    );
  });
});

/** A non-loopback address of this machine, so that the HTTPS rules apply to it. */
function externalAddress(): string {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  throw new Error('this test needs a non-loopback IPv4 interface');
}

describe('tag pagination', () => {
  let registry: TestRegistry;
  afterAll(async () => registry?.stop());

  it('follows Link headers page by page (real registry behind a paging front)', async () => {
    registry = await startRegistry({ auth: 'token', pageTags: 5 });
    const client = new RegistryClient({
      credentials: new StaticCredentials({
        [registry.host]: { username: registry.username, password: registry.password },
      }),
    });
    const target = { registry: registry.host, repository: 'ops/paged' };
    const image = buildImage({ seed: 'paged' });
    await pushArtifact(client, target, image);
    const tags = Array.from({ length: 23 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    for (const tag of tags) await client.putManifest(target, tag, image.manifest, image.mediaType);
    client.stats.reset();
    const pages: string[][] = [];
    for await (const page of client.tagPages(target, { pageSize: 5 })) pages.push(page);
    expect(pages.map((page) => page.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flat()).toEqual(tags);
    expect(client.stats.count('tags-list')).toBe(5);
    await client.close();
  });
});

describe('schemes for registries that are not loopback', () => {
  const address = externalAddress();
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests: [] }),
  );

  it('uses HTTPS, trusting an extra CA only when given one', async () => {
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const caKeys = (await webcrypto.subtle.generateKey(algorithm, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=vouch test CA',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      signingAlgorithm: algorithm,
      keys: caKeys,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    const serverKeys = (await webcrypto.subtle.generateKey(algorithm, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: '02',
      subject: `CN=${address}`,
      issuer: ca.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      signingAlgorithm: algorithm,
      publicKey: serverKeys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: address }])],
    });
    const keyPem = x509.PemConverter.encode(
      await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey),
      'PRIVATE KEY',
    );
    const server = createHttpsServer({ cert: leaf.toString('pem'), key: keyPem }, (_request, response) => {
      response
        .writeHead(200, {
          'content-type': MediaType.OCI_INDEX,
          'docker-content-digest': sha256Digest(manifest),
        })
        .end();
    });
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    const port = (server.address() as { port: number }).port;
    const ref = parseReference(`${address}:${port}/x/y:v1`);
    try {
      const untrusting = new RegistryClient({ retryBaseDelayMs: 1 });
      const error = (await untrusting.resolve(ref).catch((e: unknown) => e)) as RegistryError;
      await untrusting.close();
      expect(error.code).toBe('NETWORK');
      const trusting = new RegistryClient({ caCertificates: ca.toString('pem') });
      await expect(trusting.resolve(ref)).resolves.toMatchObject({ digest: sha256Digest(manifest) });
      await trusting.close();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('uses plain HTTP for a registry named as insecure', async () => {
    const fake = await startFakeRegistry((_request, response) => {
      response
        .writeHead(200, {
          'content-type': MediaType.OCI_INDEX,
          'docker-content-digest': sha256Digest(manifest),
        })
        .end();
    });
    const port = fake.host.split(':')[1];
    // Forward the external address to the fake (which listens on loopback only).
    const proxy = createNetServer((socket) => {
      const upstream = connect(Number(port), '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => proxy.listen(0, address, resolve));
    const host = `${address}:${(proxy.address() as { port: number }).port}`;
    try {
      const strict = new RegistryClient({ retryBaseDelayMs: 1 });
      expect(
        ((await strict.resolve(parseReference(`${host}/x/y:v1`)).catch((e: unknown) => e)) as RegistryError)
          .code,
      ).toBe('NETWORK');
      await strict.close();
      const insecure = new RegistryClient({ insecureRegistries: [host] });
      await expect(insecure.resolve(parseReference(`${host}/x/y:v1`))).resolves.toMatchObject({
        digest: sha256Digest(manifest),
      });
      await insecure.close();
    } finally {
      proxy.close();
      await fake.stop();
    }
  });
});

describe('blob uploads', () => {
  let registry: TestRegistry;
  afterAll(async () => registry?.stop());

  it('uploads large blobs in PATCH chunks and small ones in one PUT', async () => {
    registry = await startRegistry({ auth: 'basic' });
    const client = new RegistryClient({
      uploadChunkBytes: 1024,
      credentials: new StaticCredentials({
        [registry.host]: { username: registry.username, password: registry.password },
      }),
    });
    const repo = { registry: registry.host, repository: 'ops/chunks' };
    const large = Buffer.alloc(5000);
    for (let i = 0; i < large.length; i++) large[i] = (i * 7) % 251;
    const digest = await client.putBlob(repo, large);
    expect(digest).toBe(sha256Digest(large));
    expect(client.stats.count('blob-upload')).toBe(1 + 5 + 1); // POST, five PATCHes, PUT
    expect(Buffer.from(await client.getBlob(repo, digest)).equals(large)).toBe(true);
    client.stats.reset();
    await client.putBlob(repo, Buffer.from('small'));
    expect(client.stats.count('blob-upload')).toBe(2); // POST, PUT
    client.stats.reset();
    await client.putBlob(repo, large); // already there: one HEAD, no upload
    expect(client.stats.snapshot().byKind).toEqual({ 'blob-head': 1 });
    await client.close();
  });
});
