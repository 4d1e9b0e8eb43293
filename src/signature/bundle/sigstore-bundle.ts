import { createHash } from 'node:crypto';
import { assertBundle, type Bundle, bundleFromJSON, bundleToJSON, toDSSEBundle } from '@sigstore/bundle';
import { digestToTag, sha256Digest } from '../../reference/index.js';
import { type Descriptor, EMPTY_CONFIG_DESCRIPTOR, MediaType } from '../../registry/index.js';
import { goJson, isRecord, parseJson, sortedRecord } from '../encoding.js';
import { SignatureError } from '../errors.js';
import type { PublicKey } from '../keys/public.js';
import { CosignAnnotation, CosignMediaType } from '../media-types.js';

export type { Bundle } from '@sigstore/bundle';

/**
 * The hint that names a public key in a bundle's `verificationMaterial.publicKey.hint`: the base64 of
 * the SHA-256 of its DER SubjectPublicKeyInfo (what sigstore-go writes). Verifiers look the key up by
 * it; vouch's key authority does not rely on it (the key is given).
 */
export function keyHint(publicKey: PublicKey): string {
  return createHash('sha256').update(publicKey.spki).digest('base64');
}

/** A v0.3 bundle with a DSSE envelope signed by a key, no transparency-log entry and no timestamp. */
export function buildKeyDsseBundle(input: {
  payload: Uint8Array;
  payloadType: string;
  signature: Uint8Array;
  publicKey: PublicKey;
}): Buffer {
  const bundle = toDSSEBundle({
    artifact: Buffer.from(input.payload),
    artifactType: input.payloadType,
    signature: Buffer.from(input.signature),
    keyHint: keyHint(input.publicKey),
  });
  return Buffer.from(JSON.stringify(bundleToJSON(bundle)));
}

/** Parses Sigstore bundle JSON (v0.1 to v0.3) and checks the fields every later step relies on. */
export function parseSigstoreBundle(bytes: Uint8Array, what = 'Sigstore bundle'): Bundle {
  const json = parseJson(bytes, what, 'INVALID_BUNDLE');
  if (!isRecord(json)) throw new SignatureError('INVALID_BUNDLE', `${what} is not a JSON object`);
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
    assertBundle(bundle);
  } catch (cause) {
    const fields = (cause as { fields?: string[] }).fields;
    throw new SignatureError(
      'INVALID_BUNDLE',
      `${what} is malformed${fields?.length ? ` (${fields.join(', ')})` : `: ${(cause as Error).message}`}`,
      { cause },
    );
  }
  return bundle;
}

/**
 * The referrer manifest cosign attaches a bundle with (cosign's bundle spec): an OCI image manifest
 * with the bundle's artifactType, the empty config, the bundle as the only layer, and `subject` =
 * the signed image.
 */
export function buildBundleReferrerManifest(input: {
  bundle: Uint8Array;
  subject: Descriptor;
  predicateType: string;
  created?: Date;
}): { manifest: Buffer; annotations: Record<string, string>; layer: Descriptor } {
  const layerDigest = sha256Digest(input.bundle);
  const layer: Descriptor = {
    mediaType: CosignMediaType.SIGSTORE_BUNDLE_V03,
    digest: layerDigest,
    size: input.bundle.byteLength,
    annotations: { 'org.opencontainers.image.title': `${digestToTag(layerDigest)}.sigstore.json` },
  };
  const annotations = sortedRecord({
    [CosignAnnotation.BUNDLE_CONTENT]: 'dsse-envelope',
    [CosignAnnotation.BUNDLE_PREDICATE_TYPE]: input.predicateType,
    [CosignAnnotation.CREATED]: (input.created ?? new Date()).toISOString(),
  });
  const manifest = Buffer.from(
    goJson({
      schemaVersion: 2,
      mediaType: MediaType.OCI_MANIFEST,
      artifactType: CosignMediaType.SIGSTORE_BUNDLE_V03,
      config: EMPTY_CONFIG_DESCRIPTOR,
      layers: [layer],
      subject: { mediaType: input.subject.mediaType, digest: input.subject.digest, size: input.subject.size },
      annotations,
    }),
  );
  return { manifest, annotations, layer };
}

/** The referrers tag-schema index (`sha256-<hex>`): an OCI index of referrer descriptors. */
export function buildReferrersIndex(descriptors: readonly Descriptor[]): Buffer {
  return Buffer.from(
    goJson({
      schemaVersion: 2,
      mediaType: MediaType.OCI_INDEX,
      manifests: descriptors.map((d) => ({
        mediaType: d.mediaType,
        digest: d.digest,
        size: d.size,
        ...(d.artifactType !== undefined && { artifactType: d.artifactType }),
        ...(d.annotations !== undefined && { annotations: d.annotations }),
      })),
    }),
  );
}
