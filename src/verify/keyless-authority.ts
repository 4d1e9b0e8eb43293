import type { KeylessAuthority } from './authority.js';
import { compileKeylessPolicy } from './keyless/policy.js';

/**
 * A KeylessAuthority with defaults filled in. The policy is checked now (identities present, regular
 * expressions valid RE2): a VerifyError POLICY_INVALID here, rather than a denial on every image later.
 * (In its own module so that key-only callers do not load the RE2 engine.)
 */
export function keylessAuthority(
  input: Omit<KeylessAuthority, 'type' | 'name'> & { name?: string },
): KeylessAuthority {
  compileKeylessPolicy(input.policy);
  return { type: 'keyless', name: input.name ?? 'keyless', ...input };
}
