import { repositoryName } from '../reference/index.js';
import {
  type Descriptor,
  type FetchedManifest,
  type ImageManifest,
  isIndex,
  isNotFound,
  type RegistryClient,
  RegistryError,
  type Repository,
} from '../registry/index.js';
import type { Deadline } from '../util/deadline.js';
import { SignatureError } from './errors.js';

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
  /** Most referrers of one format considered for one image (default 256). */
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

/** Where a referrer was listed: the registry's referrers API, or the referrers tag-schema index. */
export type ReferrerSource = 'referrers-api' | 'referrers-tag';

export interface ReferrerListing {
  source: ReferrerSource;
  /**
   * Every manifest the listing names as referring to the image. Each format that lives among the
   * referrers keeps those whose `artifactType` it owns; none lists the referrers itself.
   */
  descriptors: readonly Descriptor[];
}

/**
 * Everything attached to one image digest, fetched lazily, at most once, and shared by every
 * authority and every signature format that checks the image (policy-controller fetched per
 * authority: issue #278). The formats (`signature/<format>/`) decide what to read and how to read it;
 * this class owns the fetching: one deadline, size caps, the referrers listing fetched once for all
 * the formats that live among the referrers, each blob and referrer manifest fetched once.
 *
 * Registry failures (401, 403, 429, timeouts, network, and content over a limit or not matching its
 * digest) reject with the RegistryError, so that the caller reports a registry failure, never "not
 * signed"; content that is there but is not what a format expects is a SignatureError.
 */
export class ImageArtefacts {
  readonly image: ImageDigestRef;
  /** Where `.sig` / `.att` tags and referrers are looked up. */
  readonly signatureRepository: Repository;
  readonly tagPrefix: string;
  readonly limits: Readonly<ArtefactLimits>;
  private readonly client: RegistryClient;
  private readonly deadline: Deadline | undefined;
  private readonly found = new Map<string, Promise<unknown>>();
  private listing?: Promise<ReferrerListing>;
  private readonly manifests = new Map<string, Promise<{ digest: string; manifest: ImageManifest }>>();
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

  /**
   * What a format finds for this image, computed once however many authorities ask: `key` names the
   * format and what it looks for (`legacy:sig`, `bundle:referrers`).
   */
  once<T>(key: string, find: () => Promise<T>): Promise<T> {
    let pending = this.found.get(key) as Promise<T> | undefined;
    if (pending === undefined) {
      pending = find();
      this.found.set(key, pending);
    }
    return pending;
  }

  /** The manifest a tag of the signature repository names; undefined when there is no such tag. */
  async tagManifest(tag: string): Promise<FetchedManifest | undefined> {
    try {
      return await this.client.getManifest({ ...this.signatureRepository, tag }, this.callOptions());
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The image's referrers: the referrers API, else the referrers tag-schema index; listed once. */
  referrers(): Promise<ReferrerListing> {
    this.listing ??= this.client
      .referrers(this.signatureRepository, this.image.digest, this.callOptions())
      .then((listing) => ({
        source: listing.source === 'api' ? 'referrers-api' : 'referrers-tag',
        descriptors: listing.descriptors,
      }));
    return this.listing;
  }

  /**
   * A referrer's manifest, fetched once: an image manifest naming this image as its subject, else a
   * SignatureError (INVALID_MANIFEST) saying why not. `what` names the format's referrers in it.
   */
  referrerManifest(
    descriptor: Descriptor,
    what: string,
  ): Promise<{ digest: string; manifest: ImageManifest }> {
    let pending = this.manifests.get(descriptor.digest);
    if (pending === undefined) {
      pending = this.fetchReferrerManifest(descriptor, what);
      this.manifests.set(descriptor.digest, pending);
    }
    return pending;
  }

  /** A blob of the signature repository, fetched once however many layers or referrers name it. */
  blob(descriptor: Descriptor, maxBytes: number): Promise<Fetched<Uint8Array>> {
    const key = `${descriptor.digest}/${maxBytes}`;
    let pending = this.blobs.get(key);
    if (!pending) {
      pending = this.fetchBlob(descriptor, maxBytes);
      this.blobs.set(key, pending);
    }
    return pending;
  }

  /**
   * Something the signature repository serves that is over a limit: a registry fault (TOO_LARGE, as
   * when a body is over its cap), so that it denies in every mode instead of reading as "not signed".
   */
  overLimit(message: string, cause?: unknown): RegistryError {
    return new RegistryError('TOO_LARGE', message, { registry: this.signatureRepository.registry, cause });
  }

  private callOptions() {
    return this.deadline ? { deadline: this.deadline } : {};
  }

  private async fetchReferrerManifest(
    descriptor: Descriptor,
    what: string,
  ): Promise<{ digest: string; manifest: ImageManifest }> {
    const where = `referrer ${repositoryName(this.signatureRepository)}@${descriptor.digest}`;
    const fetched = await this.client.getManifest(
      { ...this.signatureRepository, digest: descriptor.digest },
      this.callOptions(),
    );
    const manifest = fetched.manifest;
    if (isIndex(manifest))
      throw new SignatureError('INVALID_MANIFEST', `${where} is an index, not a ${what} manifest`);
    if (manifest.subject?.digest !== this.image.digest)
      throw new SignatureError(
        'INVALID_MANIFEST',
        `${where} has subject ${manifest.subject?.digest ?? '(none)'}, not ${this.image.digest}`,
      );
    return { digest: fetched.digest, manifest };
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
}
