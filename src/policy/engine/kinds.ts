/**
 * How the engine makes each verifying authority kind (`verify/kinds.ts`) ready to check with, from
 * its compiled ClusterImagePolicy form. What a verdict's fingerprint needs (whether the embedded
 * public-good root is used) is known from the compiled form alone; building (keys parsed, trusted
 * roots resolved) is loaded with the kind's module when a policy of that kind first matches an image.
 * A new kind adds its entry; the compiler asks for it.
 */
import type { VerifyingAuthorities } from '../../verify/authority.js';
import type { VerifyingKindName } from '../../verify/kinds.js';
import type { CompiledAuthorities } from '../model.js';
import type { TrustAccess } from './trust-access.js';

export interface KindPreparation<K extends VerifyingKindName> {
  /** Whether its trust material is the embedded public-good root (part of the verdict's fingerprint). */
  usesEmbeddedRoot(spec: CompiledAuthorities[K]): boolean;
  /** What its outcome says when it requires no transparency log (said, never skipped silently). */
  withoutTlog?(spec: CompiledAuthorities[K]): string | undefined;
  /** The verify-layer authority; throws a VouchError saying why it cannot be used. */
  build(spec: CompiledAuthorities[K], trust: TrustAccess): Promise<VerifyingAuthorities[K]>;
}

/** What a key authority without `ctlog` means, said in its outcome rather than skipped silently. */
export const KEY_WITHOUT_TLOG =
  'no transparency log was checked: the key alone vouches (the policy has no ctlog; add ctlog to require a Rekor entry)';

export const KIND_PREPARATION: { readonly [K in VerifyingKindName]: KindPreparation<K> } = {
  key: {
    usesEmbeddedRoot: (spec) => spec.tlog !== undefined && spec.tlog.trustRootRef === undefined,
    withoutTlog: (spec) => (spec.tlog === undefined ? (spec.withoutTlog ?? KEY_WITHOUT_TLOG) : undefined),
    build: async (spec, trust) => (await import('./kinds/key.js')).buildKey(spec, trust),
  },
  keyless: {
    usesEmbeddedRoot: (spec) => spec.trustRootRef === undefined,
    build: async (spec, trust) => (await import('./kinds/keyless.js')).buildKeyless(spec, trust),
  },
};
