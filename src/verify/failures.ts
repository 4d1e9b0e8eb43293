import { describeError, VouchError } from '../errors.js';

/**
 * The message of an error about content (malformed, missing, too large, not matching its digest).
 * Anything that is not one of vouch's own errors is a bug and is rethrown rather than dressed up as a
 * reason; the caller then denies. (Whether an error is a registry failure instead is the registry
 * layer's call: `registryFailureKind`.)
 */
export function contentProblem(error: unknown): string {
  if (error instanceof VouchError) return describeError(error);
  throw error;
}
