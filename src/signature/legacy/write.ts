/** Writing cosign's legacy signatures and attestations: a layer appended to the `.sig` / `.att` manifest. */
import { formatReference, repositoryName } from '../../reference/index.js';
import { type Descriptor, isNotFound, MediaType, type RegistryClient } from '../../registry/index.js';
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
import { type DsseEnvelope, serializeDsseEnvelope } from '../dsse.js';
import { decodeBase64 } from '../encoding.js';
import type { PrivateKey } from '../keys/private.js';
import { CosignAnnotation, CosignMediaType } from '../media-types.js';
import {
  buildLegacyManifest,
  type LegacySuffix,
  layerDescriptor,
  legacyLayers,
  legacyTag,
} from './manifest.js';
import { buildSimpleSigningPayload } from './simple-signing.js';

/** Most layers read back when appending to an existing `.sig` / `.att` manifest. */
const MAX_EXISTING_LAYERS = 1000;

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
    const current = await client.getManifest({ ...repo, tag }, callOptions(options));
    existing = legacyLayers(current.manifest, MAX_EXISTING_LAYERS, `signature manifest ${location}`);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (existing.some(isDuplicate)) return { location, written: false };
  const layers = [...existing, descriptor];
  const { manifest, config } = buildLegacyManifest(layers);
  await client.putBlob(repo, blob, callOptions(options));
  await client.putBlob(repo, config, callOptions(options));
  await client.putManifest(repo, tag, manifest, MediaType.OCI_MANIFEST, callOptions(options));
  return { location, written: true };
}

export const legacyWriter: FormatWriter = { sign: signLegacy, attest: attestLegacy };
