/**
 * deploy/ and the Dockerfile, checked without a cluster: every YAML parses, every name, selector,
 * port, namespace and path refers to something that exists, the overlays' patches apply, and the
 * webhook's arguments are flags `vouch webhook` has.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { DockerfileParser } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { webhookCommand } from '../../../src/cli/commands/webhook.cli.js';
import { parseBudget } from '../../../src/cli/commands/webhook.js';
import { applyJsonPatch, type PatchOperation } from './json-patch.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DEPLOY = join(ROOT, 'deploy');

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML, inspected field by field
type Manifest = Record<string, any>;

function readYaml(path: string): Manifest[] {
  const documents = parseAllDocuments(readFileSync(path, 'utf8'));
  return documents.map((document, index) => {
    expect(document.errors, `${path}#${index + 1}`).toEqual([]);
    return document.toJS() as Manifest;
  });
}

interface Kustomization {
  dir: string;
  namespace?: string;
  resources: Manifest[];
  patches: Array<{ target: Manifest; patch: PatchOperation[] }>;
}

function readKustomization(dir: string): Kustomization {
  const kustomization = readYaml(join(dir, 'kustomization.yaml'))[0] as Manifest;
  expect(kustomization.kind).toBe('Kustomization');
  const resources: Manifest[] = [];
  for (const entry of kustomization.resources as string[]) {
    const path = join(dir, entry);
    expect(existsSync(path), `${dir}: resource ${entry}`).toBe(true);
    if (existsSync(join(path, 'kustomization.yaml'))) {
      const base = readKustomization(path);
      resources.push(...applyPatches(base));
    } else {
      resources.push(...readYaml(path));
    }
  }
  const patches = ((kustomization.patches ?? []) as Manifest[]).map((entry) => ({
    target: entry.target as Manifest,
    patch: parseAllDocuments(entry.patch as string)[0]?.toJS() as PatchOperation[],
  }));
  return { dir, namespace: kustomization.namespace, resources, patches };
}

/** Applies a kustomization's JSON 6902 patches to its resources, as kustomize does. */
function applyPatches(kustomization: Kustomization): Manifest[] {
  return kustomization.resources.map((resource) => {
    let result = resource;
    for (const { target, patch } of kustomization.patches) {
      const group = String(resource.apiVersion).includes('/')
        ? String(resource.apiVersion).split('/')[0]
        : '';
      if (
        target.kind === resource.kind &&
        target.name === resource.metadata?.name &&
        (target.group ?? '') === group
      )
        result = applyJsonPatch(result, patch);
    }
    return result;
  });
}

function build(dir: string): Manifest[] {
  const kustomization = readKustomization(join(DEPLOY, dir));
  const patched = applyPatches(kustomization);
  // Every patch must have found its target.
  for (const { target } of kustomization.patches) {
    expect(
      patched.some((resource) => resource.kind === target.kind && resource.metadata?.name === target.name),
      `${dir}: patch target ${target.kind}/${target.name}`,
    ).toBe(true);
  }
  return patched;
}

function find(resources: Manifest[], kind: string, name?: string): Manifest {
  const found = resources.filter(
    (resource) => resource.kind === kind && (name === undefined || resource.metadata?.name === name),
  );
  expect(found, `${kind}/${name ?? '*'}`).toHaveLength(1);
  return found[0] as Manifest;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);

describe('deploy/base', () => {
  const resources = build('base');
  const namespace = find(resources, 'Namespace');
  const deployment = find(resources, 'Deployment', 'vouch-webhook');
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0];
  const service = find(resources, 'Service', 'vouch-webhook');
  const args = container.args as string[];
  const arg = (flag: string) => args.find((entry) => entry.startsWith(`--${flag}=`))?.split('=')[1];

  it('puts every namespaced resource in vouch-system', () => {
    expect(namespace.metadata.name).toBe('vouch-system');
    expect(readKustomization(join(DEPLOY, 'base')).namespace).toBe('vouch-system');
    for (const resource of resources) {
      expect(resource.apiVersion, JSON.stringify(resource.metadata)).toBeTruthy();
      expect(resource.metadata?.name).toBeTruthy();
      if (!CLUSTER_SCOPED.has(resource.kind))
        expect(resource.metadata.namespace, resource.kind).toBe('vouch-system');
    }
  });

  it('runs three non-root replicas with a read-only root filesystem, spread apart', () => {
    expect(deployment.spec.replicas).toBe(3);
    expect(matches(deployment.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    const antiAffinity = pod.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
    expect(antiAffinity.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(matches(antiAffinity.podAffinityTerm.labelSelector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
    expect(pod.spec.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    const account = find(resources, 'ServiceAccount');
    expect(pod.spec.serviceAccountName).toBe(account.metadata.name);
  });

  it('probes /readyz and /healthz over HTTPS on the container port', () => {
    const portNames = (container.ports as Manifest[]).map((port) => port.name);
    for (const [probe, path] of [
      ['readinessProbe', '/readyz'],
      ['livenessProbe', '/healthz'],
    ] as const) {
      expect(container[probe].httpGet).toMatchObject({ path, scheme: 'HTTPS' });
      expect(portNames).toContain(container[probe].httpGet.port);
    }
    const port = (container.ports as Manifest[]).find((entry) => entry.name === 'https');
    expect(String(port?.containerPort)).toBe(arg('port'));
  });

  it('passes only flags `vouch webhook` has, and mounts what they name', () => {
    expect(args[0]).toBe('webhook');
    const program = new Command('vouch');
    webhookCommand.register(program);
    const webhook = program.commands.find((command) => command.name() === 'webhook') as Command;
    const known = new Set(webhook.options.map((option) => option.long));
    for (const entry of args.slice(1)) expect(known, entry).toContain(entry.split('=')[0]);
    const mounts = container.volumeMounts as Manifest[];
    const volumes = pod.spec.volumes as Manifest[];
    const volumeAt = (path: string) => {
      const mount = mounts.find(
        (entry) => path === entry.mountPath || path.startsWith(`${entry.mountPath}/`),
      );
      expect(mount, path).toBeDefined();
      return volumes.find((volume) => volume.name === mount?.name) as Manifest;
    };
    expect(volumeAt(arg('policy') as string).configMap.name).toBe(find(resources, 'ConfigMap').metadata.name);
    const tls = volumeAt(arg('tls-cert') as string);
    expect(volumeAt(arg('tls-key') as string)).toBe(tls);
    expect(tls.secret.secretName).toBe('vouch-webhook-tls');
    expect(mounts.find((mount) => mount.mountPath === '/tmp')).toBeDefined();
    const namespaceEnv = (container.env as Manifest[]).find((entry) => entry.name === 'POD_NAMESPACE');
    expect(namespaceEnv?.valueFrom.fieldRef.fieldPath).toBe('metadata.namespace');
  });

  it('ships example policies that are ClusterImagePolicy documents', () => {
    const configMap = find(resources, 'ConfigMap');
    const documents = parseAllDocuments(configMap.data['policies.yaml']).map((document) => {
      expect(document.errors).toEqual([]);
      return document.toJS() as Manifest;
    });
    expect(documents.map((document) => document.kind)).toEqual(['ClusterImagePolicy', 'ClusterImagePolicy']);
    for (const document of documents) expect(document.spec.authorities.length).toBeGreaterThan(0);
  });

  it('keeps a PodDisruptionBudget and a Service on the webhook Pods', () => {
    const budget = find(resources, 'PodDisruptionBudget');
    expect(matches(budget.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(budget.spec.maxUnavailable ?? 3 - budget.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    expect(matches(service.spec.selector, pod.metadata.labels)).toBe(true);
    expect(service.spec.ports[0].targetPort).toBe('https');
  });

  it('registers both webhooks fail-closed, side-effect free, within 10 s, skipping vouch-system', () => {
    const budgetMs = parseBudget(arg('timeout-budget') as string);
    const expectedResources = [
      'pods',
      'pods/ephemeralcontainers',
      'replicationcontrollers',
      'deployments',
      'replicasets',
      'statefulsets',
      'daemonsets',
      'jobs',
      'cronjobs',
    ];
    for (const [kind, path] of [
      ['MutatingWebhookConfiguration', '/mutate'],
      ['ValidatingWebhookConfiguration', '/validate'],
    ] as const) {
      const configuration = find(resources, kind);
      expect(configuration.webhooks).toHaveLength(1);
      const webhook = configuration.webhooks[0];
      expect(webhook).toMatchObject({
        admissionReviewVersions: ['v1'],
        failurePolicy: 'Fail',
        sideEffects: 'None',
        timeoutSeconds: 10,
      });
      if (kind === 'MutatingWebhookConfiguration') expect(webhook.reinvocationPolicy).toBe('IfNeeded');
      expect(webhook.timeoutSeconds * 1000).toBeGreaterThan(budgetMs);
      expect(webhook.clientConfig.service).toEqual({
        name: service.metadata.name,
        namespace: service.metadata.namespace,
        path,
        port: service.spec.ports[0].port,
      });
      expect((webhook.rules as Manifest[]).flatMap((rule) => rule.resources).sort()).toEqual(
        [...expectedResources].sort(),
      );
      for (const rule of webhook.rules as Manifest[]) expect(rule.operations).toEqual(['CREATE', 'UPDATE']);
      const excluded = webhook.namespaceSelector.matchExpressions.find(
        (expression: Manifest) =>
          expression.key === 'kubernetes.io/metadata.name' && expression.operator === 'NotIn',
      );
      expect(excluded.values).toContain(namespace.metadata.name);
    }
  });
});

describe('deploy/overlays/redis', () => {
  const resources = build('overlays/redis');
  const webhook = find(resources, 'Deployment', 'vouch-webhook').spec.template;
  const redis = find(resources, 'Deployment', 'vouch-redis');
  const service = find(resources, 'Service', 'vouch-redis');

  it('points every webhook replica at the Redis Service', () => {
    const cache = (webhook.spec.containers[0].args as string[]).find((entry) => entry.startsWith('--cache='));
    const url = new URL(cache?.split('=')[1] as string);
    expect(url.protocol).toBe('redis:');
    expect(url.hostname).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc`);
    expect(Number(url.port)).toBe(service.spec.ports[0].port);
    expect(matches(service.spec.selector, redis.spec.template.metadata.labels)).toBe(true);
    const redisPorts = redis.spec.template.spec.containers[0].ports as Manifest[];
    expect(redisPorts.map((port) => port.name)).toContain(service.spec.ports[0].targetPort);
    const key = (webhook.spec.containers[0].env as Manifest[]).find(
      (entry) => entry.name === 'VOUCH_CACHE_HMAC_KEY',
    );
    expect(key?.valueFrom.secretKeyRef).toEqual({ name: 'vouch-cache-key', key: 'hmac-key' });
  });

  it('runs Redis as a non-persistent, non-root cache reachable only from the webhook', () => {
    expect(matches(redis.spec.selector.matchLabels, redis.spec.template.metadata.labels)).toBe(true);
    expect(redis.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(redis.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    expect(redis.spec.template.spec.containers[0].args).toEqual(
      expect.arrayContaining(['--save', '', '--appendonly', 'no']),
    );
    const policy = find(resources, 'NetworkPolicy');
    expect(matches(policy.spec.podSelector.matchLabels, redis.spec.template.metadata.labels)).toBe(true);
    const from = policy.spec.ingress[0].from[0].podSelector.matchLabels;
    expect(matches(from, webhook.metadata.labels)).toBe(true);
    expect(matches(from, redis.spec.template.metadata.labels)).toBe(false);
  });
});

describe('deploy/overlays/cert-manager', () => {
  const resources = build('overlays/cert-manager');

  it('issues the secret the webhook mounts and injects its CA into both webhooks', () => {
    const certificate = find(resources, 'Certificate', 'vouch-webhook');
    const webhook = find(resources, 'Deployment', 'vouch-webhook').spec.template.spec;
    const tls = (webhook.volumes as Manifest[]).find((volume) => volume.name === 'tls');
    expect(certificate.spec.secretName).toBe(tls?.secret.secretName);
    const service = find(resources, 'Service', 'vouch-webhook');
    expect(certificate.spec.dnsNames).toContain(`${service.metadata.name}.${service.metadata.namespace}.svc`);
    expect(find(resources, 'Issuer', certificate.spec.issuerRef.name).spec.ca.secretName).toBe(
      find(resources, 'Certificate', 'vouch-ca').spec.secretName,
    );
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      expect(find(resources, kind).metadata.annotations['cert-manager.io/inject-ca-from']).toBe(
        `${certificate.metadata.namespace}/${certificate.metadata.name}`,
      );
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = DockerfileParser.parse(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const instructions = dockerfile.getInstructions();

  it('builds in one stage and runs on a distroless image as a non-root user', () => {
    const froms = dockerfile.getFROMs();
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const build = froms[0];
    const runtime = froms[froms.length - 1];
    expect(build?.getBuildStage()).toBe('build');
    expect(runtime?.getImage()).toMatch(/^gcr\.io\/distroless\/nodejs20-debian12:nonroot$/);
    const lastFrom = instructions.lastIndexOf(runtime as never);
    const finalStage = instructions.slice(lastFrom);
    const user = finalStage.find((instruction) => instruction.getKeyword() === 'USER');
    expect(user?.getArgumentsContent()).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    const copies = dockerfile.getCOPYs().filter((copy) => finalStage.includes(copy));
    expect(copies.some((copy) => copy.getFromFlag()?.getValue() === 'build')).toBe(true);
    expect(
      finalStage.find((instruction) => instruction.getKeyword() === 'ENTRYPOINT')?.getArgumentsContent(),
    ).toContain('/app/bin/vouch');
    expect(finalStage.some((instruction) => instruction.getKeyword() === 'RUN')).toBe(false);
  });

  it('copies only files that exist', () => {
    const copies = dockerfile.getCOPYs().filter((copy) => copy.getFromFlag() === null);
    expect(copies.length).toBeGreaterThan(3);
    for (const copy of copies) {
      const sources = copy.getArguments().map((argument) => argument.getValue());
      sources.pop();
      for (const source of sources) expect(existsSync(join(ROOT, source)), source).toBe(true);
    }
  });

  it('runs the image the Deployment names', () => {
    const deployment = find(build('base'), 'Deployment', 'vouch-webhook');
    expect(deployment.spec.template.spec.containers[0].image).toMatch(/^ghcr\.io\/vouch-dev\/vouch:/);
  });
});
