/**
 * Building blocks of the documents the importers write: ClusterImagePolicies, their authorities, the
 * CEL that counts passing authorities, and the verification config.
 */
import type { NoMatchPolicy, PolicyMode } from '../model.js';

export const CIP_API_VERSION = 'policy.sigstore.dev/v1beta1';

/** An authority as written in `spec.authorities[]` (its `name` included). */
export type AuthorityBody = Record<string, unknown> & { name: string };

export interface PolicySpec {
  globs: string[];
  authorities: AuthorityBody[];
  mode?: PolicyMode;
  /** `spec.match` entries (resource kinds). */
  match?: Record<string, unknown>[];
  /** A CEL condition over `authorityMatches` (`spec.policy`). */
  condition?: string;
}

export function clusterImagePolicy(name: string, spec: PolicySpec): Record<string, unknown> {
  return {
    apiVersion: CIP_API_VERSION,
    kind: 'ClusterImagePolicy',
    metadata: { name },
    spec: {
      images: spec.globs.map((glob) => ({ glob })),
      authorities: spec.authorities,
      ...(spec.mode === 'warn' && { mode: 'warn' }),
      ...(spec.match !== undefined && spec.match.length > 0 && { match: spec.match }),
      ...(spec.condition !== undefined && { policy: { type: 'cel', data: spec.condition } }),
    },
  };
}

/** A verification config document: only the no-match policy. */
export function verificationConfig(noMatch: NoMatchPolicy): Record<string, unknown> {
  return { 'no-match-policy': noMatch, policies: [] };
}

/**
 * A count requirement over authorities: a leaf is an authority name (it passed when it is in
 * `authorityMatches`), a group passes when at least `count` of its members pass.
 */
export type CountTree = string | { count: number; members: CountTree[] };

function quote(name: string): string {
  return `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function passes(tree: CountTree): string {
  if (typeof tree === 'string') return `(${quote(tree)} in authorityMatches)`;
  if (tree.count === 1 && tree.members.length === 1) return passes(tree.members[0] as CountTree);
  return `[${tree.members.map(passes).join(', ')}].filter(passed, passed).size() >= ${tree.count}`;
}

/**
 * The `spec.policy` CEL for a count requirement over the policy's authorities, or undefined when the
 * policy's own semantics already say it (any one authority passing). Only authorities that passed are
 * in `authorityMatches`.
 */
export function countCondition(tree: CountTree): string | undefined {
  if (typeof tree === 'string') return undefined;
  const flat = tree.members.every((member) => typeof member === 'string');
  if (flat && tree.count <= 1) return undefined;
  if (flat) return `size(authorityMatches) >= ${tree.count}`;
  return passes(tree);
}

/** The names of a count tree's leaves, in order. */
export function leaves(tree: CountTree): string[] {
  return typeof tree === 'string' ? [tree] : tree.members.flatMap(leaves);
}
