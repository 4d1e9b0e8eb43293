/**
 * Which policies apply to an image. One rule everywhere: a policy's globs are tried against the
 * canonical name with its tag (`registry/repository:tag`) and with its digest
 * (`registry/repository@sha256:…`), whichever the image has, and the policy applies if any glob matches
 * either. policy-controller's webhook matches only the digest form while its tester matches only the
 * tag form, so one policy gives two answers; vouch's CLI, build gate, promotion gate and webhook all
 * use this function and give one.
 */
import {
  canonicalLocation,
  formatReference,
  type ImageReference,
  repositoryName,
} from '../reference/index.js';
import { globMatches, globMayMatchDigestOf } from './glob.js';
import type { CompiledPolicy, LabelSelector, MatchRule, PolicySet } from './model.js';
import type { ResourceContext } from './verdict.js';
import { WORKLOAD_KINDS } from './workload-kinds.js';

/** The workload kinds by kind, with the group and resource name `match` uses for them. */
export const RESOURCE_OF_KIND: Readonly<Record<string, { group: string; resource: string }>> =
  Object.fromEntries(WORKLOAD_KINDS.map(({ kind, group, resource }) => [kind, { group, resource }]));

export interface MatchInput {
  /** The image, parsed (`parseReference`): tag, digest, or both. */
  image: ImageReference;
  /** The Kubernetes object the image came from, for policies with `match` rules. */
  resource?: ResourceContext;
}

/**
 * The canonical names a glob is tried against: the tag form and the digest form, whichever exist, of
 * the name as parsed and — when the host was spelt another way (`GHCR.IO`, `ghcr.io:443`) — of the
 * registry it denotes, so that a glob for `ghcr.io/**` covers every spelling of that registry.
 */
export function imageNames(image: ImageReference): string[] {
  const names: string[] = [];
  for (const base of locations(image)) {
    if (image.tag !== undefined) names.push(formatReference({ ...base, tag: image.tag }));
    if (image.digest !== undefined) names.push(formatReference({ ...base, digest: image.digest }));
  }
  return names;
}

/** `registry/repository` as parsed, and as `canonicalLocation` spells it when that differs. */
function locations(
  image: Pick<ImageReference, 'registry' | 'repository'>,
): Pick<ImageReference, 'registry' | 'repository'>[] {
  const parsed = { registry: image.registry, repository: image.repository };
  const canonical = canonicalLocation(parsed);
  return canonical.registry === parsed.registry && canonical.repository === parsed.repository
    ? [parsed]
    : [parsed, canonical];
}

export function policyMatchesImage(policy: CompiledPolicy, image: ImageReference): boolean {
  return matchesAnyName(policy, imageNames(image));
}

function matchesAnyName(policy: CompiledPolicy, names: readonly string[]): boolean {
  return policy.images.some((glob) => names.some((name) => globMatches(glob.pattern, name)));
}

/** A resource as `match` sees it: group, version, plural resource name and labels. */
export interface ResourceIdentity {
  group: string;
  version: string;
  resource: string;
  labels: Record<string, string>;
}

/**
 * The identity of a Kubernetes object, or undefined when its kind is not one that carries images.
 * Group and version come from the object's own apiVersion. (policy-controller derives them from a
 * fixed table in which ReplicaSet is misspelt and DaemonSet has no group, so `match` rules for those
 * two kinds never apply there.)
 */
export function resourceIdentity(resource: ResourceContext | undefined): ResourceIdentity | undefined {
  if (resource?.kind === undefined) return undefined;
  const known = RESOURCE_OF_KIND[resource.kind];
  if (known === undefined) return undefined;
  const apiVersion = resource.apiVersion ?? (known.group === '' ? 'v1' : `${known.group}/v1`);
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const rawLabels = (resource.metadata as { labels?: unknown } | undefined)?.labels;
  const labels: Record<string, string> = {};
  if (typeof rawLabels === 'object' && rawLabels !== null)
    for (const [key, value] of Object.entries(rawLabels)) if (typeof value === 'string') labels[key] = value;
  return { group, version, resource: known.resource, labels };
}

export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) if (labels[key] !== value) return false;
  for (const requirement of selector.matchExpressions) {
    const present = Object.hasOwn(labels, requirement.key);
    const value = labels[requirement.key];
    switch (requirement.operator) {
      case 'In':
        if (!present || !requirement.values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (present && requirement.values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
    }
  }
  return true;
}

function ruleMatches(rule: MatchRule, identity: ResourceIdentity): boolean {
  if (rule.resource !== identity.resource || rule.group !== identity.group) return false;
  if (rule.version !== '*' && rule.version !== identity.version) return false;
  return rule.selector === undefined || selectorMatches(rule.selector, identity.labels);
}

/** A policy without `match` applies to every resource (and to images checked outside Kubernetes). */
export function policyMatchesResource(
  policy: CompiledPolicy,
  resource: ResourceContext | undefined,
): boolean {
  if (policy.match.length === 0) return true;
  const identity = resourceIdentity(resource);
  return identity !== undefined && policy.match.some((rule) => ruleMatches(rule, identity));
}

/** Every policy that applies to the image (and resource), in name order. */
export function matchPolicies(set: PolicySet, input: MatchInput): CompiledPolicy[] {
  const names = imageNames(input.image);
  return set.policies.filter(
    (policy) => policyMatchesResource(policy, input.resource) && matchesAnyName(policy, names),
  );
}

/**
 * For an image known only by tag: whether learning its digest could make more policies apply (a glob
 * that matches some digest form of the repository, in a policy that does not already apply). When
 * false, the policies matched on the tag are final, so a caller may decide without resolving the tag
 * — for instance, an image covered only by `static` policies needs no registry request at all.
 */
export function digestMayAddPolicies(set: PolicySet, input: MatchInput): boolean {
  if (input.image.digest !== undefined) return false;
  const matched = new Set(matchPolicies(set, input));
  const repositories = locations(input.image).map(repositoryName);
  return set.policies.some(
    (policy) =>
      !matched.has(policy) &&
      policyMatchesResource(policy, input.resource) &&
      policy.images.some((glob) =>
        repositories.some((repository) => globMayMatchDigestOf(glob.pattern, repository)),
      ),
  );
}
