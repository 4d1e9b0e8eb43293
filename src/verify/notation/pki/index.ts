/**
 * The Notary Project's PKI rules, for the Notation verifier (src/verify/notation) to call: plain data
 * in (DER bytes or @peculiar/x509 certificates), plain results out — `{ ok: true, … }` or
 * `{ ok: false, code, reason }` with a stable `PkiFailureCode` and a sentence for people. Nothing
 * here throws on bad input; it fails closed with a reason.
 *
 *   const chain = validateCertificateChain(envelopeChain, { purpose: 'codeSigning' });
 *   const anchor = findTrustAnchor(envelopeChain, trustStores, signingScheme);
 *   const checker = new RevocationChecker();                      // one per process: it caches
 *   const time = await verifyAuthenticTimestamp({ scheme, chain, signature, timestampToken,
 *     authenticSigningTime, trustStores, verifyTimestamp,
 *     checkTsaRevocation: (tsaChain) => checker.check(tsaChain, { purpose: 'timestamping', deadline }) });
 *   const revocation = await checker.check(envelopeChain, { purpose: 'codeSigning', deadline, signingTime });
 *   // revocation.status: 'ok' | 'revoked' | 'unknown', revocation.reason, revocation.certificates
 */
export {
  findTrustAnchor,
  type SigningScheme,
  type TrustAnchor,
  type TrustStore,
  type TrustStoreType,
  trustStoreCertificateProblem,
  trustStoreTypeFor,
} from './anchor.js';
export {
  type AuthenticTimestampOptions,
  type AuthenticTimestampResult,
  type TimestampRevocationAnswer,
  type VerifyTimestampSetting,
  verifyAuthenticTimestamp,
} from './authentic-time.js';
export type { CertificateInput, KeySpec, NotarySigningAlgorithm } from './certificates.js';
export {
  type ChainOptions,
  type ChainPurpose,
  MAX_CHAIN_LENGTH,
  type ValidChain,
  validateCertificateChain,
} from './chain.js';
export type { PkiFailure, PkiFailureCode } from './result.js';
export {
  type CertificateRevocation,
  type CertificateRevocationStatus,
  type HttpFetcherOptions,
  httpRevocationFetcher,
  MAX_LOCATIONS,
  RevocationChecker,
  type RevocationCheckerOptions,
  type RevocationCheckOptions,
  type RevocationFetcher,
  type RevocationMethod,
  type RevocationOutcome,
  type RevocationRequest,
  type RevocationResponse,
  type RevocationStatus,
  type ServerAnswer,
} from './revocation/index.js';
export {
  MAX_TIMESTAMP_TOKEN_BYTES,
  type TimestampOptions,
  type VerifiedTimestamp,
  verifyTimestampToken,
} from './timestamp-token.js';
export { checkChainValidityAt } from './validity.js';
