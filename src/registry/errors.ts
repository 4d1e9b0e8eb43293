import { VouchError } from '../errors.js';

export type RegistryErrorCode =
  | 'MANIFEST_UNKNOWN'
  | 'BLOB_UNKNOWN'
  | 'NAME_UNKNOWN'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'TOO_MANY_REQUESTS'
  | 'DIGEST_MISMATCH'
  | 'TOO_LARGE'
  | 'TIMEOUT'
  | 'TOO_MANY_REDIRECTS'
  | 'MANIFEST_INVALID'
  | 'UNSUPPORTED'
  | 'SERVER_ERROR'
  | 'NETWORK'
  | 'INVALID_RESPONSE'
  | 'CREDENTIALS'
  | 'CONFIG';

/** A registry failure: what went wrong (stable `code`), where (`registry`), and the registry's own words. */
export class RegistryError extends VouchError<RegistryErrorCode> {
  readonly layer = 'registry';
  readonly registry: string;
  readonly status?: number;
  /** The `message` of the registry's error body, when it sent one. */
  readonly registryMessage?: string;

  constructor(
    code: RegistryErrorCode,
    message: string,
    details: { registry: string; status?: number; registryMessage?: string; cause?: unknown },
  ) {
    super(code, message, { cause: details.cause });
    this.registry = details.registry;
    if (details.status !== undefined) this.status = details.status;
    if (details.registryMessage !== undefined) this.registryMessage = details.registryMessage;
  }

  /** Whether the thing asked for does not exist (as opposed to the registry failing to answer). */
  get isNotFound(): boolean {
    return (
      this.code === 'MANIFEST_UNKNOWN' ||
      this.code === 'BLOB_UNKNOWN' ||
      this.code === 'NAME_UNKNOWN' ||
      this.code === 'NOT_FOUND'
    );
  }
}

export function isRegistryError(value: unknown, code?: RegistryErrorCode): value is RegistryError {
  return value instanceof RegistryError && (code === undefined || value.code === code);
}

export function isNotFound(value: unknown): boolean {
  return value instanceof RegistryError && value.isNotFound;
}

/**
 * Whether an error says the registry failed (401, 403, 429, 5xx, network, timeout — or served content
 * that is not what was asked for: not matching its digest, over a size or count limit) rather than
 * something about the signatures it holds (missing, malformed). Only the first kind makes an outcome a
 * registry failure instead of "not signed"; a registry failure denies in every enforcement mode,
 * while "not signed" may be warned away. Content problems are reasons for rejecting that one signature.
 * Classified here, where the codes are made, so that every caller draws the line in the same place.
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
