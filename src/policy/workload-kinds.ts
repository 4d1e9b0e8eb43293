/**
 * The Kubernetes kinds that carry images, declared once: where each keeps its pod template (the
 * admission gate reads and patches it there) and the resource name a ClusterImagePolicy's `match`
 * names it by. Only the policy layer knows Kubernetes, and only this much of it.
 */

export interface WorkloadKind {
  /** API group: `''` for the core group. */
  group: string;
  kind: string;
  /** The plural resource name `spec.match[].resource` uses. */
  resource: string;
  /** Property path from the object root to its PodSpec. */
  podSpecPath: readonly string[];
  /** Pods are what the kubelet runs: `--digest-mutation pods` rewrites only these. */
  isPod: boolean;
}

const TEMPLATE = ['spec', 'template', 'spec'] as const;

export const WORKLOAD_KINDS: readonly WorkloadKind[] = [
  { group: '', kind: 'Pod', resource: 'pods', podSpecPath: ['spec'], isPod: true },
  {
    group: '',
    kind: 'ReplicationController',
    resource: 'replicationcontrollers',
    podSpecPath: TEMPLATE,
    isPod: false,
  },
  { group: 'apps', kind: 'Deployment', resource: 'deployments', podSpecPath: TEMPLATE, isPod: false },
  { group: 'apps', kind: 'ReplicaSet', resource: 'replicasets', podSpecPath: TEMPLATE, isPod: false },
  { group: 'apps', kind: 'StatefulSet', resource: 'statefulsets', podSpecPath: TEMPLATE, isPod: false },
  { group: 'apps', kind: 'DaemonSet', resource: 'daemonsets', podSpecPath: TEMPLATE, isPod: false },
  { group: 'batch', kind: 'Job', resource: 'jobs', podSpecPath: TEMPLATE, isPod: false },
  {
    group: 'batch',
    kind: 'CronJob',
    resource: 'cronjobs',
    podSpecPath: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
    isPod: false,
  },
];
