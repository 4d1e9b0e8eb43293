import { isDigest, sha256Digest } from '../../reference/index.js';
import {
  type Descriptor,
  EMPTY_CONFIG_DESCRIPTOR,
  type ImageManifest,
  isIndex,
  type Manifest,
  MediaType,
} from '../../registry/index.js';
import { goJson, sortedRecord } from '../encoding.js';
import { SignatureError } from '../errors.js';
import {
  DEFAULT_NOTATION_LIMITS,
  isNotationEnvelopeMediaType,
  NotationAnnotation,
  type NotationEnvelopeMediaType,
  type NotationLimits,
  NotationMediaType,
} from './constants.js';
import { quoted } from './json.js';

/** A Notary Project signature manifest, checked against every rule of the signature specification. */
export interface NotationSignatureManifest {
  /** The one layer: the envelope blob (its media type says which envelope). */
  readonly envelope: Descriptor & { readonly mediaType: NotationEnvelopeMediaType };
  /** The manifest the signature was attached to (unsigned: the payload's targetArtifact is what counts). */
  readonly subject: Descriptor;
  /** Lower-case hex SHA-256 thumbprints of the envelope's chain, leaf first, as the annotation lists them. */
  readonly thumbprints: readonly string[];
  /** True when the manifest marks itself by `config.mediaType` (signers before OCI 1.1), not `artifactType`. */
  readonly legacyConfigMediaType: boolean;
  readonly annotations: Readonly<Record<string, string>>;
}

function fail(message: string): never {
  throw new SignatureError('INVALID_MANIFEST', `Notary Project signature manifest ${message}`);
}

/**
 * Checks a manifest (already parsed by the registry client) as a Notary Project signature: an OCI image
 * manifest marked by `artifactType` (with the empty config) or, from older signers, by its config
 * media type; exactly one layer holding a JWS or COSE envelope no larger than the limit; a subject;
 * and the chain-thumbprint annotation as a JSON list of SHA-256 hex digests.
 */
export function parseNotationSignatureManifest(
  manifest: Manifest,
  limits: Pick<NotationLimits, 'maxEnvelopeBytes' | 'maxChainLength'> = DEFAULT_NOTATION_LIMITS,
): NotationSignatureManifest {
  if (isIndex(manifest)) fail('is an index; expected an OCI image manifest');
  const image: ImageManifest = manifest;
  if (image.mediaType !== MediaType.OCI_MANIFEST)
    fail(`has media type ${quoted(image.mediaType ?? '(none)')}; expected ${MediaType.OCI_MANIFEST}`);
  let legacyConfigMediaType: boolean;
  if (image.artifactType !== undefined) {
    if (image.artifactType !== NotationMediaType.SIGNATURE)
      fail(`has artifactType ${quoted(image.artifactType)}; expected ${NotationMediaType.SIGNATURE}`);
    if (image.config.mediaType !== MediaType.OCI_EMPTY)
      fail(
        `has artifactType set and config media type ${quoted(image.config.mediaType)}; expected ${MediaType.OCI_EMPTY}`,
      );
    legacyConfigMediaType = false;
  } else {
    if (image.config.mediaType !== NotationMediaType.SIGNATURE)
      fail(`has neither artifactType nor config media type ${NotationMediaType.SIGNATURE}`);
    legacyConfigMediaType = true;
  }
  if (image.layers.length !== 1) fail(`has ${image.layers.length} layers; expected exactly one envelope`);
  const layer = image.layers[0] as Descriptor;
  if (!isNotationEnvelopeMediaType(layer.mediaType))
    fail(
      `has a layer of media type ${quoted(layer.mediaType)}; expected ${NotationMediaType.JWS} or ${NotationMediaType.COSE}`,
    );
  if (layer.size > limits.maxEnvelopeBytes)
    throw new SignatureError(
      'TOO_LARGE',
      `Notary Project signature envelope is ${layer.size} bytes; the limit is ${limits.maxEnvelopeBytes}`,
    );
  if (image.subject === undefined) fail('has no subject');
  const annotations = image.annotations ?? {};
  const thumbprints = parseThumbprints(
    annotations[NotationAnnotation.THUMBPRINT_S256],
    limits.maxChainLength,
  );
  return {
    envelope: layer as Descriptor & { mediaType: NotationEnvelopeMediaType },
    subject: image.subject,
    thumbprints,
    legacyConfigMediaType,
    annotations,
  };
}

function parseThumbprints(value: string | undefined, maxChainLength: number): string[] {
  const name = NotationAnnotation.THUMBPRINT_S256;
  if (value === undefined) fail(`has no ${name} annotation`);
  let list: unknown;
  try {
    list = JSON.parse(value);
  } catch (cause) {
    throw new SignatureError('INVALID_ANNOTATION', `annotation ${name} is not JSON`, { cause });
  }
  if (!Array.isArray(list) || list.length === 0)
    throw new SignatureError('INVALID_ANNOTATION', `annotation ${name} is not a non-empty JSON list`);
  if (list.length > maxChainLength)
    throw new SignatureError(
      'INVALID_ANNOTATION',
      `annotation ${name} lists ${list.length} certificates; the limit is ${maxChainLength}`,
    );
  return list.map((entry) => {
    // notation writes lower-case hex; the specification's examples use upper case. Both are the same digest.
    if (typeof entry !== 'string' || !/^[0-9a-fA-F]{64}$/.test(entry))
      throw new SignatureError(
        'INVALID_ANNOTATION',
        `annotation ${name} holds ${quoted(entry)}, not a SHA-256 hex digest`,
      );
    return entry.toLowerCase();
  });
}

/** The thumbprint annotation's value for a chain of DER certificates, as notation writes it. */
export function chainThumbprints(chain: readonly Uint8Array[]): string[] {
  return chain.map((der) => sha256Digest(der).slice('sha256:'.length));
}

/**
 * The signature manifest `notation sign` pushes (oras's OCI 1.1 packing): `artifactType`, the empty
 * config with its inline data, the envelope as the one layer, the signed manifest as subject, and the
 * thumbprint and creation-time annotations.
 */
export function buildNotationSignatureManifest(input: {
  envelope: Uint8Array;
  envelopeMediaType: NotationEnvelopeMediaType;
  subject: Descriptor;
  chain: readonly Uint8Array[];
  signingTime: Date;
}): { manifest: Buffer; layer: Descriptor; annotations: Record<string, string> } {
  const layer: Descriptor = {
    mediaType: input.envelopeMediaType,
    digest: sha256Digest(input.envelope),
    size: input.envelope.byteLength,
  };
  const annotations = sortedRecord({
    [NotationAnnotation.THUMBPRINT_S256]: goJson(chainThumbprints(input.chain)),
    [NotationAnnotation.CREATED]: rfc3339Seconds(input.signingTime),
  });
  if (!isDigest(input.subject.digest))
    throw new SignatureError('INVALID_MANIFEST', 'subject digest is not valid');
  const manifest = Buffer.from(
    goJson({
      schemaVersion: 2,
      mediaType: MediaType.OCI_MANIFEST,
      artifactType: NotationMediaType.SIGNATURE,
      config: { ...EMPTY_CONFIG_DESCRIPTOR, data: 'e30=' },
      layers: [layer],
      subject: { mediaType: input.subject.mediaType, digest: input.subject.digest, size: input.subject.size },
      annotations,
    }),
  );
  return { manifest, layer, annotations };
}

/** RFC 3339 in UTC with whole seconds (`2024-01-02T03:04:05Z`), as Go formats a truncated time. */
export function rfc3339Seconds(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
