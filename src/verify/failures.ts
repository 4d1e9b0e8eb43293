import { describeError, VouchError } from '../errors.js';
import { RegistryError } from '../registry/index.js';

/**
 * Whether an error says the registry failed (401, 403, 429, 5xx, network, timeout — or served content
 * that is not what was asked for: not matching its digest, over a size or count limit) rather than
 * something about the signatures it holds (missing, malformed). Only the first kind makes an outcome a
 * registry failure instead of "not signed"; a registry failure denies in every enforcement mode,
 * while "not signed" may be warned away. Content problems are reasons for rejecting that one signature.
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
    // Integrity faults: what was served is not what was asked for, or could not be read whole.
    case 'DIGEST_MISMATCH':
    case 'TOO_LARGE':
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
