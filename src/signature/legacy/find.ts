/**
 * Where cosign's legacy signatures are found: the `<prefix>sha256-<hex>.sig` tag (signatures) and
 * `.att` tag (attestations) of the signature repository, one layer per signature.
 */
import { formatReference } from '../../reference/index.js';
import { type Descriptor, type FetchedManifest, RegistryError } from '../../registry/index.js';
import { mapConcurrent } from '../../util/semaphore.js';
import type { Fetched, ImageArtefacts } from '../artefacts.js';
import { SignatureError } from '../errors.js';
import { CosignMediaType } from '../media-types.js';
import { type LegacySuffix, legacyLayers, legacyTag } from './manifest.js';

export interface LegacyLayerArtefact {
  descriptor: Descriptor;
  /**
   * The layer's blob. Absent for a layer whose media type is not the one this tag holds (a `text/plain`
   * layer in a `.sig` manifest is never fetched: it can never count, whatever its annotations say).
   */
  blob?: Fetched<Uint8Array>;
}

export interface LegacyArtefacts {
  source: 'sig-tag' | 'att-tag';
  /** `registry/repository:tag` of the signature manifest. */
  location: string;
  /** Digest of the signature manifest; absent when the tag does not exist. */
  manifestDigest?: string;
  layers: LegacyLayerArtefact[];
  /** Why the tag's manifest cannot be read as a signature manifest (an index, malformed, …). */
  problem?: string;
}

/**
 * The layers of the `.sig` (signatures) or `.att` (attestations) manifest of the image, with the blobs
 * of the layers of the media type the tag holds (simple-signing payloads, DSSE envelopes); read once
 * per image. A missing tag means "none"; a registry failure, or a manifest with more layers than are
 * read, rejects (a registry fault, never "not signed").
 */
export function findLegacy(artefacts: ImageArtefacts, suffix: LegacySuffix): Promise<LegacyArtefacts> {
  return artefacts.once(`legacy:${suffix}`, () => fetchLegacy(artefacts, suffix));
}

async function fetchLegacy(artefacts: ImageArtefacts, suffix: LegacySuffix): Promise<LegacyArtefacts> {
  const { limits } = artefacts;
  const tag = legacyTag(artefacts.image.digest, suffix, artefacts.tagPrefix);
  const source = suffix === 'sig' ? 'sig-tag' : 'att-tag';
  const [mediaType, maxBytes] =
    suffix === 'sig'
      ? [CosignMediaType.SIMPLE_SIGNING, limits.maxPayloadBytes]
      : [CosignMediaType.DSSE_ENVELOPE, limits.maxEnvelopeBytes];
  const location = formatReference({ ...artefacts.signatureRepository, tag });
  let fetched: FetchedManifest | undefined;
  try {
    fetched = await artefacts.tagManifest(tag);
  } catch (error) {
    // Too large (TOO_LARGE) is rethrown: a registry fault, like a digest mismatch.
    if (error instanceof RegistryError && error.code === 'MANIFEST_INVALID')
      return { source, location, layers: [], problem: error.message };
    throw error;
  }
  if (fetched === undefined) return { source, location, layers: [] };
  let descriptors: Descriptor[];
  try {
    descriptors = legacyLayers(fetched.manifest, limits.maxLayers, `signature manifest ${location}`);
  } catch (error) {
    // More layers than are read is an oversized manifest: a registry fault, never "not signed".
    if (error instanceof SignatureError && error.code === 'TOO_MANY_LAYERS')
      throw artefacts.overLimit(error.message, error);
    if (error instanceof SignatureError)
      return { source, location, manifestDigest: fetched.digest, layers: [], problem: error.message };
    throw error;
  }
  const layers = await mapConcurrent(descriptors, limits.concurrency, async (descriptor) =>
    descriptor.mediaType === mediaType
      ? { descriptor, blob: await artefacts.blob(descriptor, maxBytes) }
      : { descriptor },
  );
  return { source, location, manifestDigest: fetched.digest, layers };
}
