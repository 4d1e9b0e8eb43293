import type { KeylessAuthority } from './authority.js';
import { compileKeylessPolicy } from './keyless/policy.js';

/**
 * A KeylessAuthority with defaults filled in. The policy is checked now (identities present, regular
 * expressions valid RE2): a VerifyError POLICY_INVALID here, rather than a denial on every image later.
 * What the policy turns off (`--insecure-ignore-sct`, `--insecure-ignore-tlog`) becomes the authority's
 * notes, warned of in every outcome. (In its own module so that key-only callers do not load RE2.)
 */
export function keylessAuthority(
  input: Omit<KeylessAuthority, 'type' | 'name' | 'notes'> & { name?: string },
): KeylessAuthority {
  const compiled = compileKeylessPolicy(input.policy);
  const notes = { warnings: [...compiled.warnings], tlogIgnored: compiled.insecureIgnoreTlog };
  return {
    type: 'keyless',
    name: input.name ?? 'keyless',
    ...input,
    ...((notes.warnings.length > 0 || notes.tlogIgnored) && { notes }),
  };
}
