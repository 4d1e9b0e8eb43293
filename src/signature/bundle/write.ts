/** Writing Sigstore bundles: attached as OCI 1.1 referrers of the image (cosign v3). */
import { digestToTag, repositoryName, sha256Digest } from '../../reference/index.js';
import {
  type Descriptor,
  EMPTY_CONFIG,
  isNotFound,
  MediaType,
  type RegistryClient,
  type Repository,
} from '../../registry/index.js';
import {
  type ArtefactSigner,
  type AttachOptions,
  type AttachResult,
  asSigner,
  callOptions,
  type FormatWriter,
  type SignTarget,
  signatureRepository,
} from '../attach.js';
import { preAuthEncoding } from '../dsse.js';
import { SignatureError } from '../errors.js';
import { buildStatement, digestSet } from '../intoto.js';
import type { PrivateKey } from '../keys/private.js';
import {
  COSIGN_SIGN_PREDICATE_TYPE,
  CosignAnnotation,
  CosignMediaType,
  isSigstoreBundleMediaType,
} from '../media-types.js';
import { buildBundleReferrerManifest, buildReferrersIndex, parseSigstoreBundle } from './sigstore-bundle.js';

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
  const listing = await client.referrers(repo, target.digest, callOptions(options));
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
  await client.putBlob(repo, bundle, callOptions(options));
  await client.putBlob(repo, EMPTY_CONFIG, callOptions(options));
  const digest = await client.putManifest(
    repo,
    sha256Digest(manifest),
    manifest,
    MediaType.OCI_MANIFEST,
    callOptions(options),
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
    await client.putManifest(
      repo,
      digestToTag(target.digest),
      index,
      MediaType.OCI_INDEX,
      callOptions(options),
    );
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
      const fetched = await client.getManifest({ ...repo, digest: descriptor.digest }, callOptions(options));
      const layer = 'layers' in fetched.manifest ? fetched.manifest.layers[0] : undefined;
      if (!layer) continue;
      const bundle = parseSigstoreBundle(await client.getBlob(repo, layer.digest, callOptions(options)));
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

export const bundleWriter: FormatWriter = {
  sign: (client, target, signer, input, options) =>
    attachBundle(
      client,
      target,
      signer,
      {
        statement: signatureStatement(target.digest, input.annotations),
        predicateType: COSIGN_SIGN_PREDICATE_TYPE,
      },
      options,
    ),
  attest: attachBundle,
};
