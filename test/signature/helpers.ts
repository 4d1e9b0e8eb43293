import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { sha256Digest } from '../../src/reference/index.js';
import {
  type Descriptor,
  MediaType,
  type RegistryClient,
  type Repository,
} from '../../src/registry/index.js';
import { buildLegacyManifest, type LegacySuffix, legacyTag } from '../../src/signature/index.js';
import { fixtureDescriptor, readCase } from './cosign-fixtures.js';

/**
 * Puts manifest bytes straight into a running distribution registry's filesystem storage under `tag`,
 * for manifests the registry would refuse on push because their blobs are not there (the real-cosign
 * fixtures sign manifests whose layers we do not have). The registry then serves them byte for byte.
 */
export async function placeManifest(storageDir: string, repository: string, tag: string, bytes: Uint8Array) {
  const digest = sha256Digest(bytes);
  const hex = digest.slice('sha256:'.length);
  const root = join(storageDir, 'docker', 'registry', 'v2');
  const blobDir = join(root, 'blobs', 'sha256', hex.slice(0, 2), hex);
  await mkdir(blobDir, { recursive: true });
  await writeFile(join(blobDir, 'data'), bytes);
  const manifests = join(root, 'repositories', repository, '_manifests');
  for (const dir of [
    join(manifests, 'revisions', 'sha256', hex),
    join(manifests, 'tags', tag, 'current'),
    join(manifests, 'tags', tag, 'index', 'sha256', hex),
  ]) {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'link'), digest);
  }
  return digest;
}

/** Pushes a `.sig` / `.att` manifest made of the given layers (blobs uploaded first). */
export async function pushLegacyManifest(
  client: RegistryClient,
  repo: Repository,
  digest: string,
  layers: Array<{ blob: Uint8Array; descriptor: Descriptor }>,
  suffix: LegacySuffix = 'sig',
): Promise<string> {
  for (const layer of layers) await client.putBlob(repo, layer.blob);
  const { manifest, config } = buildLegacyManifest(layers.map((layer) => layer.descriptor));
  await client.putBlob(repo, config);
  return client.putManifest(repo, legacyTag(digest, suffix), manifest, MediaType.OCI_MANIFEST);
}

/**
 * A real-cosign fixture case (see cosign-fixtures.ts) in a running registry: its signed manifest placed
 * in the registry's storage under `tag`, its signatures pushed as the `.sig` manifest. Returns the
 * manifest digest.
 */
export async function placeFixture(
  registry: { host: string; storageDir: string },
  client: RegistryClient,
  name: string,
  repository: string,
  tag = 'latest',
): Promise<string> {
  const fixture = readCase(name);
  if (!fixture.manifest) throw new Error(`${name} has no manifest`);
  const digest = await placeManifest(registry.storageDir, repository, tag, fixture.manifest);
  await pushLegacyManifest(
    client,
    { registry: registry.host, repository },
    digest,
    fixture.signatures.map((signature) => ({
      blob: signature.payload,
      descriptor: fixtureDescriptor(signature),
    })),
  );
  return digest;
}

/** Content a static fake registry serves: manifests by tag or digest, blobs by digest. */
export interface StaticContent {
  manifests: Map<string, { bytes: Uint8Array; mediaType: string }>;
  blobs: Map<string, Uint8Array>;
}

export function staticContent(): StaticContent {
  return { manifests: new Map(), blobs: new Map() };
}

export function addManifest(
  content: StaticContent,
  bytes: Uint8Array,
  mediaType: string,
  tag?: string,
): string {
  const digest = sha256Digest(bytes);
  content.manifests.set(digest, { bytes, mediaType });
  if (tag) content.manifests.set(tag, { bytes, mediaType });
  return digest;
}

/** A handler for startFakeRegistry serving `content` like a registry without the referrers API. */
export function serveStatic(content: StaticContent) {
  return (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    const blob = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(url.pathname);
    if (url.pathname === '/v2/') {
      response.writeHead(200).end('{}');
      return;
    }
    if (manifest) {
      const found = content.manifests.get(decodeURIComponent(manifest[2] as string));
      if (!found) {
        response
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
        return;
      }
      response.writeHead(200, {
        'content-type': found.mediaType,
        'content-length': found.bytes.byteLength,
        'docker-content-digest': sha256Digest(found.bytes),
      });
      response.end(request.method === 'HEAD' ? undefined : found.bytes);
      return;
    }
    if (blob) {
      const found = content.blobs.get(blob[2] as string);
      if (!found) {
        response
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}');
        return;
      }
      response.writeHead(200, { 'content-length': found.byteLength }).end(found);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
  };
}
