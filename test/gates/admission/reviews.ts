/**
 * AdmissionReview JSON shaped as the API server sends it (admission.k8s.io/v1): requestKind,
 * requestResource, userInfo, options, managedFields, status — everything the gate must tolerate.
 */
import { randomUUID } from 'node:crypto';

export const DIGEST_A = `sha256:${'a'.repeat(64)}`;
export const DIGEST_B = `sha256:${'b'.repeat(64)}`;
export const DIGEST_C = `sha256:${'c'.repeat(64)}`;

export interface PodImages {
  containers: string[];
  init?: string[];
  ephemeral?: string[];
  volumes?: string[];
}

export function podSpec(images: PodImages): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    containers: images.containers.map((image, index) => ({
      name: `app-${index}`,
      image,
      imagePullPolicy: 'IfNotPresent',
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
      resources: { requests: { cpu: '100m' } },
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    })),
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
    schedulerName: 'default-scheduler',
    securityContext: {},
    terminationGracePeriodSeconds: 30,
  };
  if (images.init)
    spec.initContainers = images.init.map((image, index) => ({ name: `init-${index}`, image }));
  if (images.ephemeral)
    spec.ephemeralContainers = images.ephemeral.map((image, index) => ({
      name: `debugger-${index}`,
      image,
      targetContainerName: 'app-0',
    }));
  if (images.volumes)
    spec.volumes = [
      { name: 'config', configMap: { name: 'app-config' } },
      ...images.volumes.map((reference, index) => ({
        name: `models-${index}`,
        image: { reference, pullPolicy: 'IfNotPresent' },
      })),
    ];
  return spec;
}

export interface KindInfo {
  apiVersion: string;
  group: string;
  version: string;
  kind: string;
  resource: string;
}

export const KINDS: Record<string, KindInfo> = {
  Pod: { apiVersion: 'v1', group: '', version: 'v1', kind: 'Pod', resource: 'pods' },
  ReplicationController: {
    apiVersion: 'v1',
    group: '',
    version: 'v1',
    kind: 'ReplicationController',
    resource: 'replicationcontrollers',
  },
  Deployment: {
    apiVersion: 'apps/v1',
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    resource: 'deployments',
  },
  ReplicaSet: {
    apiVersion: 'apps/v1',
    group: 'apps',
    version: 'v1',
    kind: 'ReplicaSet',
    resource: 'replicasets',
  },
  StatefulSet: {
    apiVersion: 'apps/v1',
    group: 'apps',
    version: 'v1',
    kind: 'StatefulSet',
    resource: 'statefulsets',
  },
  DaemonSet: {
    apiVersion: 'apps/v1',
    group: 'apps',
    version: 'v1',
    kind: 'DaemonSet',
    resource: 'daemonsets',
  },
  Job: { apiVersion: 'batch/v1', group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs' },
  CronJob: { apiVersion: 'batch/v1', group: 'batch', version: 'v1', kind: 'CronJob', resource: 'cronjobs' },
};

/** The JSON pointer prefix of each kind's pod spec. */
export const POD_SPEC_POINTER: Record<string, string> = {
  Pod: '/spec',
  ReplicationController: '/spec/template/spec',
  Deployment: '/spec/template/spec',
  ReplicaSet: '/spec/template/spec',
  StatefulSet: '/spec/template/spec',
  DaemonSet: '/spec/template/spec',
  Job: '/spec/template/spec',
  CronJob: '/spec/jobTemplate/spec/template/spec',
};

/** A full object of `kind` around a pod spec, with the metadata the API server adds. */
export function workload(
  kind: string,
  spec: Record<string, unknown>,
  options: {
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    deleting?: boolean;
  } = {},
): Record<string, unknown> {
  const info = KINDS[kind];
  if (!info) throw new Error(`unknown kind ${kind}`);
  const name = options.name ?? 'web';
  const metadata: Record<string, unknown> = {
    name,
    namespace: options.namespace ?? 'shop',
    uid: randomUUID(),
    resourceVersion: '4711',
    generation: 1,
    creationTimestamp: '2026-01-01T10:00:00Z',
    labels: { 'app.kubernetes.io/name': name },
    annotations: options.annotations ?? {},
    managedFields: [
      {
        manager: 'kustomize-controller',
        operation: 'Apply',
        apiVersion: info.apiVersion,
        time: '2026-01-01T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': {} },
      },
    ],
  };
  if (options.deleting) {
    metadata.deletionTimestamp = '2026-01-02T10:00:00Z';
    metadata.finalizers = ['example.com/cleanup'];
  }
  const template = { metadata: { labels: { 'app.kubernetes.io/name': name } }, spec };
  const selector = { matchLabels: { 'app.kubernetes.io/name': name } };
  let body: Record<string, unknown>;
  switch (kind) {
    case 'Pod':
      body = { spec, status: { phase: 'Pending' } };
      break;
    case 'CronJob':
      body = { spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template } } }, status: {} };
      break;
    case 'ReplicationController':
      body = { spec: { replicas: 2, selector: { 'app.kubernetes.io/name': name }, template }, status: {} };
      break;
    case 'Job':
      body = {
        spec: { backoffLimit: 3, template: { ...template, spec: { ...spec, restartPolicy: 'Never' } } },
      };
      break;
    default:
      body = { spec: { replicas: 3, selector, template }, status: {} };
  }
  return { apiVersion: info.apiVersion, kind, metadata, ...body };
}

export interface ReviewOptions {
  kind: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  object?: Record<string, unknown> | null;
  oldObject?: Record<string, unknown> | null;
  namespace?: string;
  subResource?: string;
  dryRun?: boolean;
  uid?: string;
  group?: string;
  version?: string;
  resource?: string;
}

/** An AdmissionReview request as the API server posts it. */
export function review(options: ReviewOptions): Record<string, unknown> {
  const custom = {
    apiVersion: `${options.group ?? ''}/${options.version ?? 'v1'}`,
    group: options.group ?? '',
    version: options.version ?? 'v1',
    kind: options.kind,
    resource: options.resource ?? `${options.kind.toLowerCase()}s`,
  };
  const info = options.group !== undefined ? custom : (KINDS[options.kind] ?? custom);
  const gvk = { group: info.group, version: info.version, kind: info.kind };
  const gvr = { group: info.group, version: info.version, resource: info.resource };
  const object = options.object ?? null;
  const metadata = (object?.metadata ?? options.oldObject?.metadata ?? {}) as Record<string, unknown>;
  const optionsKind =
    options.operation === 'CREATE'
      ? 'CreateOptions'
      : options.operation === 'UPDATE'
        ? 'UpdateOptions'
        : 'DeleteOptions';
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: options.uid ?? randomUUID(),
      kind: gvk,
      resource: gvr,
      ...(options.subResource !== undefined && { subResource: options.subResource }),
      requestKind: gvk,
      requestResource: gvr,
      ...(options.subResource !== undefined && { requestSubResource: options.subResource }),
      name: metadata.name ?? '',
      namespace: options.namespace ?? metadata.namespace ?? 'shop',
      operation: options.operation,
      userInfo: {
        username: 'system:serviceaccount:flux-system:kustomize-controller',
        uid: randomUUID(),
        groups: ['system:serviceaccounts', 'system:serviceaccounts:flux-system', 'system:authenticated'],
        extra: { 'authentication.kubernetes.io/pod-name': ['kustomize-controller-6d9f7c8b5-x2x9z'] },
      },
      object,
      oldObject: options.oldObject ?? null,
      dryRun: options.dryRun ?? false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: optionsKind, fieldManager: 'kustomize-controller' },
    },
  };
}
