/**
 * Fingerprints for cache keys: a sha256 over the RFC 8785 canonical JSON of compiled (plain-data)
 * policies and trust material, so that the same policies give the same key in every process and any
 * change to what a verdict depends on gives a new one.
 */
import { createHash } from 'node:crypto';
import * as canonicalizeModule from 'canonicalize';
import type { CompiledAuthority, CompiledPolicy, CompiledTrustRoot, PolicySet } from './model.js';

/** Bumped when the meaning of compiled policies changes, so old cached verdicts stop matching. */
export const FINGERPRINT_VERSION = 'vouch-policy/1';

// The package is CommonJS (`module.exports = serialize`) but its types declare an ES default export,
// so TypeScript and Node disagree on where the function is; take it from wherever it is.
const exported: unknown = canonicalizeModule.default;
const canonicalize = (
  typeof exported === 'function' ? exported : (exported as { default: unknown }).default
) as (input: unknown) => string | undefined;

/** sha256 hex of the canonical JSON of a plain-data value. */
export function canonicalHash(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('value has no canonical JSON form');
  return createHash('sha256').update(text).digest('hex');
}

/** The TrustRoots an authority names, each with the field that names it (static authorities name none). */
export function trustRootRefs(authority: CompiledAuthority): Array<[field: string, name: string]> {
  if (authority.type === 'static') return [];
  const refs: Array<[string, string | undefined]> = [
    ['keyless.trustRootRef', authority.type === 'keyless' ? authority.trustRootRef : undefined],
    ['ctlog.trustRootRef', authority.tlog?.trustRootRef],
    ['rfc3161timestamp.trustRootRef', authority.timestamp?.trustRootRef],
  ];
  return refs.filter((ref): ref is [string, string] => ref[1] !== undefined);
}

/** Names of the TrustRoots the policies refer to (keyless, ctlog and rfc3161timestamp trustRootRef). */
export function referencedTrustRoots(policies: readonly CompiledPolicy[]): string[] {
  const names = new Set<string>();
  for (const policy of policies)
    for (const authority of policy.authorities)
      for (const [, name] of trustRootRefs(authority)) if (name) names.add(name);
  return [...names].sort();
}

/**
 * The fingerprint of a verdict's policy material: the no-match policy, the given (matching) policies
 * and the TrustRoots they refer to, plus any `extra` material the caller's verdict depends on (for
 * instance a hash of the embedded Sigstore trusted root). Order of `policies` does not matter.
 */
export function policyFingerprint(
  set: PolicySet,
  policies: readonly CompiledPolicy[],
  extra: readonly string[] = [],
): string {
  const trustRoots = referencedTrustRoots(policies).map((name) => {
    const root: CompiledTrustRoot | undefined = set.trustRoots[name];
    return root ? root.fingerprint : `missing:${name}`;
  });
  return canonicalHash({
    version: FINGERPRINT_VERSION,
    noMatchPolicy: set.noMatchPolicy,
    policies: policies.map((policy) => policy.fingerprint).sort(),
    trustRoots: trustRoots.sort(),
    extra: [...extra].sort(),
  });
}
