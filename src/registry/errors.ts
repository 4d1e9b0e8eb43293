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
