/**
 * The Notary Project's names on the wire (signature-specification.md, signature-envelope-jws.md,
 * signature-envelope-cose.md), declared once so that parsing, signing and messages read the same
 * spelling.
 */
export const NotationMediaType = {
  /** The signature manifest's `artifactType` (and, from older signers, its `config.mediaType`). */
  SIGNATURE: 'application/vnd.cncf.notary.signature',
  /** The one payload content type the specification defines (`cty`, COSE label 3). */
  PAYLOAD: 'application/vnd.cncf.notary.payload.v1+json',
  /** A JWS JSON serialization envelope layer. */
  JWS: 'application/jose+json',
  /** A COSE_Sign1_Tagged envelope layer. */
  COSE: 'application/cose',
} as const;

export type NotationEnvelopeMediaType = typeof NotationMediaType.JWS | typeof NotationMediaType.COSE;

export function isNotationEnvelopeMediaType(value: unknown): value is NotationEnvelopeMediaType {
  return value === NotationMediaType.JWS || value === NotationMediaType.COSE;
}

export const NotationAnnotation = {
  /** JSON array of the lower-case hex SHA-256 of each certificate in the envelope's chain, leaf first. */
  THUMBPRINT_S256: 'io.cncf.notary.x509chain.thumbprint#S256',
  /** `notation sign` records the signing time here too (RFC 3339, seconds). */
  CREATED: 'org.opencontainers.image.created',
} as const;

/** Signed attributes (JWS protected headers, COSE protected header labels with these names). */
export const NotationHeader = {
  SIGNING_SCHEME: 'io.cncf.notary.signingScheme',
  SIGNING_TIME: 'io.cncf.notary.signingTime',
  AUTHENTIC_SIGNING_TIME: 'io.cncf.notary.authenticSigningTime',
  EXPIRY: 'io.cncf.notary.expiry',
  VERIFICATION_PLUGIN: 'io.cncf.notary.verificationPlugin',
  VERIFICATION_PLUGIN_MIN_VERSION: 'io.cncf.notary.verificationPluginMinVersion',
} as const;

/** Unsigned attributes (JWS `header`, COSE unprotected header). */
export const NotationUnsignedHeader = {
  SIGNING_AGENT: 'io.cncf.notary.signingAgent',
  TIMESTAMP_SIGNATURE: 'io.cncf.notary.timestampSignature',
  /** JWS only; COSE carries the chain under label 33 (`x5chain`). */
  X5C: 'x5c',
} as const;

export type SigningScheme = 'notary.x509' | 'notary.x509.signingAuthority';

export const SIGNING_SCHEMES: readonly SigningScheme[] = ['notary.x509', 'notary.x509.signingAuthority'];

export function isSigningScheme(value: unknown): value is SigningScheme {
  return value === 'notary.x509' || value === 'notary.x509.signingAuthority';
}

/** The six signature algorithms the specification allows, by their JWS names. */
export type NotationAlgorithm = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

export interface AlgorithmSpec {
  readonly name: NotationAlgorithm;
  readonly cose: number;
  readonly hash: 'sha256' | 'sha384' | 'sha512';
  readonly keyType: 'rsa' | 'ec';
  /** RSA modulus bits or EC field bits the algorithm is paired with (the spec's Algorithm Selection). */
  readonly keyBits: number;
}

/**
 * The specification's one-to-one pairing of key and algorithm: the signing certificate's key decides
 * the algorithm, and the envelope's `alg` must name exactly that one (algorithm substitution).
 */
export const ALGORITHMS: readonly AlgorithmSpec[] = [
  { name: 'PS256', cose: -37, hash: 'sha256', keyType: 'rsa', keyBits: 2048 },
  { name: 'PS384', cose: -38, hash: 'sha384', keyType: 'rsa', keyBits: 3072 },
  { name: 'PS512', cose: -39, hash: 'sha512', keyType: 'rsa', keyBits: 4096 },
  { name: 'ES256', cose: -7, hash: 'sha256', keyType: 'ec', keyBits: 256 },
  { name: 'ES384', cose: -35, hash: 'sha384', keyType: 'ec', keyBits: 384 },
  { name: 'ES512', cose: -36, hash: 'sha512', keyType: 'ec', keyBits: 521 },
];

export function algorithmByName(name: unknown): AlgorithmSpec | undefined {
  return ALGORITHMS.find((spec) => spec.name === name);
}

export function algorithmByCoseLabel(label: unknown): AlgorithmSpec | undefined {
  return ALGORITHMS.find((spec) => spec.cose === label);
}

/**
 * Upper bounds on everything an envelope's author controls. Real envelopes are a few KiB (a chain of
 * two or three certificates and perhaps a timestamp token); these leave a wide margin and still bound
 * memory and CPU per signature.
 */
export interface NotationLimits {
  /** Bytes of one envelope blob. */
  readonly maxEnvelopeBytes: number;
  /** Bytes of one signature manifest. */
  readonly maxManifestBytes: number;
  /** Bytes of the signed payload. */
  readonly maxPayloadBytes: number;
  /** Certificates in the envelope's chain. */
  readonly maxChainLength: number;
  /** Bytes of one certificate. */
  readonly maxCertificateBytes: number;
  /** Bytes of the timestamp token. */
  readonly maxTimestampTokenBytes: number;
  /** Entries in the protected header (and in `crit`), and in the unprotected header. */
  readonly maxHeaders: number;
}

export const DEFAULT_NOTATION_LIMITS: NotationLimits = {
  maxEnvelopeBytes: 1024 * 1024,
  maxManifestBytes: 64 * 1024,
  maxPayloadBytes: 64 * 1024,
  maxChainLength: 10,
  maxCertificateBytes: 64 * 1024,
  maxTimestampTokenBytes: 256 * 1024,
  maxHeaders: 64,
};

/** What vouch writes as the signing agent (the spec's `{id}/{version}` suggestion). */
export const VOUCH_SIGNING_AGENT = 'vouch/0.1.0';
