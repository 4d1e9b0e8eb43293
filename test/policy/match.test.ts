/** Which policies apply: tag and digest forms, resources and label selectors, and what a digest could add. */
import { describe, expect, it } from 'vitest';
import {
  digestMayAddPolicies,
  matchPolicies,
  type PolicySet,
  type ResourceContext,
  resourceIdentity,
  selectorMatches,
} from '../../src/policy/index.js';
import { WORKLOAD_KINDS } from '../../src/policy/workload-kinds.js';
import { parseReference } from '../../src/reference/index.js';
import { cip, KEY_AUTHORITY, load, yamlDocuments } from './helpers.js';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const pass = [{ static: { action: 'pass' } }];

let set: PolicySet;
async function policySet(): Promise<PolicySet> {
  set ??= (
    await load(
      yamlDocuments(
        cip('tags', { images: [{ glob: 'ghcr.io/org/app:v1*' }], authorities: [KEY_AUTHORITY] }),
        cip('digests', { images: [{ glob: 'ghcr.io/org/app@**' }], authorities: [KEY_AUTHORITY] }),
        cip('org', { images: [{ glob: 'ghcr.io/org/**' }], authorities: [KEY_AUTHORITY] }),
        cip('hub', { images: [{ glob: '*' }], authorities: pass }),
        cip('labelled-pods', {
          images: [{ glob: '**' }],
          authorities: pass,
          match: [{ version: 'v1', resource: 'pods', selector: { matchLabels: { app: 'web' } } }],
        }),
        cip('workloads', {
          images: [{ glob: '**' }],
          authorities: pass,
          match: [
            { group: 'apps', version: '*', resource: 'replicasets' },
            { group: 'apps', version: 'v1', resource: 'daemonsets' },
          ],
        }),
      ),
    )
  ).policySet;
  return set;
}

async function names(image: string, resource?: ResourceContext): Promise<string[]> {
  return matchPolicies(await policySet(), {
    image: parseReference(image),
    ...(resource && { resource }),
  }).map((p) => p.name);
}

describe('matchPolicies', () => {
  it('matches a tag-only image by its tag form', async () => {
    expect(await names('ghcr.io/org/app:v1.2')).toEqual(['org', 'tags']);
  });

  it('matches a digest-only image by its digest form', async () => {
    expect(await names(`ghcr.io/org/app@${DIGEST}`)).toEqual(['digests', 'org']);
  });

  it('matches an image with both by either form: the webhook and the CLI see the same policies', async () => {
    expect(await names(`ghcr.io/org/app:v1.2@${DIGEST}`)).toEqual(['digests', 'org', 'tags']);
  });

  it('canonicalises the image first (Docker Hub)', async () => {
    expect(await names('alpine:3.20')).toEqual(['hub']);
    expect(await names('docker.io/library/alpine')).toEqual(['hub']);
    expect(await names('docker.io/someone/alpine')).toEqual([]);
  });

  it('matches a registry host spelt in another case or with :443, and knows its digest may add policies', async () => {
    expect(await names('GHCR.IO/org/app:v1.2')).toEqual(['org', 'tags']);
    expect(await names(`ghcr.io:443/org/app@${DIGEST}`)).toEqual(['digests', 'org']);
    expect(
      digestMayAddPolicies(await policySet(), { image: parseReference('GHCR.IO:443/org/app:v1.2') }),
    ).toBe(true);
  });

  it('applies policies with match rules only to the resources they name', async () => {
    const pod = (labels?: Record<string, string>): ResourceContext => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', ...(labels && { labels }) },
    });
    expect(await names('quay.io/x/y:1')).toEqual([]);
    expect(await names('quay.io/x/y:1', pod())).toEqual([]);
    expect(await names('quay.io/x/y:1', pod({ app: 'web' }))).toEqual(['labelled-pods']);
    expect(await names('quay.io/x/y:1', pod({ app: 'db' }))).toEqual([]);
    // policy-controller's kind table misspells ReplicaSet and gives DaemonSet no group; vouch reads the
    // object's own apiVersion, so these rules apply.
    expect(await names('quay.io/x/y:1', { apiVersion: 'apps/v1', kind: 'ReplicaSet' })).toEqual([
      'workloads',
    ]);
    expect(await names('quay.io/x/y:1', { apiVersion: 'apps/v1', kind: 'DaemonSet' })).toEqual(['workloads']);
    expect(await names('quay.io/x/y:1', { apiVersion: 'apps/v1beta2', kind: 'DaemonSet' })).toEqual([]);
    expect(await names('quay.io/x/y:1', { apiVersion: 'example.com/v1', kind: 'Widget' })).toEqual([]);
  });
});

describe('resources and selectors', () => {
  it('derives group, version and resource from the object', () => {
    expect(
      resourceIdentity({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { labels: { a: 'b', n: 3 } } }),
    ).toEqual({
      group: 'batch',
      version: 'v1',
      resource: 'cronjobs',
      labels: { a: 'b' },
    });
    expect(resourceIdentity({ kind: 'Pod' })).toMatchObject({ group: '', version: 'v1', resource: 'pods' });
    expect(resourceIdentity(undefined)).toBeUndefined();
  });

  it('knows every kind the admission gate reads images from (one table for both)', () => {
    for (const kind of WORKLOAD_KINDS)
      expect(resourceIdentity({ kind: kind.kind }), kind.kind).toMatchObject({
        group: kind.group,
        resource: kind.resource,
      });
    // The kind the table before it lacked: the webhook checked its images, but `match` could not name it.
    expect(resourceIdentity({ apiVersion: 'v1', kind: 'ReplicationController' })).toMatchObject({
      group: '',
      resource: 'replicationcontrollers',
    });
  });

  it('evaluates label selectors as Kubernetes does', () => {
    const selector = (
      matchExpressions: {
        key: string;
        operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
        values: string[];
      }[],
    ) => ({
      matchLabels: {},
      matchExpressions,
    });
    expect(
      selectorMatches(selector([{ key: 'tier', operator: 'In', values: ['web', 'api'] }]), { tier: 'api' }),
    ).toBe(true);
    expect(selectorMatches(selector([{ key: 'tier', operator: 'In', values: ['web'] }]), {})).toBe(false);
    expect(selectorMatches(selector([{ key: 'tier', operator: 'NotIn', values: ['web'] }]), {})).toBe(true);
    expect(
      selectorMatches(selector([{ key: 'tier', operator: 'NotIn', values: ['web'] }]), { tier: 'web' }),
    ).toBe(false);
    expect(selectorMatches(selector([{ key: 'tier', operator: 'Exists', values: [] }]), { tier: '' })).toBe(
      true,
    );
    expect(
      selectorMatches(selector([{ key: 'tier', operator: 'DoesNotExist', values: [] }]), { tier: '' }),
    ).toBe(false);
    expect(selectorMatches({ matchLabels: { a: '1' }, matchExpressions: [] }, { a: '1', b: '2' })).toBe(true);
    expect(selectorMatches({ matchLabels: { a: '1' }, matchExpressions: [] }, { a: '2' })).toBe(false);
  });
});

describe('digestMayAddPolicies', () => {
  it('says when resolving a tag could bring more policies into play', async () => {
    const s = await policySet();
    expect(digestMayAddPolicies(s, { image: parseReference('ghcr.io/org/app:v1') })).toBe(true); // "digests"
    expect(digestMayAddPolicies(s, { image: parseReference('ghcr.io/org/other:v1') })).toBe(false); // "org" already applies
    expect(digestMayAddPolicies(s, { image: parseReference('alpine:3.20') })).toBe(false);
    expect(digestMayAddPolicies(s, { image: parseReference(`ghcr.io/org/app@${DIGEST}`) })).toBe(false);
  });

  it('is false for an image covered only by static policies whose globs hold no digest', async () => {
    const { policySet: staticOnly } = await load(
      yamlDocuments(
        cip('allow-base', { images: [{ glob: 'registry.example/base:*' }], authorities: pass }),
        cip('others', { images: [{ glob: 'registry.example/app*' }], authorities: [KEY_AUTHORITY] }),
      ),
    );
    const input = { image: parseReference('registry.example/base:1.0') };
    expect(matchPolicies(staticOnly, input).map((p) => p.name)).toEqual(['allow-base']);
    expect(digestMayAddPolicies(staticOnly, input)).toBe(false);
    expect(digestMayAddPolicies(staticOnly, { image: parseReference('registry.example/app:1.0') })).toBe(
      false,
    );
    expect(digestMayAddPolicies(staticOnly, { image: parseReference('registry.example/apple:1.0') })).toBe(
      false,
    );
  });
});
