/** Media types, annotation keys and predicate types that cosign and Sigstore use on the wire. */
export const CosignMediaType = {
  /** A legacy `.sig` layer: the simple-signing payload. */
  SIMPLE_SIGNING: 'application/vnd.dev.cosign.simplesigning.v1+json',
  /** A legacy `.att` layer: a DSSE envelope around an in-toto statement. */
  DSSE_ENVELOPE: 'application/vnd.dsse.envelope.v1+json',
  /** The Sigstore bundle attached as an OCI 1.1 referrer (manifest artifactType and layer media type). */
  SIGSTORE_BUNDLE_V03: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  /** The older spelling of the v0.3 bundle media type, still accepted when reading. */
  SIGSTORE_BUNDLE_V03_LEGACY: 'application/vnd.dev.sigstore.bundle+json;version=0.3',
  IN_TOTO: 'application/vnd.in-toto+json',
} as const;

export const CosignAnnotation = {
  SIGNATURE: 'dev.cosignproject.cosign/signature',
  CERTIFICATE: 'dev.sigstore.cosign/certificate',
  CHAIN: 'dev.sigstore.cosign/chain',
  REKOR_BUNDLE: 'dev.sigstore.cosign/bundle',
  RFC3161_TIMESTAMP: 'dev.sigstore.cosign/rfc3161timestamp',
  /** On `.att` layers: the statement's predicate type. */
  PREDICATE_TYPE: 'predicateType',
  /** On bundle referrer manifests (cosign's bundle spec). */
  BUNDLE_CONTENT: 'dev.sigstore.bundle.content',
  BUNDLE_PREDICATE_TYPE: 'dev.sigstore.bundle.predicateType',
  CREATED: 'org.opencontainers.image.created',
} as const;

/** The predicate type cosign v3 signs image signatures with (a DSSE in-toto statement in a bundle). */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

/** `critical.type` of a simple-signing payload as cosign writes it. */
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';

export function isSigstoreBundleMediaType(value: string | undefined): boolean {
  return (
    value === CosignMediaType.SIGSTORE_BUNDLE_V03 || value === CosignMediaType.SIGSTORE_BUNDLE_V03_LEGACY
  );
}
