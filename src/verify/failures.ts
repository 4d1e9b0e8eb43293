import { describeError, VouchError } from '../errors.js';
import { RegistryError } from '../registry/index.js';

/**
 * Whether an error says the registry failed to answer (a registry failure: 401, 403, 429, 5xx,
 * network, timeout) rather than something about the content it served (missing, too large, not
 * matching its digest, malformed). Only the first kind makes an outcome a registry failure instead of
 * "not signed"; content problems are reasons for rejecting that one signature.
 */
export function registryFailureKind(error: unknown): 'registry' | 'timeout' | undefined {
  if (!(error instanceof RegistryError)) return undefined;
  switch (error.code) {
    case 'TIMEOUT':
      return 'timeout';
    case 'UNAUTHORIZED':
    case 'DENIED':
    case 'TOO_MANY_REQUESTS':
    case 'SERVER_ERROR':
    case 'NETWORK':
    case 'INVALID_RESPONSE':
    case 'TOO_MANY_REDIRECTS':
    case 'CREDENTIALS':
    case 'CONFIG':
    case 'UNSUPPORTED':
      return 'registry';
    default:
      return undefined;
  }
}

/**
 * The message of an error about content (malformed, missing, too large, not matching its digest).
 * Anything that is not one of vouch's own errors is a bug and is rethrown rather than dressed up as a
 * reason; the caller then denies.
 */
export function contentProblem(error: unknown): string {
  if (error instanceof VouchError) return describeError(error);
  throw error;
}
