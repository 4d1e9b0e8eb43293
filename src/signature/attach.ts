/**
 * Writing signatures, whatever the format: what is signed (the target digest), who signs (a key, or
 * any signer that signs the way cosign does), where it goes, and what a format's writer provides.
 * The formats' own writers are `legacy/write.ts` and `bundle/write.ts`.
 */
import type { RegistryClient, Repository } from '../registry/index.js';
import type { Deadline } from '../util/deadline.js';
import { buildKeyDsseBundle } from './bundle/sigstore-bundle.js';
import { preAuthEncoding } from './dsse.js';
import { verifyWith } from './keys/algorithms.js';
import { type PrivateKey, signBytes } from './keys/private.js';

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

export function asSigner(signer: PrivateKey | ArtefactSigner): ArtefactSigner {
  return 'signLayer' in signer ? signer : keySigner(signer);
}

export function signatureRepository(target: SignTarget, options: AttachOptions): Repository {
  return options.signatureRepository ?? { registry: target.registry, repository: target.repository };
}

export function callOptions(options: AttachOptions) {
  return options.deadline ? { deadline: options.deadline } : {};
}

/**
 * What a signature format that `vouch sign` / `vouch attest --format` can write provides (its
 * `signature/<format>/write.ts`): signing an image digest, and attaching an attestation when the
 * format carries attestations.
 */
export interface FormatWriter {
  sign(
    client: RegistryClient,
    target: SignTarget,
    signer: PrivateKey | ArtefactSigner,
    input: { annotations?: Readonly<Record<string, string>> },
    options?: AttachOptions,
  ): Promise<AttachResult>;
  attest?(
    client: RegistryClient,
    target: SignTarget,
    signer: PrivateKey | ArtefactSigner,
    input: { statement: Uint8Array; predicateType: string },
    options?: AttachOptions,
  ): Promise<AttachResult>;
}
