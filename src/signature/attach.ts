import { digestToTag, formatReference, repositoryName, sha256Digest } from '../reference/index.js';
import {
  type Descriptor,
  isNotFound,
  MediaType,
  type RegistryClient,
  type Repository,
} from '../registry/index.js';
import type { Deadline } from '../util/deadline.js';
import { type DsseEnvelope, preAuthEncoding, serializeDsseEnvelope } from './dsse.js';
import { decodeBase64 } from './encoding.js';
import { SignatureError } from './errors.js';
import { buildStatement, digestSet } from './intoto.js';
import { verifyWith } from './keys/algorithms.js';
import { type PrivateKey, signBytes } from './keys/private.js';
import {
  buildLegacyManifest,
  type LegacySuffix,
  layerDescriptor,
  legacyLayers,
  legacyTag,
} from './legacy-manifest.js';
import {
  COSIGN_SIGN_PREDICATE_TYPE,
  CosignAnnotation,
  CosignMediaType,
  isSigstoreBundleMediaType,
} from './media-types.js';
import {
  buildBundleReferrerManifest,
  buildKeyDsseBundle,
  buildReferrersIndex,
  EMPTY_CONFIG,
  parseSigstoreBundle,
} from './sigstore-bundle.js';
import { buildSimpleSigningPayload } from './simple-signing.js';

/** The image being signed: a digest with its manifest's media type and size (the referrer `subject`). */
export interface SignTarget {
  registry: string;
  repository: string;
  digest: string;
  mediaType: string;
  size: number;
}

export interface AttachOptions {
  signatureRepository?: Repository;
  tagPrefix?: string;
  deadline?: Deadline;
}

export interface AttachResult {
  /** Where it was written: `registry/repo:sha256-<hex>.sig` or `registry/repo@sha256:<referrer>`. */
  location: string;
  /** False when an identical signature by the same key was already there (nothing written). */
  written: boolean;
}

/** What a signer is asked to sign: a legacy `.sig` payload, or a DSSE envelope's payload. */
export type SigningRequest =
  | { kind: 'payload'; payload: Uint8Array }
  | { kind: 'dsse'; payloadType: string; payload: Uint8Array };

/**
 * Who signs. cosign's `--key` is `keySigner(key)`; anything else that signs the way cosign does (a
 * keyless client with a certificate and a Rekor entry per signature, such as the tests' Sigstore)
 * implements this and gets the same manifests, tags and referrers written.
 */
export interface ArtefactSigner {
  /**
   * Signs the payload (a DSSE request: its pre-authentication encoding) for a legacy layer: the
   * signature, and the annotations that go with it (`dev.sigstore.cosign/certificate`, `…/chain`,
   * `…/bundle`; the signature annotation itself is written by the caller).
   */
  signLayer(request: SigningRequest): Promise<{ signature: Buffer; annotations?: Record<string, string> }>;
  /** A v0.3 Sigstore bundle (JSON bytes) holding a DSSE envelope of the payload. */
  signBundle(request: Extract<SigningRequest, { kind: 'dsse' }>): Promise<Uint8Array>;
  /**
   * Whether `signature` over `data` is already this signer's, so that signing twice appends nothing.
   * Keyless signers get a new certificate every time and leave it out.
   */
  isOwnSignature?(data: Uint8Array, signature: Uint8Array): boolean;
}

/** The bytes a signature covers: the payload itself, or the DSSE pre-authentication encoding. */
export function signedBytes(request: SigningRequest): Buffer {
  return request.kind === 'dsse'
    ? preAuthEncoding(request.payloadType, request.payload)
    : Buffer.from(request.payload);
}

/** Signing with a private key, as `cosign sign --key` does: no certificate, no transparency log. */
export function keySigner(key: PrivateKey): ArtefactSigner {
  return {
    signLayer: async (request) => ({ signature: signBytes(key, signedBytes(request)) }),
    signBundle: async (request) =>
      buildKeyDsseBundle({
        payload: request.payload,
        payloadType: request.payloadType,
        signature: signBytes(key, signedBytes(request)),
        publicKey: key.publicKey,
      }),
    isOwnSignature: (data, signature) => verifyWith(key.publicKey, data, signature),
  };
}

function asSigner(signer: PrivateKey | ArtefactSigner): ArtefactSigner {
  return 'signLayer' in signer ? signer : keySigner(signer);
}

/** Most layers read back when appending to an existing `.sig` / `.att` manifest. */
const MAX_EXISTING_LAYERS = 1000;

function signatureRepository(target: SignTarget, options: AttachOptions): Repository {
  return options.signatureRepository ?? { registry: target.registry, repository: target.repository };
}

function call(options: AttachOptions) {
  return options.deadline ? { deadline: options.deadline } : {};
}

/**
 * Signs an image digest the legacy way: a simple-signing payload naming the digest (and `-a`
 * annotations under `optional`), its signature in the layer annotation (with whatever annotations the
 * signer adds: certificate, chain, Rekor bundle), appended to the `sha256-<hex>.sig` manifest. Signing
 * again with the same key and annotations writes nothing.
 */
export async function signLegacy(
  client: RegistryClient,
  target: SignTarget,
  key: PrivateKey | ArtefactSigner,
  input: { annotations?: Readonly<Record<string, string>> },
  options: AttachOptions = {},
): Promise<AttachResult> {
  const signer = asSigner(key);
  const payload = buildSimpleSigningPayload({
    // cosign writes the repository without tag or digest; verifiers ignore it.
    dockerReference: repositoryName(target),
    digest: target.digest,
    ...(input.annotations && { annotations: input.annotations }),
  });
  const signed = await signer.signLayer({ kind: 'payload', payload });
  const descriptor = layerDescriptor(payload, CosignMediaType.SIMPLE_SIGNING, {
    ...signed.annotations,
    [CosignAnnotation.SIGNATURE]: signed.signature.toString('base64'),
  });
  return appendLegacyLayer(client, target, 'sig', payload, descriptor, options, (existing) => {
    const annotation = existing.annotations?.[CosignAnnotation.SIGNATURE];
    if (existing.digest !== descriptor.digest || annotation === undefined || !signer.isOwnSignature)
      return false;
    try {
      return signer.isOwnSignature(payload, decodeBase64(annotation, 'existing signature'));
    } catch {
      return false;
    }
  });
}

/**
 * Attests the legacy way: a DSSE envelope (payload type in-toto) of `statement`, appended to the
 * `sha256-<hex>.att` manifest with the `predicateType` annotation, an empty signature annotation (the
 * signature is in the envelope) and the signer's annotations.
 */
export async function attestLegacy(
  client: RegistryClient,
  target: SignTarget,
  key: PrivateKey | ArtefactSigner,
  input: { statement: Uint8Array; predicateType: string },
  options: AttachOptions = {},
): Promise<AttachResult> {
  const payload = Buffer.from(input.statement);
  const signed = await asSigner(key).signLayer({
    kind: 'dsse',
    payloadType: CosignMediaType.IN_TOTO,
    payload,
  });
  const envelope: DsseEnvelope = {
    payloadType: CosignMediaType.IN_TOTO,
    payload,
    signatures: [{ keyid: '', sig: signed.signature }],
  };
  const blob = serializeDsseEnvelope(envelope);
  const descriptor = layerDescriptor(blob, CosignMediaType.DSSE_ENVELOPE, {
    ...signed.annotations,
    [CosignAnnotation.SIGNATURE]: '',
    [CosignAnnotation.PREDICATE_TYPE]: input.predicateType,
  });
  return appendLegacyLayer(client, target, 'att', blob, descriptor, options, () => false);
}

/** Read-modify-write of a `.sig` / `.att` manifest (racy by design, as cosign's is). */
async function appendLegacyLayer(
  client: RegistryClient,
  target: SignTarget,
  suffix: LegacySuffix,
  blob: Uint8Array,
  descriptor: Descriptor,
  options: AttachOptions,
  isDuplicate: (existing: Descriptor) => boolean,
): Promise<AttachResult> {
  const repo = signatureRepository(target, options);
  const tag = legacyTag(target.digest, suffix, options.tagPrefix);
  const location = formatReference({ ...repo, tag });
  let existing: Descriptor[] = [];
  try {
    const current = await client.getManifest({ ...repo, tag }, call(options));
    existing = legacyLayers(current.manifest, MAX_EXISTING_LAYERS, `signature manifest ${location}`);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (existing.some(isDuplicate)) return { location, written: false };
  const layers = [...existing, descriptor];
  const { manifest, config } = buildLegacyManifest(layers);
  await client.putBlob(repo, blob, call(options));
  await client.putBlob(repo, config, call(options));
  await client.putManifest(repo, tag, manifest, MediaType.OCI_MANIFEST, call(options));
  return { location, written: true };
}

/** The statement cosign v3 signs for an image: subject = the digest (+ annotations), predicate `{}`. */
export function signatureStatement(
  digest: string,
  annotations: Readonly<Record<string, string>> = {},
): Buffer {
  return buildStatement({
    subject: [{ digest: digestSet(digest), annotations: { ...annotations } }],
    predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    predicate: {},
  });
}

/**
 * Attaches a v0.3 Sigstore bundle (a DSSE envelope of `statement`; signed by a key: no
 * transparency-log entry) as an OCI 1.1 referrer of the image, and, when the registry has no referrers
 * API, adds it to the referrers tag-schema index. An identical statement already signed by the same
 * key is not attached again.
 */
export async function attachBundle(
  client: RegistryClient,
  target: SignTarget,
  key: PrivateKey | ArtefactSigner,
  input: { statement: Uint8Array; predicateType: string },
  options: AttachOptions = {},
): Promise<AttachResult> {
  const signer = asSigner(key);
  const repo = signatureRepository(target, options);
  const listing = await client.referrers(repo, target.digest, call(options));
  const duplicate = await findDuplicateBundle(client, repo, listing.descriptors, signer, input, options);
  if (duplicate) return { location: `${repositoryName(repo)}@${duplicate}`, written: false };

  const bundle = await signer.signBundle({
    kind: 'dsse',
    payloadType: CosignMediaType.IN_TOTO,
    payload: input.statement,
  });
  const { manifest, annotations } = buildBundleReferrerManifest({
    bundle,
    subject: { mediaType: target.mediaType, digest: target.digest, size: target.size },
    predicateType: input.predicateType,
  });
  await client.putBlob(repo, bundle, call(options));
  await client.putBlob(repo, EMPTY_CONFIG, call(options));
  const digest = await client.putManifest(
    repo,
    sha256Digest(manifest),
    manifest,
    MediaType.OCI_MANIFEST,
    call(options),
  );
  if (listing.source === 'tag-schema') {
    const index = buildReferrersIndex([
      ...listing.descriptors.filter((d) => d.digest !== digest),
      {
        mediaType: MediaType.OCI_MANIFEST,
        digest,
        size: manifest.byteLength,
        artifactType: CosignMediaType.SIGSTORE_BUNDLE_V03,
        annotations,
      },
    ]);
    await client.putManifest(repo, digestToTag(target.digest), index, MediaType.OCI_INDEX, call(options));
  }
  return { location: `${repositoryName(repo)}@${digest}`, written: true };
}

async function findDuplicateBundle(
  client: RegistryClient,
  repo: Repository,
  descriptors: readonly Descriptor[],
  signer: ArtefactSigner,
  input: { statement: Uint8Array; predicateType: string },
  options: AttachOptions,
): Promise<string | undefined> {
  const isOwnSignature = signer.isOwnSignature;
  if (!isOwnSignature) return undefined;
  for (const descriptor of descriptors) {
    if (!isSigstoreBundleMediaType(descriptor.artifactType)) continue;
    const hint = descriptor.annotations?.[CosignAnnotation.BUNDLE_PREDICATE_TYPE];
    if (hint !== undefined && hint !== input.predicateType) continue;
    try {
      const fetched = await client.getManifest({ ...repo, digest: descriptor.digest }, call(options));
      const layer = 'layers' in fetched.manifest ? fetched.manifest.layers[0] : undefined;
      if (!layer) continue;
      const bundle = parseSigstoreBundle(await client.getBlob(repo, layer.digest, call(options)));
      if (bundle.content.$case !== 'dsseEnvelope') continue;
      const envelope = bundle.content.dsseEnvelope;
      const signature = envelope.signatures[0]?.sig;
      if (
        signature &&
        Buffer.from(envelope.payload).equals(Buffer.from(input.statement)) &&
        isOwnSignature(preAuthEncoding(envelope.payloadType, envelope.payload), signature)
      )
        return descriptor.digest;
    } catch (error) {
      // An unreadable existing referrer is not a duplicate; a registry failure still stops signing.
      if (!(error instanceof SignatureError) && !isNotFound(error)) throw error;
    }
  }
  return undefined;
}
