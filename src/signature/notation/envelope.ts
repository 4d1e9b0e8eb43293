import { SignatureError } from '../errors.js';
import {
  type AlgorithmSpec,
  type NotationEnvelopeMediaType,
  NotationHeader,
  type NotationLimits,
  type SigningScheme,
} from './constants.js';
import { quoted } from './json.js';

/** A signed attribute the specification does not define (or a plugin's), with its criticality. */
export interface ExtendedAttribute {
  /** JWS header name, or COSE label (text or integer). */
  readonly name: string | number;
  readonly value: unknown;
  readonly critical: boolean;
}

/**
 * One Notary Project signature envelope, JWS or COSE, as plain data: what was signed, the signed and
 * unsigned attributes, and the exact bytes the signature covers. Parsing checks shape and the
 * specification's header rules; it does not check the signature (see `verifyEnvelopeIntegrity`) nor
 * trust anything it holds.
 */
export interface NotationEnvelope {
  readonly format: 'jws' | 'cose';
  readonly mediaType: NotationEnvelopeMediaType;
  /** The payload bytes exactly as signed (parse with `parseNotationPayload` after the signature checks). */
  readonly payload: Buffer;
  /** The signed content type (`cty`, COSE label 3). */
  readonly payloadContentType: string;
  /** The algorithm the envelope claims (`alg`); the signing certificate's key must call for the same. */
  readonly algorithm: AlgorithmSpec;
  readonly signingScheme: SigningScheme;
  /** `notary.x509`: the signer's own clock, not authenticated. */
  readonly signingTime?: Date;
  /** `notary.x509.signingAuthority`: the signing authority's authenticated time. */
  readonly authenticSigningTime?: Date;
  /** The signer's "best by use" time. */
  readonly expiry?: Date;
  /** The critical header names or labels, as listed. */
  readonly criticalHeaders: readonly (string | number)[];
  readonly extendedAttributes: readonly ExtendedAttribute[];
  /** DER certificates, signing certificate first (unsigned: trusted only once validated). */
  readonly certificateChain: readonly Buffer[];
  /** The primitive signature. */
  readonly signature: Buffer;
  /** RFC 3161 TimeStampToken over the signature (unsigned countersignature). */
  readonly timestampToken?: Buffer;
  /** Unsigned and informational only; never a reason to fail. */
  readonly signingAgent?: string;
  /** The bytes the signature covers (JWS signing input, or COSE Sig_structure "Signature1"). */
  readonly signingInput: Buffer;
}

/** The signed attributes as one envelope format yields them, before the rules common to both. */
export interface SignedAttributeValues {
  readonly algorithm: AlgorithmSpec;
  readonly contentType: string;
  readonly critical: readonly (string | number)[];
  readonly signingScheme: SigningScheme;
  readonly signingTime?: Date;
  readonly authenticSigningTime?: Date;
  readonly expiry?: Date;
  /** Every other protected header, by name or label. */
  readonly others: ReadonlyMap<string | number, unknown>;
}

export function invalidEnvelope(format: 'jws' | 'cose', message: string): SignatureError {
  return new SignatureError('INVALID_ENVELOPE', `${format === 'jws' ? 'JWS' : 'COSE'} envelope ${message}`);
}

/**
 * The signing-scheme rules of the specification, the same for JWS and COSE: each scheme has its own
 * time attribute and forbids the other; the scheme, an authentic signing time and an expiry must be
 * marked critical; every critical name must be present; expiry comes after the signing time. Returns
 * the extended attributes with their criticality.
 */
export function checkSignedAttributes(
  format: 'jws' | 'cose',
  values: SignedAttributeValues,
  limits: Pick<NotationLimits, 'maxHeaders'>,
): ExtendedAttribute[] {
  const invalid = (message: string) => invalidEnvelope(format, message);
  const { signingScheme, critical } = values;
  if (critical.length === 0) throw invalid('has an empty critical header list');
  if (critical.length > limits.maxHeaders)
    throw invalid(`lists ${critical.length} critical headers; the limit is ${limits.maxHeaders}`);
  if (new Set(critical).size !== critical.length) throw invalid('lists a critical header twice');
  if (signingScheme === 'notary.x509') {
    if (values.signingTime === undefined) throw invalid(`has no ${NotationHeader.SIGNING_TIME}`);
    if (values.authenticSigningTime !== undefined)
      throw invalid(`carries ${NotationHeader.AUTHENTIC_SIGNING_TIME}, which the notary.x509 scheme forbids`);
  } else {
    if (values.authenticSigningTime === undefined)
      throw invalid(
        `has no ${NotationHeader.AUTHENTIC_SIGNING_TIME}, which the signingAuthority scheme requires`,
      );
    if (values.signingTime !== undefined)
      throw invalid(`carries ${NotationHeader.SIGNING_TIME}, which the signingAuthority scheme forbids`);
  }
  const mustBeCritical: string[] = [NotationHeader.SIGNING_SCHEME];
  if (values.authenticSigningTime !== undefined) mustBeCritical.push(NotationHeader.AUTHENTIC_SIGNING_TIME);
  if (values.expiry !== undefined) mustBeCritical.push(NotationHeader.EXPIRY);
  for (const name of mustBeCritical)
    if (!critical.includes(name)) throw invalid(`does not mark ${name} critical`);
  const known = new Set<string | number>([
    NotationHeader.SIGNING_SCHEME,
    NotationHeader.SIGNING_TIME,
    NotationHeader.AUTHENTIC_SIGNING_TIME,
    NotationHeader.EXPIRY,
  ]);
  for (const name of critical) {
    const present = known.has(name)
      ? name === NotationHeader.SIGNING_SCHEME ||
        (name === NotationHeader.SIGNING_TIME && values.signingTime !== undefined) ||
        (name === NotationHeader.AUTHENTIC_SIGNING_TIME && values.authenticSigningTime !== undefined) ||
        (name === NotationHeader.EXPIRY && values.expiry !== undefined)
      : values.others.has(name);
    if (!present) throw invalid(`marks ${quoted(name)} critical but does not carry it`);
  }
  const signedAt = values.signingTime ?? values.authenticSigningTime;
  if (values.expiry !== undefined && signedAt !== undefined && values.expiry.getTime() <= signedAt.getTime())
    throw invalid('has an expiry that is not after its signing time');
  return [...values.others].map(([name, value]) => ({ name, value, critical: critical.includes(name) }));
}

/**
 * Why vouch must refuse an envelope's critical extended attributes, or undefined when there are none.
 * The specification requires an unknown critical attribute to fail verification; a critical
 * `io.cncf.notary.verificationPlugin` names a plugin that notation would run and vouch cannot (AWS
 * Signer's, for one), so it fails too, naming the plugin rather than passing without its checks.
 */
export function criticalAttributeProblem(
  envelope: Pick<NotationEnvelope, 'extendedAttributes'>,
): string | undefined {
  const critical = envelope.extendedAttributes.filter((attribute) => attribute.critical);
  const plugin = critical.find((attribute) => attribute.name === NotationHeader.VERIFICATION_PLUGIN);
  if (plugin !== undefined) {
    const minimum = critical.find(
      (attribute) => attribute.name === NotationHeader.VERIFICATION_PLUGIN_MIN_VERSION,
    );
    const version =
      typeof minimum?.value === 'string' ? ` (version ${quoted(minimum.value, 40)} or later)` : '';
    return `the signature requires the verification plugin ${quoted(plugin.value, 200)}${version}, which vouch cannot run; its checks cannot be skipped`;
  }
  const unknown = critical.map((attribute) => quoted(attribute.name, 80));
  if (unknown.length > 0)
    return `the signature marks ${unknown.length === 1 ? 'an unknown header' : 'unknown headers'} critical (${unknown.join(', ')}), which vouch does not understand`;
  return undefined;
}
