/**
 * Where Sigstore bundles are found: among the image's OCI referrers (cosign v3), a manifest whose
 * `artifactType` is a v0.3 bundle's, holding the bundle as its one bundle layer.
 */
import { repositoryName } from '../../reference/index.js';
import type { Descriptor } from '../../registry/index.js';
import type { ImageArtefacts, ReferrerSource } from '../artefacts.js';
import { SignatureError } from '../errors.js';
import { CosignAnnotation, isSigstoreBundleMediaType } from '../media-types.js';

export interface LoadedReferrer {
  manifestDigest: string;
  /** The bundle layer's digest and bytes (hash checked by the registry client). */
  bundleDigest: string;
  bundle: Uint8Array;
}

export interface ReferrerArtefact {
  source: ReferrerSource;
  /** The referrer's descriptor as the referrers listing gave it. */
  descriptor: Descriptor;
  /** The predicate type the listing's annotation claims: a hint for skipping, never trusted. */
  predicateTypeHint?: string;
  /** Fetches the referrer manifest and its bundle blob, once; rejects with a RegistryError or SignatureError. */
  load(): Promise<LoadedReferrer>;
}

export interface ReferrerArtefacts {
  source: ReferrerSource;
  referrers: ReferrerArtefact[];
  problem?: string;
}

/**
 * The Sigstore-bundle referrers of the image, from the referrers listing it shares with every other
 * referrer format; read once per image. More bundles than are read is a registry fault.
 */
export function findBundles(artefacts: ImageArtefacts): Promise<ReferrerArtefacts> {
  return artefacts.once('bundle:referrers', async () => {
    const listing = await artefacts.referrers();
    const { source } = listing;
    const bundles = listing.descriptors.filter((d) => isSigstoreBundleMediaType(d.artifactType));
    const max = artefacts.limits.maxReferrers;
    if (bundles.length > max)
      throw artefacts.overLimit(
        `${bundles.length} Sigstore bundles refer to ${artefacts.image.digest}; at most ${max} are read`,
      );
    return {
      source,
      referrers: bundles.map((descriptor) => {
        let loaded: Promise<LoadedReferrer> | undefined;
        const hint = descriptor.annotations?.[CosignAnnotation.BUNDLE_PREDICATE_TYPE];
        return {
          source,
          descriptor,
          ...(hint !== undefined && { predicateTypeHint: hint }),
          load: () => {
            loaded ??= loadReferrer(artefacts, descriptor);
            return loaded;
          },
        };
      }),
    };
  });
}

async function loadReferrer(artefacts: ImageArtefacts, descriptor: Descriptor): Promise<LoadedReferrer> {
  const { digest, manifest } = await artefacts.referrerManifest(descriptor, 'bundle');
  const layers = manifest.layers.filter((layer) => isSigstoreBundleMediaType(layer.mediaType));
  if (layers.length !== 1)
    throw new SignatureError(
      'INVALID_MANIFEST',
      `referrer ${repositoryName(artefacts.signatureRepository)}@${descriptor.digest} has ${layers.length} bundle layers; expected one`,
    );
  const layer = layers[0] as Descriptor;
  const blob = await artefacts.blob(layer, artefacts.limits.maxBundleBytes);
  if (!blob.ok) throw blob.error;
  return { manifestDigest: digest, bundleDigest: layer.digest, bundle: blob.value };
}
