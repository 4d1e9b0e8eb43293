import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import {
  type AuditResult,
  buildPolicyReports,
  formatAuditTable,
  imageResult,
  parseManifests,
  readManifestSources,
  reportResults,
  workloadsOf,
} from '../../../src/gates/admission/audit.js';
import { decide, type EnforcementMode } from '../../../src/gates/admission/enforcement.js';
import type { EvaluatedImage, ImageOrigin } from '../../../src/gates/admission/gate.js';
import type { Verdict } from '../../../src/policy/verdict.js';
import { tempDir } from '../../harness/index.js';
import { DIGEST_A, DIGEST_B } from './reviews.js';
import { denied, noMatch, staticPass, verified, warnModeFailed } from './verdicts.js';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: ghcr.io/acme/migrate:1.0
      containers:
        - name: web
          image: ghcr.io/acme/web:1.0@${DIGEST_A}
`;

const MULTI = `# rendered by kustomize build
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports: [{port: 80}]
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: report
              image: ghcr.io/acme/report:2
---
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: tools
spec:
  containers:
    - name: shell
      image: busybox:1.36
  volumes:
    - name: models
      image:
        reference: ghcr.io/acme/models:v3
`;

/** What \`kubectl get deploy,pod -A -o yaml\` prints. */
const KUBECTL_LIST = `apiVersion: v1
kind: List
metadata:
  resourceVersion: ""
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: api
    namespace: prod
    uid: 0b7c2f1e-4d35-4f55-9d7a-1f2e3d4c5b6a
  spec:
    template:
      spec:
        containers:
        - name: api
          image: ghcr.io/acme/api:3.1
  status: {}
- apiVersion: v1
  kind: Pod
  metadata:
    name: api-7d9f-abcde
    namespace: prod
    ownerReferences:
    - apiVersion: apps/v1
      kind: ReplicaSet
      name: api-7d9f
  spec:
    containers:
    - name: api
      image: ghcr.io/acme/api:3.1@${DIGEST_B}
`;

describe('reading manifests', () => {
  it('reads files, walks directories, and takes stdin once', async () => {
    const dir = await tempDir('audit');
    await mkdir(join(dir, 'apps', 'web'), { recursive: true });
    await writeFile(join(dir, 'apps', 'web', 'deployment.yaml'), DEPLOYMENT);
    await writeFile(join(dir, 'apps', 'all.yml'), MULTI);
    await writeFile(join(dir, 'apps', 'README.md'), '# not a manifest');
    await mkdir(join(dir, '.git'));
    await writeFile(join(dir, '.git', 'config.yaml'), 'kind: [broken');
    const explicit = join(dir, 'list.txt');
    await writeFile(explicit, KUBECTL_LIST);
    let stdinReads = 0;
    // list.txt is skipped while walking the directory (not .yaml/.json) but read when named.
    const sources = await readManifestSources([dir, '-', explicit, '-'], async () => {
      stdinReads++;
      return DEPLOYMENT;
    });
    expect(sources.map((source) => source.name)).toEqual([
      join(dir, 'apps', 'all.yml'),
      join(dir, 'apps', 'web', 'deployment.yaml'),
      '-',
      explicit,
    ]);
    expect(stdinReads).toBe(1);
  });

  it('reports a path that does not exist', async () => {
    await expect(readManifestSources(['/nonexistent/manifests'], async () => '')).rejects.toThrow(
      /cannot read \/nonexistent\/manifests/,
    );
  });

  it('splits multi-document YAML, unwraps Lists, and keeps where each object came from', () => {
    const objects = [
      ...parseManifests({ name: 'all.yaml', text: MULTI }),
      ...parseManifests({ name: '-', text: KUBECTL_LIST }),
      ...parseManifests({ name: 'values.yaml', text: 'replicaCount: 3\nimage: nginx\n' }),
      ...parseManifests({ name: 'empty.yaml', text: '' }),
      ...parseManifests({
        name: 'doc.json',
        text: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j' } }),
      }),
    ];
    expect(objects.map(({ origin, object }) => `${origin} ${object.kind}`)).toEqual([
      'all.yaml#1 Service',
      'all.yaml#2 CronJob',
      'all.yaml#4 Pod',
      '-#1 items[0] Deployment',
      '-#1 items[1] Pod',
      'doc.json#1 Pod',
    ]);
  });

  it('names the document that does not parse', () => {
    expect(() =>
      parseManifests({ name: 'broken.yaml', text: `${DEPLOYMENT}---\nkind: [unclosed\n` }),
    ).toThrow(/^broken\.yaml#2: /);
  });

  it('finds the workloads and their images, with a default namespace', () => {
    const objects = [
      ...parseManifests({ name: 'all.yaml', text: MULTI }),
      ...parseManifests({ name: 'deployment.yaml', text: DEPLOYMENT }),
    ];
    const { workloads, ignored } = workloadsOf(objects, 'default');
    expect(ignored).toBe(1);
    expect(
      workloads.map((workload) => [
        workload.kind.kind,
        workload.namespace,
        workload.name,
        workload.locations.map((location) => location.image),
      ]),
    ).toEqual([
      ['CronJob', 'default', 'report', ['ghcr.io/acme/report:2']],
      ['Pod', 'tools', 'debug', ['busybox:1.36', 'ghcr.io/acme/models:v3']],
      ['Deployment', 'shop', 'web', ['ghcr.io/acme/migrate:1.0', `ghcr.io/acme/web:1.0@${DIGEST_A}`]],
    ]);
  });

  it('refuses a workload whose template has the wrong shape, naming the document', () => {
    const objects = parseManifests({
      name: 'bad.yaml',
      text: 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers: nginx\n',
    });
    expect(() => workloadsOf(objects, 'default')).toThrow(/^bad\.yaml#1: Pod spec is malformed/);
  });
});

describe('results and PolicyReports', () => {
  const now = new Date('2026-03-01T12:00:00Z');

  function audited(
    namespace: string,
    kind: string,
    name: string,
    verdicts: Array<[Verdict, ImageOrigin?]>,
    mode: EnforcementMode = 'policy',
  ): AuditResult {
    const workload = workloadsOf(
      parseManifests({
        name: `${name}.yaml`,
        text: JSON.stringify({
          apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1',
          kind,
          metadata: { name, namespace },
          spec:
            kind === 'Pod'
              ? {
                  containers: verdicts.map(([verdict], index) => ({
                    name: `c${index}`,
                    image: verdict.image,
                  })),
                }
              : {
                  template: {
                    spec: {
                      containers: verdicts.map(([verdict], index) => ({
                        name: `c${index}`,
                        image: verdict.image,
                      })),
                    },
                  },
                },
        }),
      }),
      'default',
    ).workloads[0];
    if (!workload) throw new Error('no workload');
    const images = verdicts.map(([verdict, origin = 'check'], index): EvaluatedImage & { result: never } => {
      const image: EvaluatedImage = {
        image: verdict.image,
        locations: [workload.locations[index] as never],
        verdict,
        origin,
        decision: decide(verdict, mode),
        shared: false,
        durationMs: 1,
      };
      return { ...image, result: imageResult(image) as never };
    });
    return { workload, mode, images, allowed: images.every((image) => image.decision.allowed) };
  }

  const results = [
    audited('shop', 'Deployment', 'web', [
      [verified('ghcr.io/acme/web:1.0', DIGEST_A)],
      [warnModeFailed('ghcr.io/acme/side:1', DIGEST_B)],
    ]),
    audited('shop', 'Pod', 'debug', [[denied('busybox:1.36')], [staticPass('docker.io/library/redis:7')]]),
    audited('tools', 'Deployment', 'api', [
      [denied('ghcr.io/acme/api:3', 'registry')],
      [noMatch('quay.io/x/y:1')],
    ]),
    audited('dev', 'Deployment', 'try', [[denied('ghcr.io/acme/try:0')], [noMatch('quay.io/x/z:1')]], 'warn'),
  ];

  it('gives each image pass, warn, fail or error', () => {
    expect(results.map((result) => result.images.map((image) => image.result))).toEqual([
      ['pass', 'warn'],
      ['fail', 'pass'],
      ['error', 'fail'],
      ['warn', 'warn'],
    ]);
    expect(results.map((result) => result.allowed)).toEqual([true, false, false, true]);
  });

  it('prints a table with one line per image', () => {
    const lines = formatAuditTable(results);
    expect(lines[0]).toMatch(/^NAMESPACE +KIND +NAME +IMAGE +RESULT +DETAIL$/);
    expect(lines).toHaveLength(9);
    expect(lines[1]).toMatch(
      new RegExp(`^shop +Deployment +web +ghcr\\.io/acme/web:1\\.0 +pass +${DIGEST_A}$`),
    );
    expect(lines[3]).toMatch(
      /^shop +Pod +debug +busybox:1\.36 +fail +failed policy: release-signed: no matching signatures$/,
    );
    expect(lines[4]).toMatch(/docker\.io\/library\/redis:7 +pass +passed \(no digest needed\)$/);
    expect(lines[5]).toMatch(
      /ghcr\.io\/acme\/api:3 +error +failed policy: release-signed: registry 127\.0\.0\.1:5000 answered 503$/,
    );
    expect(lines[6]).toMatch(/quay\.io\/x\/y:1 +fail +no matching policies$/);
  });

  it('files one result per resource, image and policy', () => {
    const rows = reportResults(results, now);
    expect(rows.map((row) => [row.resources[0]?.name, row.policy, row.result, row.properties.image])).toEqual(
      [
        ['web', 'release-signed', 'pass', 'ghcr.io/acme/web:1.0'],
        ['web', 'release-signed', 'pass', 'ghcr.io/acme/side:1'],
        ['web', 'team-signed', 'warn', 'ghcr.io/acme/side:1'],
        ['debug', 'release-signed', 'fail', 'busybox:1.36'],
        ['debug', 'allow-base-images', 'pass', 'docker.io/library/redis:7'],
        ['api', 'release-signed', 'error', 'ghcr.io/acme/api:3'],
        ['api', 'no-matching-policy', 'fail', 'quay.io/x/y:1'],
        ['try', 'release-signed', 'warn', 'ghcr.io/acme/try:0'],
        ['try', 'no-matching-policy', 'warn', 'quay.io/x/z:1'],
      ],
    );
    const first = rows[0];
    expect(first).toEqual({
      source: 'vouch',
      policy: 'release-signed',
      rule: 'verify-image',
      result: 'pass',
      scored: true,
      message: `ghcr.io/acme/web:1.0: verified ghcr.io/acme/web:1.0@${DIGEST_A}`,
      timestamp: { seconds: 1772366400, nanos: 0 },
      resources: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' }],
      properties: { image: 'ghcr.io/acme/web:1.0', digest: DIGEST_A, location: 'container "c0"' },
    });
    expect(rows[3]?.message).toBe('busybox:1.36: failed policy: release-signed: no matching signatures');
  });

  it('writes one wgpolicyk8s.io/v1alpha2 PolicyReport per namespace that kubectl can apply', () => {
    const reports = buildPolicyReports(results, now);
    expect(reports.map((report) => [report.kind, report.metadata.namespace, report.summary])).toEqual([
      ['PolicyReport', 'dev', { pass: 0, fail: 0, warn: 2, error: 0, skip: 0 }],
      ['PolicyReport', 'shop', { pass: 3, fail: 1, warn: 1, error: 0, skip: 0 }],
      ['PolicyReport', 'tools', { pass: 0, fail: 1, warn: 0, error: 1, skip: 0 }],
    ]);
    for (const report of reports) {
      expect(report.apiVersion).toBe('wgpolicyk8s.io/v1alpha2');
      expect(report.metadata.name).toBe('vouch-image-signatures');
      expect(report.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'vouch' });
      for (const row of report.results) {
        expect(row.resources[0]?.namespace).toBe(report.metadata.namespace);
        expect(['pass', 'fail', 'warn', 'error', 'skip']).toContain(row.result);
        expect(Object.values(row.properties).every((value) => typeof value === 'string')).toBe(true);
      }
    }
    // Round trip through YAML as `vouch audit --report` prints it.
    const text = reports.map((report) => stringify(report)).join('---\n');
    const documents = parseAllDocuments(text).map((document) => document.toJS());
    expect(documents).toEqual(JSON.parse(JSON.stringify(reports)));
  });
});
