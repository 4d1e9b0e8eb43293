import type { PolicySet } from '../model.js';
import type { TrustResolver } from './trust.js';

/**
 * The trust material of a policy set, loaded when an authority first needs it: a policy set of keys
 * without `ctlog` never loads the Sigstore trust machinery at all.
 */
export type TrustAccess = () => Promise<TrustResolver>;

export function trustAccess(set: PolicySet): TrustAccess {
  let resolver: Promise<TrustResolver> | undefined;
  return () => {
    resolver ??= import('./trust.js').then(({ TrustResolver }) => new TrustResolver(set));
    return resolver;
  };
}
