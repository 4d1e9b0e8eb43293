import { checkDigest, digestToTag, sha256Digest } from '../../reference/index.js';
import { type Descriptor, isIndex, type Manifest, MediaType } from '../../registry/index.js';
import { goJson, sortedRecord } from '../encoding.js';
import { SignatureError } from '../errors.js';

/**
 * cosign's legacy storage: every signature (or attestation) of a digest is one layer of a single OCI
 * image manifest tagged `<prefix>sha256-<hex>.sig` (`.att` for attestations) in the image's
 * repository or in the signature repository.
 */
export type LegacySuffix = 'sig' | 'att';

export function legacyTag(digest: string, suffix: LegacySuffix, prefix = ''): string {
  checkDigest(digest);
  return `${prefix}${digestToTag(digest)}.${suffix}`;
}

export function layerDescriptor(
  blob: Uint8Array,
  mediaType: string,
  annotations: Readonly<Record<string, string>>,
): Descriptor {
  return { mediaType, size: blob.byteLength, digest: sha256Digest(blob), annotations: { ...annotations } };
}

/** A descriptor with go-containerregistry's field order, annotations sorted. */
function canonicalDescriptor(descriptor: Descriptor): Record<string, unknown> {
  return {
    mediaType: descriptor.mediaType,
    size: descriptor.size,
    digest: descriptor.digest,
    ...(descriptor.annotations &&
      Object.keys(descriptor.annotations).length > 0 && {
        annotations: sortedRecord(descriptor.annotations),
      }),
  };
}

/**
 * The manifest and config cosign (through go-containerregistry's `empty.Image` plus appended layers)
 * writes for a signature image: an OCI manifest, an image config whose diff_ids are the layer digests
 * (the layers are not compressed), one empty history entry per layer.
 */
export function buildLegacyManifest(layers: readonly Descriptor[]): { manifest: Buffer; config: Buffer } {
  const config = Buffer.from(
    goJson({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: layers.map(() => ({ created: '0001-01-01T00:00:00Z' })),
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) },
      config: {},
    }),
  );
  const manifest = Buffer.from(
    goJson({
      schemaVersion: 2,
      mediaType: MediaType.OCI_MANIFEST,
      config: { mediaType: MediaType.OCI_CONFIG, size: config.byteLength, digest: sha256Digest(config) },
      layers: layers.map(canonicalDescriptor),
    }),
  );
  return { manifest, config };
}

/**
 * The layers of a fetched signature manifest, refusing an index (a signature tag must name an image
 * manifest) and more layers than `maxLayers` (a manifest with thousands of layers would make the
 * verifier fetch thousands of blobs).
 */
export function legacyLayers(manifest: Manifest, maxLayers: number, what: string): Descriptor[] {
  if (isIndex(manifest))
    throw new SignatureError('INVALID_MANIFEST', `${what} is an image index, not a signature manifest`);
  if (manifest.layers.length > maxLayers)
    throw new SignatureError(
      'TOO_MANY_LAYERS',
      `${what} has ${manifest.layers.length} layers; at most ${maxLayers} are read`,
    );
  return manifest.layers;
}
