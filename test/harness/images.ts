import { gzipSync } from 'node:zlib';
import { sha256Digest } from '../../src/reference/index.js';
import { MediaType, type Platform, type RegistryClient, type Repository } from '../../src/registry/index.js';

export type ImageFormat = 'oci' | 'docker';

export interface BuiltImage {
  kind: 'image';
  digest: string;
  mediaType: string;
  manifest: Uint8Array;
  config: Uint8Array;
  layers: Uint8Array[];
  platform: Platform;
}

export interface BuiltIndex {
  kind: 'index';
  digest: string;
  mediaType: string;
  manifest: Uint8Array;
  images: BuiltImage[];
}

export type BuiltArtifact = BuiltImage | BuiltIndex;

const LINUX_AMD64: Platform = { os: 'linux', architecture: 'amd64' };

/**
 * A deterministic single-platform image: one gzip layer holding `/seed.txt` with `seed`, a config with
 * its diff_id, and a manifest in OCI or Docker media types. The same seed always gives the same digest.
 */
export function buildImage(options: {
  seed: string;
  format?: ImageFormat;
  platform?: Platform;
  extraFiles?: Record<string, string>;
}): BuiltImage {
  const format = options.format ?? 'oci';
  const platform = options.platform ?? LINUX_AMD64;
  const files = { 'seed.txt': `${options.seed}\n`, ...options.extraFiles };
  const tar = makeTar(files);
  const layer = gzipSync(tar, { level: 9 });
  const config = json({
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant && { variant: platform.variant }),
    created: '1970-01-01T00:00:00Z',
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Labels: { 'vouch.test.seed': options.seed },
    },
    rootfs: { type: 'layers', diff_ids: [sha256Digest(tar)] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: `vouch test image ${options.seed}` }],
  });
  const mediaType = format === 'oci' ? MediaType.OCI_MANIFEST : MediaType.DOCKER_MANIFEST;
  const manifest = json({
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: format === 'oci' ? MediaType.OCI_CONFIG : MediaType.DOCKER_CONFIG,
      digest: sha256Digest(config),
      size: config.byteLength,
    },
    layers: [
      {
        mediaType: format === 'oci' ? MediaType.OCI_LAYER_GZIP : MediaType.DOCKER_LAYER_GZIP,
        digest: sha256Digest(layer),
        size: layer.byteLength,
      },
    ],
  });
  return {
    kind: 'image',
    digest: sha256Digest(manifest),
    mediaType,
    manifest,
    config,
    layers: [layer],
    platform,
  };
}

/** A deterministic multi-platform index (OCI index or Docker manifest list) over one image per platform. */
export function buildIndex(options: {
  seed: string;
  format?: ImageFormat;
  platforms?: Platform[];
}): BuiltIndex {
  const format = options.format ?? 'oci';
  const platforms = options.platforms ?? [LINUX_AMD64, { os: 'linux', architecture: 'arm64', variant: 'v8' }];
  const images = platforms.map((platform) =>
    buildImage({
      seed: `${options.seed}/${platform.os}/${platform.architecture}${platform.variant ?? ''}`,
      format,
      platform,
    }),
  );
  const mediaType = format === 'oci' ? MediaType.OCI_INDEX : MediaType.DOCKER_MANIFEST_LIST;
  const manifest = json({
    schemaVersion: 2,
    mediaType,
    manifests: images.map((image) => ({
      mediaType: image.mediaType,
      digest: image.digest,
      size: image.manifest.byteLength,
      platform: image.platform,
    })),
  });
  return { kind: 'index', digest: sha256Digest(manifest), mediaType, manifest, images };
}

/** Pushes blobs and manifests with vouch's own client; tags the top manifest when `tag` is given. */
export async function pushArtifact(
  client: RegistryClient,
  repo: Repository,
  artifact: BuiltArtifact,
  tag?: string,
): Promise<string> {
  if (artifact.kind === 'index') {
    for (const image of artifact.images) await pushArtifact(client, repo, image);
  } else {
    await client.putBlob(repo, artifact.config);
    for (const layer of artifact.layers) await client.putBlob(repo, layer);
  }
  await client.putManifest(repo, tag ?? artifact.digest, artifact.manifest, artifact.mediaType);
  return artifact.digest;
}

function json(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

/** A ustar archive of regular files, with fixed owner, mode and mtime so that it is reproducible. */
export function makeTar(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const data = Buffer.from(content, 'utf8');
    const header = Buffer.alloc(512, 0);
    header.write(name, 0, 100, 'utf8');
    header.write('0000644\0', 100, 8, 'ascii');
    header.write('0000000\0', 108, 8, 'ascii');
    header.write('0000000\0', 116, 8, 'ascii');
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 12, 'ascii');
    header.write('00000000000\0', 136, 12, 'ascii');
    header.write('        ', 148, 8, 'ascii');
    header.write('0', 156, 1, 'ascii');
    header.write('ustar\0', 257, 6, 'ascii');
    header.write('00', 263, 2, 'ascii');
    let checksum = 0;
    for (const byte of header) checksum += byte;
    header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512, 0));
  }
  blocks.push(Buffer.alloc(1024, 0));
  return Buffer.concat(blocks);
}
