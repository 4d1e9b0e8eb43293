import {
  checkDigest,
  digestLike,
  digestToTag,
  type ImageReference,
  manifestIdentifier,
  repositoryName,
  sha256Digest,
} from '../reference/index.js';
import { Deadline } from '../util/deadline.js';
import { Authenticator, type Scope } from './auth.js';
import { anonymous, type CredentialStore } from './credentials.js';
import { RegistryError, type RegistryErrorCode } from './errors.js';
import { parseManifest } from './manifest.js';
import {
  type Descriptor,
  type ImageIndex,
  MANIFEST_ACCEPT,
  type Manifest,
  MediaType,
} from './media-types.js';
import { RequestCounter } from './stats.js';
import {
  type HttpResponse,
  HttpTransport,
  type RequestEvent,
  type RequestKind,
  registryMessage,
  type TransportOptions,
} from './transport.js';

/** A repository in a registry: the part of a reference a request is addressed to. */
export type Repository = Pick<ImageReference, 'registry' | 'repository'>;

export interface RegistryClientOptions extends TransportOptions {
  credentials?: CredentialStore;
  /** Largest manifest accepted (default 4 MiB, as the distribution spec suggests). */
  maxManifestBytes?: number;
  /** Largest blob accepted by `getBlob` unless a call says otherwise (default 8 MiB: signatures, bundles, attestations). */
  maxBlobBytes?: number;
  /** Blobs larger than this are uploaded in PATCH chunks of this size instead of one PUT (default 64 MiB). */
  uploadChunkBytes?: number;
}

export interface CallOptions {
  deadline?: Deadline;
}

/** What a tag or digest points at. */
export interface ResolvedManifest {
  digest: string;
  mediaType: string;
  size: number;
}

export interface FetchedManifest extends ResolvedManifest {
  bytes: Uint8Array;
  manifest: Manifest;
}

export interface Referrers {
  descriptors: Descriptor[];
  /** `api` when the registry answered the referrers API, `tag-schema` when the `sha256-<hex>` index was read. */
  source: 'api' | 'tag-schema';
}

const DEFAULT_MAX_MANIFEST = 4 * 1024 * 1024;
const DEFAULT_MAX_BLOB = 8 * 1024 * 1024;
const PULL: Scope['actions'] = ['pull'];
const PUSH: Scope['actions'] = ['pull', 'push'];

/**
 * An OCI distribution-spec client. Everything fetched by digest is hashed and compared; sizes are
 * capped; each call runs under a deadline; the transport retries 429/5xx. It holds no policy.
 */
export class RegistryClient {
  readonly stats = new RequestCounter();
  private readonly transport: HttpTransport;
  private readonly auth: Authenticator;
  private readonly maxManifestBytes: number;
  private readonly maxBlobBytes: number;
  private readonly defaultTimeoutMs: number;
  private readonly uploadChunkBytes: number;
  /** Registries that answered the referrers API with 404: the tag schema is used for them from then on. */
  private readonly noReferrersApi = new Set<string>();

  constructor(options: RegistryClientOptions = {}) {
    const onRequest = options.onRequest;
    this.transport = new HttpTransport({
      ...options,
      onRequest: (event: RequestEvent) => {
        this.stats.record(event);
        onRequest?.(event);
      },
    });
    this.auth = new Authenticator(this.transport, options.credentials ?? anonymous);
    this.maxManifestBytes = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST;
    this.maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB;
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
    this.uploadChunkBytes = options.uploadChunkBytes ?? 64 * 1024 * 1024;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  /** What a tag (or digest) points at now, with one HEAD request when the registry sends `Docker-Content-Digest`. */
  async resolve(ref: ImageReference, options: CallOptions = {}): Promise<ResolvedManifest> {
    const deadline = this.deadline(options);
    const identifier = manifestIdentifier(ref);
    const response = await this.call(
      ref,
      'manifest-head',
      'HEAD',
      `/v2/${ref.repository}/manifests/${identifier}`,
      PULL,
      deadline,
      {
        accept: MANIFEST_ACCEPT,
      },
    );
    const headerDigest = response.headers.get('docker-content-digest');
    const mediaType = contentType(response);
    if (headerDigest && isWellFormedDigest(headerDigest) && mediaType) {
      if (ref.digest !== undefined && headerDigest !== ref.digest) {
        throw digestMismatch(ref.registry, `manifest ${ref.digest}`, headerDigest);
      }
      return { digest: headerDigest, mediaType, size: Number(response.headers.get('content-length') ?? 0) };
    }
    // Registries may omit the header on HEAD; the body is then the only trustworthy source.
    const fetched = await this.getManifest(ref, { deadline });
    return { digest: fetched.digest, mediaType: fetched.mediaType, size: fetched.size };
  }

  /** GETs a manifest by tag or digest; the digest is computed from the bytes, never taken on trust. */
  async getManifest(
    ref: Repository & { tag?: string; digest?: string },
    options: CallOptions = {},
  ): Promise<FetchedManifest> {
    const deadline = this.deadline(options);
    const identifier = ref.digest ?? ref.tag;
    if (identifier === undefined) throw new Error('getManifest needs a tag or a digest');
    const response = await this.call(
      ref,
      'manifest-get',
      'GET',
      `/v2/${ref.repository}/manifests/${identifier}`,
      PULL,
      deadline,
      {
        accept: MANIFEST_ACCEPT,
        maxBodyBytes: this.maxManifestBytes,
      },
    );
    const bytes = response.body;
    const computed = ref.digest ? digestLike(ref.digest, bytes) : sha256Digest(bytes);
    if (ref.digest !== undefined && computed !== ref.digest)
      throw digestMismatch(ref.registry, `manifest ${ref.digest}`, computed);
    const announced = response.headers.get('docker-content-digest');
    if (
      ref.digest === undefined &&
      announced &&
      isWellFormedDigest(announced) &&
      // The usual announcement is sha256, already computed: no second hash for it.
      (announced.startsWith('sha256:') ? announced !== computed : digestLike(announced, bytes) !== announced)
    ) {
      throw digestMismatch(ref.registry, `manifest ${repositoryName(ref)}:${ref.tag}`, computed, announced);
    }
    const manifest = parseManifest(bytes, ref.registry);
    const mediaType = manifest.mediaType ?? contentType(response) ?? MediaType.OCI_MANIFEST;
    return { digest: computed, mediaType, size: bytes.byteLength, bytes, manifest };
  }

  /** GETs a blob and checks it hashes to its digest; refuses blobs over the cap before reading them whole. */
  async getBlob(
    repo: Repository,
    digest: string,
    options: CallOptions & { maxBytes?: number } = {},
  ): Promise<Uint8Array> {
    checkDigest(digest);
    const deadline = this.deadline(options);
    const response = await this.call(
      repo,
      'blob-get',
      'GET',
      `/v2/${repo.repository}/blobs/${digest}`,
      PULL,
      deadline,
      {
        maxBodyBytes: options.maxBytes ?? this.maxBlobBytes,
      },
    );
    const computed = digestLike(digest, response.body);
    if (computed !== digest) throw digestMismatch(repo.registry, `blob ${digest}`, computed);
    return response.body;
  }

  async blobExists(repo: Repository, digest: string, options: CallOptions = {}): Promise<boolean> {
    try {
      await this.call(
        repo,
        'blob-head',
        'HEAD',
        `/v2/${repo.repository}/blobs/${digest}`,
        PUSH,
        this.deadline(options),
        {},
      );
      return true;
    } catch (error) {
      if (error instanceof RegistryError && error.isNotFound) return false;
      throw error;
    }
  }

  /**
   * Uploads a blob unless it is already there; returns its digest. Small blobs go in one POST + PUT
   * (monolithic); only blobs above `uploadChunkBytes` are sent as PATCH chunks, each continuing at the
   * `Location` the registry returned for the previous one.
   */
  async putBlob(repo: Repository, bytes: Uint8Array, options: CallOptions = {}): Promise<string> {
    const deadline = this.deadline(options);
    const digest = sha256Digest(bytes);
    if (await this.blobExists(repo, digest, { deadline })) return digest;
    const started = await this.call(
      repo,
      'blob-upload',
      'POST',
      `/v2/${repo.repository}/blobs/uploads/`,
      PUSH,
      deadline,
      {
        body: new Uint8Array(0),
        contentType: 'application/octet-stream',
      },
    );
    let location = this.uploadLocation(repo, started);
    let remaining = bytes;
    if (bytes.byteLength > this.uploadChunkBytes) {
      let offset = 0;
      while (offset < bytes.byteLength) {
        const chunk = bytes.subarray(offset, Math.min(offset + this.uploadChunkBytes, bytes.byteLength));
        const patched = await this.call(repo, 'blob-upload', 'PATCH', location.toString(), PUSH, deadline, {
          body: chunk,
          contentType: 'application/octet-stream',
          headers: { 'content-range': `${offset}-${offset + chunk.byteLength - 1}` },
        });
        location = this.uploadLocation(repo, patched);
        offset += chunk.byteLength;
      }
      remaining = new Uint8Array(0);
    }
    location.searchParams.set('digest', digest);
    await this.call(repo, 'blob-upload', 'PUT', location.toString(), PUSH, deadline, {
      body: remaining,
      contentType: 'application/octet-stream',
    });
    return digest;
  }

  private uploadLocation(repo: Repository, response: HttpResponse): URL {
    const location = response.headers.get('location');
    if (!location) {
      throw new RegistryError(
        'INVALID_RESPONSE',
        `registry ${repo.registry} answered an upload step without a Location`,
        {
          registry: repo.registry,
        },
      );
    }
    return new URL(location, `${this.transport.baseUrl(repo.registry)}/`);
  }

  /** PUTs a manifest under a tag or its digest; returns the digest of the bytes sent. */
  async putManifest(
    repo: Repository,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
    options: CallOptions = {},
  ): Promise<string> {
    const deadline = this.deadline(options);
    const digest = sha256Digest(bytes);
    const response = await this.call(
      repo,
      'manifest-put',
      'PUT',
      `/v2/${repo.repository}/manifests/${reference}`,
      PUSH,
      deadline,
      {
        body: bytes,
        contentType: mediaType,
      },
    );
    const announced = response.headers.get('docker-content-digest');
    if (announced && announced !== digest)
      throw digestMismatch(repo.registry, 'pushed manifest', digest, announced);
    return digest;
  }

  /** Lists every tag, following `Link` pagination (`n` per page when given). */
  async listTags(
    repo: Repository,
    options: CallOptions & { pageSize?: number; maxPages?: number } = {},
  ): Promise<string[]> {
    const tags: string[] = [];
    for await (const page of this.tagPages(repo, options)) tags.push(...page);
    return tags;
  }

  async *tagPages(
    repo: Repository,
    options: CallOptions & { pageSize?: number; maxPages?: number } = {},
  ): AsyncGenerator<string[]> {
    const deadline = this.deadline(options);
    const maxPages = options.maxPages ?? 10_000;
    let path: string | undefined =
      `/v2/${repo.repository}/tags/list${options.pageSize ? `?n=${options.pageSize}` : ''}`;
    for (let page = 0; path !== undefined; page++) {
      if (page >= maxPages) {
        throw new RegistryError(
          'INVALID_RESPONSE',
          `registry ${repo.registry} returned more than ${maxPages} pages of tags`,
          { registry: repo.registry },
        );
      }
      const response = await this.call(repo, 'tags-list', 'GET', path, PULL, deadline, {
        maxBodyBytes: 16 * 1024 * 1024,
      });
      let body: { tags?: unknown };
      try {
        body = JSON.parse(Buffer.from(response.body).toString('utf8'));
      } catch (cause) {
        throw new RegistryError('INVALID_RESPONSE', `tag list from ${repo.registry} is not JSON`, {
          registry: repo.registry,
          cause,
        });
      }
      const tags = body.tags ?? [];
      if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string')) {
        throw new RegistryError('INVALID_RESPONSE', `tag list from ${repo.registry} is malformed`, {
          registry: repo.registry,
        });
      }
      yield tags as string[];
      path = nextLink(response.headers.get('link'), response.url);
    }
  }

  /**
   * Manifests that name `digest` as their subject: the referrers API, or, where the registry has none
   * (it answers 404, as distribution 2.8 does), the referrers tag schema index at `sha256-<hex>`.
   */
  async referrers(
    repo: Repository,
    digest: string,
    options: CallOptions & { artifactType?: string } = {},
  ): Promise<Referrers> {
    const deadline = this.deadline(options);
    const filter = (descriptors: Descriptor[]) =>
      options.artifactType ? descriptors.filter((d) => d.artifactType === options.artifactType) : descriptors;
    if (!this.noReferrersApi.has(repo.registry)) {
      const query = options.artifactType ? `?artifactType=${encodeURIComponent(options.artifactType)}` : '';
      try {
        const response = await this.call(
          repo,
          'referrers',
          'GET',
          `/v2/${repo.repository}/referrers/${digest}${query}`,
          PULL,
          deadline,
          {
            accept: MediaType.OCI_INDEX,
            maxBodyBytes: this.maxManifestBytes,
          },
        );
        const index = parseManifest(response.body, repo.registry) as ImageIndex;
        if (!Array.isArray(index.manifests)) {
          throw new RegistryError(
            'INVALID_RESPONSE',
            `referrers answer from ${repo.registry} is not an index`,
            { registry: repo.registry },
          );
        }
        return { descriptors: filter(index.manifests), source: 'api' };
      } catch (error) {
        if (!(error instanceof RegistryError && error.status === 404)) throw error;
        this.noReferrersApi.add(repo.registry);
      }
    }
    try {
      const fallback = await this.getManifest({ ...repo, tag: digestToTag(digest) }, { deadline });
      const manifests = (fallback.manifest as ImageIndex).manifests;
      if (!Array.isArray(manifests)) {
        throw new RegistryError(
          'INVALID_RESPONSE',
          `referrers tag ${digestToTag(digest)} in ${repositoryName(repo)} is not an index`,
          {
            registry: repo.registry,
          },
        );
      }
      return { descriptors: filter(manifests), source: 'tag-schema' };
    } catch (error) {
      if (error instanceof RegistryError && error.isNotFound)
        return { descriptors: [], source: 'tag-schema' };
      throw error;
    }
  }

  private deadline(options: CallOptions): Deadline {
    return options.deadline ?? Deadline.after(this.defaultTimeoutMs);
  }

  private async call(
    repo: Repository,
    kind: RequestKind,
    method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH',
    url: string,
    actions: Scope['actions'],
    deadline: Deadline,
    extra: {
      accept?: string;
      body?: Uint8Array;
      contentType?: string;
      maxBodyBytes?: number;
      headers?: Record<string, string>;
    },
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...extra.headers };
    if (extra.accept) headers.accept = extra.accept;
    if (extra.contentType) headers['content-type'] = extra.contentType;
    const response = await this.auth.send({
      registry: repo.registry,
      kind,
      method,
      url,
      headers,
      ...(extra.body !== undefined && { body: extra.body }),
      deadline,
      ...(extra.maxBodyBytes !== undefined && { maxBodyBytes: extra.maxBodyBytes }),
      scope: { repository: repo.repository, actions },
    });
    if (response.status >= 200 && response.status < 300) return response;
    throw errorFor(repo, kind, url, response);
  }
}

function contentType(response: HttpResponse): string | undefined {
  const value = response.headers.get('content-type');
  return value ? (value.split(';')[0] as string).trim() : undefined;
}

function isWellFormedDigest(value: string): boolean {
  try {
    checkDigest(value);
    return true;
  } catch {
    return false;
  }
}

function digestMismatch(registry: string, what: string, computed: string, announced?: string): RegistryError {
  const detail = announced
    ? `registry announced ${announced} but the content hashes to ${computed}`
    : `content hashes to ${computed}`;
  return new RegistryError(
    'DIGEST_MISMATCH',
    `${what} from ${registry} does not match its digest: ${detail}`,
    { registry },
  );
}

const CODE_BY_REGISTRY_CODE: Readonly<Record<string, RegistryErrorCode>> = {
  MANIFEST_UNKNOWN: 'MANIFEST_UNKNOWN',
  BLOB_UNKNOWN: 'BLOB_UNKNOWN',
  NAME_UNKNOWN: 'NAME_UNKNOWN',
  UNAUTHORIZED: 'UNAUTHORIZED',
  DENIED: 'DENIED',
  TOOMANYREQUESTS: 'TOO_MANY_REQUESTS',
  MANIFEST_INVALID: 'MANIFEST_INVALID',
  MANIFEST_BLOB_UNKNOWN: 'MANIFEST_INVALID',
  DIGEST_INVALID: 'MANIFEST_INVALID',
  UNSUPPORTED: 'UNSUPPORTED',
};

function errorFor(repo: Repository, kind: RequestKind, url: string, response: HttpResponse): RegistryError {
  const { registryMessage: said, registryCode } = registryMessage(response);
  const status = response.status;
  let code: RegistryErrorCode | undefined = registryCode ? CODE_BY_REGISTRY_CODE[registryCode] : undefined;
  if (code === undefined) {
    if (status === 401) code = 'UNAUTHORIZED';
    else if (status === 403) code = 'DENIED';
    else if (status === 404)
      code = kind.startsWith('manifest')
        ? 'MANIFEST_UNKNOWN'
        : kind.startsWith('blob')
          ? 'BLOB_UNKNOWN'
          : 'NOT_FOUND';
    else if (status === 429) code = 'TOO_MANY_REQUESTS';
    else if (status >= 500) code = 'SERVER_ERROR';
    else code = 'INVALID_RESPONSE';
  }
  const target = describeTarget(repo, kind, url);
  const base =
    code === 'MANIFEST_UNKNOWN' || code === 'NOT_FOUND' || code === 'BLOB_UNKNOWN'
      ? `${target} not found`
      : code === 'NAME_UNKNOWN'
        ? `repository ${repositoryName(repo)} not found`
        : code === 'DENIED'
          ? `registry ${repo.registry} denied access to ${target}`
          : code === 'TOO_MANY_REQUESTS'
            ? `registry ${repo.registry} answered 429 Too Many Requests`
            : `registry ${repo.registry} answered ${status} for ${target}`;
  return new RegistryError(code, said && !base.includes(said) ? `${base}: ${said}` : base, {
    registry: repo.registry,
    status,
    ...(said !== undefined && { registryMessage: said }),
  });
}

function describeTarget(repo: Repository, kind: RequestKind, url: string): string {
  const last = decodeURIComponent(url.split('?')[0]?.split('/').pop() ?? '');
  const name = repositoryName(repo);
  if (kind.startsWith('manifest'))
    return last.includes(':') ? `manifest ${name}@${last}` : `manifest ${name}:${last}`;
  if (kind.startsWith('blob')) return `blob ${last} in ${name}`;
  if (kind === 'tags-list') return `tag list of ${name}`;
  if (kind === 'referrers') return `referrers of ${name}@${last}`;
  return name;
}

/** The next page from a `Link: <url>; rel="next"` header, resolved against the current URL. */
export function nextLink(header: string | null, current: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const match = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (match && /rel="?next"?/i.test(match[2] as string)) {
      const resolved = new URL(match[1] as string, current);
      return resolved.toString();
    }
  }
  return undefined;
}
