import type { KeylessAuthority } from './authority.js';
import type { AuthorityOutcome } from './outcome.js';

/** Placeholder until keyless authorities are dispatched to src/verify/keyless: denies, never passes. */
export function keylessNotWired(authority: KeylessAuthority): AuthorityOutcome & { statements?: never } {
  return {
    name: authority.name,
    type: 'keyless',
    passed: false,
    reason: 'keyless verification of registry images is not wired in yet',
    signatures: [],
    failure: 'invalid',
  };
}
