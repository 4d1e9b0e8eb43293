export {
  MAX_LOCATIONS,
  RevocationChecker,
  type RevocationCheckerOptions,
  type RevocationCheckOptions,
} from './checker.js';
export {
  type HttpFetcherOptions,
  httpRevocationFetcher,
  type RevocationFetcher,
  type RevocationRequest,
  type RevocationResponse,
} from './fetcher.js';
export type {
  CertificateRevocation,
  CertificateRevocationStatus,
  RevocationMethod,
  RevocationOutcome,
  RevocationStatus,
  ServerAnswer,
} from './outcome.js';
