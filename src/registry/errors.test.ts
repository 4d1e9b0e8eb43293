import { describe, expect, it } from 'vitest';
import { RegistryError, type RegistryErrorCode, registryFailureKind } from './errors.js';

const error = (code: RegistryErrorCode) => new RegistryError(code, code, { registry: 'r.example' });

describe('registryFailureKind', () => {
  it('calls a registry that did not answer a registry failure, and a deadline a timeout', () => {
    for (const code of ['UNAUTHORIZED', 'DENIED', 'TOO_MANY_REQUESTS', 'SERVER_ERROR', 'NETWORK'] as const)
      expect(registryFailureKind(error(code)), code).toBe('registry');
    expect(registryFailureKind(error('TIMEOUT'))).toBe('timeout');
    // Integrity faults: what was served is not what was asked for.
    for (const code of ['DIGEST_MISMATCH', 'TOO_LARGE'] as const)
      expect(registryFailureKind(error(code)), code).toBe('registry');
  });

  it('leaves missing content to the caller: it rejects one artefact, it does not fail the registry', () => {
    for (const code of ['MANIFEST_UNKNOWN', 'BLOB_UNKNOWN', 'NAME_UNKNOWN'] as const)
      expect(registryFailureKind(error(code)), code).toBeUndefined();
    expect(registryFailureKind(new Error('not a registry error'))).toBeUndefined();
  });
});
