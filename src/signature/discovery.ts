import { formatReference, repositoryName } from '../reference/index.js';
import {
  type Descriptor,
  isIndex,
  isNotFound,
  type RegistryClient,
  RegistryError,
  type Repository,
} from '../registry/index.js';
import type { Deadline } from '../util/deadline.js';
import { mapConcurrent } from '../util/semaphore.js';
import { SignatureError } from './errors.js';
import { type LegacySuffix, legacyLayers, legacyTag } from './legacy-manifest.js';
import { CosignAnnotation, CosignMediaType, isSigstoreBundleMediaType } from './media-types.js';

/** The image whose artefacts are looked up: always a digest, never a tag. */
export interface ImageDigestRef {
  registry: string;
  repository: string;
  digest: string;
}

/** Caps that keep a hostile registry from making the verifier fetch or hold unbounded data. */
export interface ArtefactLimits {
  /** Most layers read from one `.sig` / `.att` manifest (default 1000). */
  maxLayers: number;
  /** Largest simple-signing payload blob (default 256 KiB; cosign's are a few hundred bytes). */
  maxPayloadBytes: number;
  /** Largest DSSE envelope blob of a legacy attestation (default 16 MiB: SBOMs can be big). */
  maxEnvelopeBytes: number;
  /** Largest Sigstore bundle blob (default 16 MiB). */
  maxBundleBytes: number;
  /** Most bundle referrers considered for one image (default 256). */
  maxReferrers: number;
  /** Blob fetches in flight for one image (default 8). */
  concurrency: number;
}

export const DEFAULT_ARTEFACT_LIMITS: Readonly<ArtefactLimits> = {
  maxLayers: 1000,
  maxPayloadBytes: 256 * 1024,
  maxEnvelopeBytes: 16 * 1024 * 1024,
  maxBundleBytes: 16 * 1024 * 1024,
  maxReferrers: 256,
  concurrency: 8,
};

export interface ImageArtefactsOptions {
  /** Where signatures live when not beside the image (`--signature-repository`, COSIGN_REPOSITORY, `source.oci`). */
  signatureRepository?: Repository;
  /** Prefix before `sha256-<hex>.sig` / `.att` (policy-controller's `source.tagPrefix`). */
  tagPrefix?: string;
  /** One deadline for all the registry work done for this image. */
  deadline?: Deadline;
  limits?: Partial<ArtefactLimits>;
}

/** The outcome of one fetch: its value, or why it failed (a RegistryError or SignatureError). */
export type Fetched<T> = { ok: true; value: T } | { ok: false; error: unknown };

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
  /** Why the tag's manifest cannot be read as a signature manifest (too many layers, an index, …). */
  problem?: string;
}

export interface LoadedReferrer {
  manifestDigest: string;
  /** The bundle layer's digest and bytes (hash checked by the registry client). */
  bundleDigest: string;
  bundle: Uint8Array;
}

export interface ReferrerArtefact {
  source: 'referrers-api' | 'referrers-tag';
  /** The referrer's descriptor as the referrers listing gave it. */
  descriptor: Descriptor;
  /** The predicate type the listing's annotation claims: a hint for skipping, never trusted. */
  predicateTypeHint?: string;
  /** Fetches the referrer manifest and its bundle blob, once; rejects with a RegistryError or SignatureError. */
  load(): Promise<LoadedReferrer>;
}

export interface ReferrerArtefacts {
  source: 'referrers-api' | 'referrers-tag';
  referrers: ReferrerArtefact[];
  problem?: string;
}

/**
 * Everything attached to one image digest, fetched lazily, at most once, and shared by every
 * authority that checks the image (policy-controller fetched per authority: issue #278).
 *
 * Lookup order, and why: a verifier asks for `legacySignatures()` first — one GET of the
 * `sha256-<hex>.sig` manifest plus its payload blobs — and asks for `referrerBundles()` only when no
 * legacy signature satisfied it. Verdicts never depend on this order (any one good signature passes,
 * and a failed lookup is a registry failure, never "no signatures"); it only saves requests. A cold
 * key check of a legacy-signed image then costs three requests (resolve HEAD, `.sig` manifest,
 * payload blob) where starting with referrers would add two on registries without the referrers API,
 * such as distribution 2.8 (the API's 404, then the tag-schema index).
 *
 * Registry failures (401, 403, 429, timeouts, network, and content over a limit or not matching its
 * digest) reject the promise with the RegistryError so the caller reports a registry failure; a
 * missing `.sig` tag (MANIFEST_UNKNOWN / NAME_UNKNOWN) means "no legacy signatures".
 */
export class ImageArtefacts {
  readonly image: ImageDigestRef;
  /** Where `.sig` / `.att` tags and referrers are looked up. */
  readonly signatureRepository: Repository;
  readonly tagPrefix: string;
  readonly limits: Readonly<ArtefactLimits>;
  private readonly client: RegistryClient;
  private readonly deadline: Deadline | undefined;
  private signatures?: Promise<LegacyArtefacts>;
  private attestations?: Promise<LegacyArtefacts>;
  private referrers?: Promise<ReferrerArtefacts>;
  private readonly blobs = new Map<string, Promise<Fetched<Uint8Array>>>();

  constructor(client: RegistryClient, image: ImageDigestRef, options: ImageArtefactsOptions = {}) {
    this.client = client;
    this.image = { registry: image.registry, repository: image.repository, digest: image.digest };
    this.signatureRepository = options.signatureRepository
      ? { registry: options.signatureRepository.registry, repository: options.signatureRepository.repository }
      : { registry: image.registry, repository: image.repository };
    this.tagPrefix = options.tagPrefix ?? '';
    this.deadline = options.deadline;
    this.limits = { ...DEFAULT_ARTEFACT_LIMITS, ...options.limits };
  }

  /** The layers of the `.sig` manifest, with the blobs of its simple-signing layers. */
  legacySignatures(): Promise<LegacyArtefacts> {
    this.signatures ??= this.fetchLegacy('sig', CosignMediaType.SIMPLE_SIGNING, this.limits.maxPayloadBytes);
    return this.signatures;
  }

  /** The layers of the `.att` manifest, with the blobs of its DSSE-envelope layers. */
  legacyAttestations(): Promise<LegacyArtefacts> {
    this.attestations ??= this.fetchLegacy(
      'att',
      CosignMediaType.DSSE_ENVELOPE,
      this.limits.maxEnvelopeBytes,
    );
    return this.attestations;
  }

  /** Sigstore-bundle referrers of the image: the referrers API, else the referrers tag-schema index. */
  referrerBundles(): Promise<ReferrerArtefacts> {
    this.referrers ??= this.fetchReferrers();
    return this.referrers;
  }

  private callOptions() {
    return this.deadline ? { deadline: this.deadline } : {};
  }

  private async fetchLegacy(
    suffix: LegacySuffix,
    mediaType: string,
    maxBytes: number,
  ): Promise<LegacyArtefacts> {
    const tag = legacyTag(this.image.digest, suffix, this.tagPrefix);
    const source = suffix === 'sig' ? 'sig-tag' : 'att-tag';
    const location = formatReference({ ...this.signatureRepository, tag });
    let fetched: Awaited<ReturnType<RegistryClient['getManifest']>>;
    try {
      fetched = await this.client.getManifest({ ...this.signatureRepository, tag }, this.callOptions());
    } catch (error) {
      if (isNotFound(error)) return { source, location, layers: [] };
      // Too large (TOO_LARGE) is rethrown: a registry fault, like a digest mismatch.
      if (error instanceof RegistryError && error.code === 'MANIFEST_INVALID')
        return { source, location, layers: [], problem: error.message };
      throw error;
    }
    let descriptors: Descriptor[];
    try {
      descriptors = legacyLayers(fetched.manifest, this.limits.maxLayers, `signature manifest ${location}`);
    } catch (error) {
      // More layers than are read is an oversized manifest: a registry fault, never "not signed".
      if (error instanceof SignatureError && error.code === 'TOO_MANY_LAYERS')
        throw this.overLimit(error.message, error);
      if (error instanceof SignatureError)
        return { source, location, manifestDigest: fetched.digest, layers: [], problem: error.message };
      throw error;
    }
    const layers = await mapConcurrent(descriptors, this.limits.concurrency, async (descriptor) =>
      descriptor.mediaType === mediaType
        ? { descriptor, blob: await this.blob(descriptor, maxBytes) }
        : { descriptor },
    );
    return { source, location, manifestDigest: fetched.digest, layers };
  }

  /** A blob of the signature repository, fetched once however many layers or tags name it. */
  private blob(descriptor: Descriptor, maxBytes: number): Promise<Fetched<Uint8Array>> {
    const key = `${descriptor.digest}/${maxBytes}`;
    let pending = this.blobs.get(key);
    if (!pending) {
      pending = this.fetchBlob(descriptor, maxBytes);
      this.blobs.set(key, pending);
    }
    return pending;
  }

  private async fetchBlob(descriptor: Descriptor, maxBytes: number): Promise<Fetched<Uint8Array>> {
    if (descriptor.size > maxBytes) {
      return {
        ok: false,
        error: this.overLimit(
          `blob ${descriptor.digest} is declared as ${descriptor.size} bytes, over the ${maxBytes}-byte limit`,
        ),
      };
    }
    try {
      const value = await this.client.getBlob(this.signatureRepository, descriptor.digest, {
        ...this.callOptions(),
        maxBytes,
      });
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error };
    }
  }

  private async fetchReferrers(): Promise<ReferrerArtefacts> {
    const listing = await this.client.referrers(
      this.signatureRepository,
      this.image.digest,
      this.callOptions(),
    );
    const source = listing.source === 'api' ? 'referrers-api' : 'referrers-tag';
    const bundles = listing.descriptors.filter((d) => isSigstoreBundleMediaType(d.artifactType));
    if (bundles.length > this.limits.maxReferrers)
      throw this.overLimit(
        `${bundles.length} Sigstore bundles refer to ${this.image.digest}; at most ${this.limits.maxReferrers} are read`,
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
            loaded ??= this.loadReferrer(descriptor);
            return loaded;
          },
        };
      }),
    };
  }

  /**
   * Something the signature repository serves that is over a limit: a registry fault (TOO_LARGE, as
   * when a body is over its cap), so that it denies in every mode instead of reading as "not signed".
   */
  private overLimit(message: string, cause?: unknown): RegistryError {
    return new RegistryError('TOO_LARGE', message, { registry: this.signatureRepository.registry, cause });
  }

  private async loadReferrer(descriptor: Descriptor): Promise<LoadedReferrer> {
    const where = `referrer ${repositoryName(this.signatureRepository)}@${descriptor.digest}`;
    const fetched = await this.client.getManifest(
      { ...this.signatureRepository, digest: descriptor.digest },
      this.callOptions(),
    );
    const manifest = fetched.manifest;
    if (isIndex(manifest))
      throw new SignatureError('INVALID_MANIFEST', `${where} is an index, not a bundle manifest`);
    if (manifest.subject?.digest !== this.image.digest)
      throw new SignatureError(
        'INVALID_MANIFEST',
        `${where} has subject ${manifest.subject?.digest ?? '(none)'}, not ${this.image.digest}`,
      );
    const layers = manifest.layers.filter((layer) => isSigstoreBundleMediaType(layer.mediaType));
    if (layers.length !== 1)
      throw new SignatureError(
        'INVALID_MANIFEST',
        `${where} has ${layers.length} bundle layers; expected one`,
      );
    const layer = layers[0] as Descriptor;
    const blob = await this.blob(layer, this.limits.maxBundleBytes);
    if (!blob.ok) throw blob.error;
    return { manifestDigest: fetched.digest, bundleDigest: layer.digest, bundle: blob.value };
  }
}
