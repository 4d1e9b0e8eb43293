import type { SigningScheme, TrustStore } from './anchor.js';
import { type CertificateInput, isFailure, parseCertificates } from './certificates.js';
import { failure, type PkiFailure } from './result.js';
import { type VerifiedTimestamp, verifyTimestampToken } from './timestamp-token.js';
import { chainHasExpired, checkChainValidityAt, iso, rangeWithinValidity } from './validity.js';

export type VerifyTimestampSetting = 'always' | 'afterCertExpiry';

/** What the TSA chain's revocation check answered (a RevocationChecker's outcome fits). */
export interface TimestampRevocationAnswer {
  status: 'ok' | 'revoked' | 'unknown';
  reason: string;
}

export interface AuthenticTimestampOptions {
  scheme: SigningScheme;
  /** The envelope's certificate chain, signing certificate first (validated beforehand). */
  chain: readonly CertificateInput[];
  /** notary.x509: the envelope's signature value (what a timestamp is over). */
  signature?: Uint8Array;
  /** notary.x509: the envelope's timestamp countersignature (RFC 3161 token), if it has one. */
  timestampToken?: Uint8Array;
  /** notary.x509.signingAuthority: the authentic signing time signed attribute. */
  authenticSigningTime?: Date;
  /** The statement's trust stores; only `tsa` ones are read here. */
  trustStores: readonly TrustStore[];
  /** The statement's `signatureVerification.verifyTimestamp` (default `always`). */
  verifyTimestamp?: VerifyTimestampSetting;
  /**
   * Checks the revocation of a verified timestamp's TSA chain (DER, TSA certificate first). The
   * specification enforces it whenever a timestamp is verified, so it is not optional.
   */
  checkTsaRevocation: (tsaChain: Uint8Array[]) => Promise<TimestampRevocationAnswer>;
  /** The time of verification (default now). */
  now?: Date;
}

export type AuthenticTimestampResult =
  /** A timestamp countersignature was verified and its time range lies inside the chain's validity. */
  | { ok: true; method: 'timestamp'; timestamp: VerifiedTimestamp }
  /** No timestamp was required (no tsa store, or afterCertExpiry with an unexpired chain): the chain is valid now. */
  | { ok: true; method: 'verificationTime'; at: Date; why: string }
  /** A signing-authority signature: its authentic signing time lies inside the chain's validity. */
  | { ok: true; method: 'authenticSigningTime'; at: Date }
  | PkiFailure;

/**
 * The "authentic timestamp" step of Notary Project verification (trust store and trust policy
 * specification, "Validate Authentic Timestamp" and "Timestamp Countersignature Verification
 * details"). Whether the trust policy level enforces or only logs a failure here is the caller's.
 *
 * - `notary.x509.signingAuthority`: the authentic signing time must be present and inside the
 *   validity of every certificate of the chain.
 * - `notary.x509`: a timestamp is verified when a `tsa` store is configured and `verifyTimestamp` is
 *   `always` (or `afterCertExpiry` and a chain certificate has expired by now): the token must be
 *   present, verify against the `tsa` roots, its TSA chain must not be revoked (nor its status
 *   unknown), and [genTime − accuracy, genTime + accuracy] must lie inside every chain
 *   certificate's validity (checked before revocation, which may need the network). Otherwise every chain certificate must be valid now.
 */
export async function verifyAuthenticTimestamp(
  options: AuthenticTimestampOptions,
): Promise<AuthenticTimestampResult> {
  const now = options.now ?? new Date();
  const chain = parseCertificates(options.chain);
  if (isFailure(chain)) return chain;
  if (chain.length === 0) return failure('CHAIN_LENGTH', 'the certificate chain is empty');

  if (options.scheme === 'notary.x509.signingAuthority') {
    const at = options.authenticSigningTime;
    if (!at || Number.isNaN(at.getTime()))
      return failure(
        'SIGNING_TIME',
        'a notary.x509.signingAuthority signature must carry an authentic signing time',
      );
    const valid = checkChainValidityAt(options.chain, at, 'SIGNING_TIME');
    if (!valid.ok)
      return failure(
        'SIGNING_TIME',
        `the authentic signing time ${iso(at)} is outside the chain's validity: ${valid.reason}`,
      );
    return { ok: true, method: 'authenticSigningTime', at };
  }

  const tsaRoots = options.trustStores
    .filter((store) => store.type === 'tsa')
    .flatMap((store) => store.certificates);
  const setting = options.verifyTimestamp ?? 'always';
  const skipBecause =
    tsaRoots.length === 0
      ? 'no tsa trust store is configured'
      : setting === 'afterCertExpiry' && !chainHasExpired(chain, now)
        ? 'verifyTimestamp is afterCertExpiry and no certificate of the chain has expired'
        : undefined;
  if (skipBecause) {
    const valid = checkChainValidityAt(options.chain, now);
    if (!valid.ok)
      return failure(valid.code, `${valid.reason}; ${skipBecause}, so the chain must be valid now`);
    return { ok: true, method: 'verificationTime', at: now, why: skipBecause };
  }

  if (!options.timestampToken || options.timestampToken.byteLength === 0)
    return failure(
      'TIMESTAMP_MISSING',
      'the signature carries no timestamp countersignature, and the trust policy requires one',
    );
  if (!options.signature)
    return failure('TIMESTAMP_MISMATCH', 'no signature value was given to check the timestamp against');
  const timestamp = verifyTimestampToken(options.timestampToken, { signature: options.signature, tsaRoots });
  if (isFailure(timestamp)) return timestamp;

  // The range first: it needs no network, and a timestamp outside the validity fails anyway.
  const outside = rangeWithinValidity(chain, timestamp.earliest, timestamp.latest);
  if (outside) return outside;

  const revocation = await options.checkTsaRevocation(timestamp.tsaChainDer);
  if (revocation.status === 'revoked')
    return failure('REVOKED', `the timestamp's TSA chain is revoked: ${revocation.reason}`);
  if (revocation.status !== 'ok')
    return failure(
      'REVOCATION_UNKNOWN',
      `the revocation status of the timestamp's TSA chain is unknown: ${revocation.reason}`,
    );
  return { ok: true, method: 'timestamp', timestamp };
}
