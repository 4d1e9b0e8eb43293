/**
 * A Kyverno rule's `match` / `exclude` as ClusterImagePolicy `match` entries and webhook flags.
 *
 * Kyverno applies a rule that matches only `Pod` to every pod controller too (autogen: DaemonSet,
 * Deployment, Job, StatefulSet, ReplicaSet, ReplicationController, CronJob) unless the policy's
 * `pod-policies.kyverno.io/autogen-controllers` annotation says otherwise or the rule names resources
 * or selects them by labels. A ClusterImagePolicy without `match` applies to every kind vouch checks.
 */
import { RESOURCE_OF_KIND } from '../../match.js';
import type { Scope } from '../report.js';
import type { MatchResources, ResourceDescription, ResourceFilter } from './schema.js';

const AUTOGEN_ANNOTATION = 'pod-policies.kyverno.io/autogen-controllers';
const POD_CONTROLLERS = [
  'DaemonSet',
  'Deployment',
  'Job',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
  'CronJob',
];
/** Namespaces vouch's webhook never checks unless told otherwise (`--exclude-namespaces` default). */
const DEFAULT_EXCLUDED = new Set(['kube-system']);

export interface MatchTranslation {
  /** `spec.match` entries; empty: every kind. */
  match: Record<string, unknown>[];
  /** False when none of the rule's kinds is one vouch checks: the rule makes no policy. */
  applies: boolean;
}

interface Filter {
  resources: ResourceDescription;
  path: string;
  filter: ResourceFilter;
}

function filters(match: MatchResources, prefix: string): Filter[] {
  const out: Filter[] = [];
  for (const [i, filter] of (match.any ?? []).entries())
    out.push({ resources: filter.resources ?? {}, path: `${prefix}.any[${i}]`, filter });
  for (const [i, filter] of (match.all ?? []).entries())
    out.push({ resources: filter.resources ?? {}, path: `${prefix}.all[${i}]`, filter });
  if (match.resources !== undefined || out.length === 0)
    out.push({
      resources: match.resources ?? {},
      path: prefix,
      filter: {
        ...(match.resources !== undefined && { resources: match.resources }),
        ...(match.subjects !== undefined && { subjects: match.subjects }),
        ...(match.roles !== undefined && { roles: match.roles }),
        ...(match.clusterRoles !== undefined && { clusterRoles: match.clusterRoles }),
      },
    });
  return out;
}

/** `Pod`, `v1/Pod`, `apps/v1/Deployment`, `*`: the kind, or undefined for a subresource. */
function kindOf(written: string): string | undefined {
  const parts = written.split('/');
  const kind = parts[parts.length - 1] as string;
  // `Pod/ephemeralcontainers` and `apps/v1/Deployment/scale` name subresources.
  if (parts.length >= 2 && /^[a-z]/.test(kind)) return undefined;
  return kind;
}

function matchEntry(kind: string, selector: ResourceDescription['selector']): Record<string, unknown> {
  const known = RESOURCE_OF_KIND[kind] as { group: string; resource: string };
  return {
    ...(known.group !== '' && { group: known.group }),
    version: '*',
    resource: known.resource,
    ...(selector !== undefined && { selector }),
  };
}

export function translateMatch(
  match: MatchResources,
  exclude: MatchResources | undefined,
  annotations: Readonly<Record<string, string>>,
  scope: Scope,
): MatchTranslation {
  const all = filters(match, 'match');
  const written = new Set<string>();
  const selectors = new Map<string, ResourceDescription['selector']>();
  let everything = false;
  let autogenPossible = true;
  for (const { resources, path, filter } of all) {
    for (const [i, kindText] of (resources.kinds ?? []).entries()) {
      const kind = kindOf(kindText);
      if (kindText === '*') everything = true;
      else if (kind === undefined || RESOURCE_OF_KIND[kind] === undefined) {
        scope.dropped(
          `${path}.resources.kinds[${i}]`,
          `${JSON.stringify(kindText)}: a ClusterImagePolicy match names only Pods and the pod controllers vouch knows (${Object.keys(RESOURCE_OF_KIND).join(', ')})`,
        );
      } else {
        written.add(kind);
        if (resources.selector !== undefined) selectors.set(kind, resources.selector);
      }
    }
    if (
      resources.name !== undefined ||
      (resources.names ?? []).length > 0 ||
      resources.annotations !== undefined
    )
      autogenPossible = false;
    if (resources.selector !== undefined) {
      autogenPossible = false;
      scope.translated(`${path}.resources.selector`, 'the resource labels → match selector');
    }
    for (const field of ['name', 'names', 'annotations'] as const)
      if (resources[field] !== undefined)
        scope.changed(
          `${path}.resources.${field}`,
          'vouch matches resources by kind and labels only: the policy applies to every resource of the kind',
        );
    if (resources.namespaces !== undefined)
      scope.changed(
        `${path}.resources.namespaces`,
        `the rule applies only in ${resources.namespaces.join(', ')}; a ClusterImagePolicy applies in every namespace (exclude others with vouch webhook --exclude-namespaces)`,
      );
    if (resources.namespaceSelector !== undefined)
      scope.changed(
        `${path}.resources.namespaceSelector`,
        'a ClusterImagePolicy applies in every namespace; put the selector on the webhook configurations (namespaceSelector in deploy/base/webhooks.yaml) to leave the other namespaces unchecked',
      );
    if (resources.operations !== undefined) {
      const others = resources.operations.filter(
        (operation) => operation !== 'CREATE' && operation !== 'UPDATE',
      );
      if (others.length === 0 && resources.operations.length === 2)
        scope.translated(`${path}.resources.operations`, 'vouch checks CREATE and UPDATE');
      else
        scope.changed(
          `${path}.resources.operations`,
          `vouch checks CREATE and UPDATE requests (a rule limited to ${resources.operations.join(', ')} is checked on both)`,
        );
    }
    for (const field of ['subjects', 'roles', 'clusterRoles'] as const)
      if (filter[field] !== undefined)
        scope.changed(
          `${path}.${field}`,
          'vouch checks every requester alike: the policy applies whoever makes the request',
        );
  }
  if (match.any !== undefined && match.resources !== undefined)
    scope.translated('match.resources', 'deprecated form of match.any, read as Kyverno reads it');

  if (exclude !== undefined) translateExclude(exclude, scope);

  if (everything) {
    scope.translated('match', 'every kind → no match (vouch checks Pods and every pod controller)');
    return { match: [], applies: true };
  }
  if (written.size === 0) {
    scope.dropped('match', 'none of the kinds is one vouch checks: this rule makes no policy');
    return { match: [], applies: false };
  }
  const autogenSetting = annotations[AUTOGEN_ANNOTATION];
  const onlyPods = written.size === 1 && written.has('Pod');
  if (onlyPods && autogenPossible && autogenSetting === undefined) {
    scope.translated(
      'match',
      'Pod, which Kyverno extends to every pod controller → no match (vouch checks Pods and every pod controller)',
    );
    return { match: [], applies: true };
  }
  const kinds = new Set(written);
  if (onlyPods && autogenPossible && autogenSetting !== undefined && autogenSetting !== 'none')
    for (const controller of autogenSetting.split(',').map((kind) => kind.trim()))
      if (POD_CONTROLLERS.includes(controller) && RESOURCE_OF_KIND[controller] !== undefined)
        kinds.add(controller);
  const list = [...kinds].sort();
  scope.translated(
    'match',
    `${list.join(', ')}${autogenSetting !== undefined ? ` (autogen ${JSON.stringify(autogenSetting)})` : ''} → match on ${list.map((kind) => RESOURCE_OF_KIND[kind]?.resource).join(', ')} (images of other kinds are not covered by this policy)`,
  );
  return { match: list.map((kind) => matchEntry(kind, selectors.get(kind))), applies: true };
}

function translateExclude(exclude: MatchResources, scope: Scope): void {
  for (const { resources, path, filter } of filters(exclude, 'exclude')) {
    const namespaces = resources.namespaces ?? [];
    const others = Object.keys(resources).filter((field) => field !== 'namespaces');
    const byWho = (['subjects', 'roles', 'clusterRoles'] as const).filter(
      (field) => filter[field] !== undefined,
    );
    if (namespaces.length > 0 && others.length === 0 && byWho.length === 0) {
      if (namespaces.every((namespace) => DEFAULT_EXCLUDED.has(namespace)))
        scope.translated(`${path}.resources.namespaces`, 'vouch webhook excludes kube-system by default');
      else
        scope.changed(
          `${path}.resources.namespaces`,
          `vouch webhook --exclude-namespaces ${namespaces.join(',')} leaves them unchecked, for every policy (Kyverno: for this rule only)`,
        );
      continue;
    }
    scope.changed(
      path,
      'an exclusion by kind, name, labels or requester has no ClusterImagePolicy form: vouch checks these resources too',
    );
  }
}
