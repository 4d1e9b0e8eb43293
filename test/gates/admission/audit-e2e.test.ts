/**
 * `vouch audit` as a user runs it (the built bin/vouch) on a GitOps repository's manifests, with the
 * real policy engine and a real registry holding signed and unsigned images: the table, the exit
 * code, and the PolicyReports of `--report`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runVouch, tempDir } from '../../harness/index.js';
import { type SignedWorld, startSignedWorld, worldPolicies } from './signed-images.js';

describe('vouch audit with the policy engine', () => {
  let world: SignedWorld;
  let dir: string;
  let policies: string;

  const deployment = (name: string, namespace: string, image: string, init?: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
${init ? `      initContainers:\n        - name: migrate\n          image: ${init}\n` : ''}      containers:
        - name: ${name}
          image: ${image}
`;

  beforeAll(async () => {
    world = await startSignedWorld();
    dir = await tempDir('audit-e2e');
    policies = join(dir, 'policies.yaml');
    await writeFile(policies, worldPolicies(world));
    await mkdir(join(dir, 'good'));
    await writeFile(
      join(dir, 'good', 'shop.yaml'),
      `${deployment('web', 'shop', world.signed.ref, world.migrate.ref)}---\n${deployment('base', 'shop', world.staticImage)}`,
    );
    await mkdir(join(dir, 'mixed'));
    await writeFile(
      join(dir, 'mixed', 'apps.yaml'),
      [
        deployment('web', 'shop', `${world.signed.ref}@${world.signed.digest}`),
        deployment('legacy', 'shop', world.unsigned.ref),
        deployment('tool', 'labs', world.experimental.ref),
      ].join('---\n'),
    );
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('prints a table of verified images and exits 0 when everything is allowed', async () => {
    const { code, stdout, stderr } = await runVouch(['audit', '--policy', policies, join(dir, 'good')]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE +KIND +NAME +IMAGE +RESULT +DETAIL$/);
    expect(lines.slice(1).map((line) => line.split(/ {2,}/))).toEqual([
      ['shop', 'Deployment', 'web', world.migrate.ref, 'pass', world.migrate.digest],
      ['shop', 'Deployment', 'web', world.signed.ref, 'pass', world.signed.digest],
      ['shop', 'Deployment', 'base', world.staticImage, 'pass', 'passed (no digest needed)'],
    ]);
  });

  it('exits 1 on a denial, naming the image and why; warn-mode failures are warnings', async () => {
    const { code, stdout } = await runVouch(['audit', join(dir, 'mixed')], {
      env: { VOUCH_POLICY: policies },
    });
    expect(code).toBe(1);
    const rows = stdout
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => line.split(/ {2,}/));
    expect(rows.map((row) => row.slice(0, 5))).toEqual([
      ['shop', 'Deployment', 'web', `${world.signed.ref}@${world.signed.digest}`, 'pass'],
      ['shop', 'Deployment', 'legacy', world.unsigned.ref, 'fail'],
      ['labs', 'Deployment', 'tool', world.experimental.ref, 'warn'],
    ]);
    expect(rows[1]?.[5]).toBe(
      `failed policy: release-signed: signature key validation failed for authority authority-0 for ${world.unsigned.byDigest}: no signatures found for ${world.unsigned.digest} (looked in ${world.registry.host}/team/app:sha256-${world.unsigned.digest.slice(7)}.sig and the referrers of ${world.unsigned.digest} (tag schema))`,
    );
    expect(rows[2]?.[5]).toMatch(/^failed policy: experimental: signature key validation failed/);
  });

  it('--report writes a PolicyReport per namespace (table on stderr); --enforce-namespaces turns warnings into failures', async () => {
    const { code, stdout, stderr } = await runVouch([
      'audit',
      '--policy',
      policies,
      '--report',
      '--enforce-namespaces',
      'labs',
      join(dir, 'mixed'),
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^NAMESPACE +KIND/);
    const reports = parseAllDocuments(stdout).map((document) => document.toJS()) as Array<{
      kind: string;
      apiVersion: string;
      metadata: { name: string; namespace: string };
      summary: Record<string, number>;
      results: Array<{
        policy: string;
        result: string;
        resources: Array<{ name: string }>;
        properties: Record<string, string>;
      }>;
    }>;
    expect(reports.map((report) => [report.apiVersion, report.kind, report.metadata.namespace])).toEqual([
      ['wgpolicyk8s.io/v1alpha2', 'PolicyReport', 'labs'],
      ['wgpolicyk8s.io/v1alpha2', 'PolicyReport', 'shop'],
    ]);
    const [labs, shop] = reports;
    expect(labs?.summary).toEqual({ pass: 0, fail: 1, warn: 0, error: 0, skip: 0 });
    expect(labs?.results[0]).toMatchObject({
      policy: 'experimental',
      result: 'fail',
      resources: [{ name: 'tool' }],
    });
    expect(shop?.summary).toEqual({ pass: 1, fail: 1, warn: 0, error: 0, skip: 0 });
    expect(shop?.results.map((result) => [result.resources[0]?.name, result.policy, result.result])).toEqual([
      ['web', 'release-signed', 'pass'],
      ['legacy', 'release-signed', 'fail'],
    ]);
    expect(shop?.results[0]?.properties).toEqual({
      image: `${world.signed.ref}@${world.signed.digest}`,
      digest: world.signed.digest,
      location: 'container "web"',
    });
  });

  it('reads kubectl output from stdin', async () => {
    const list = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: debug, namespace: tools}
    spec:
      containers:
        - name: shell
          image: ${world.debug.ref}
      volumes:
        - name: models
          image: {reference: ${world.models.ref}}
`;
    const { code, stdout } = await runVouch(['audit', '--policy', policies, '-'], { input: list });
    expect(code).toBe(0);
    expect(stdout).toContain(`tools      Pod   debug  ${world.debug.ref}`);
    expect(stdout.trimEnd().split('\n')).toHaveLength(3);
  });

  it('exits 2 with the located problem when the policies are invalid', async () => {
    const broken = join(dir, 'broken.yaml');
    await writeFile(
      broken,
      'apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: x}\nspec: {images: []}\n',
    );
    const { code, stderr } = await runVouch(['audit', '--policy', broken, join(dir, 'good')]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `vouch: cannot load policies:\n  ${broken}: document 1 (ClusterImagePolicy "x"): spec.images: at least one image glob is required\n` +
        `  ${broken}: document 1 (ClusterImagePolicy "x"): spec.authorities: at least one authority is required (vouch refuses a policy without authorities; policy-controller can be configured to admit it)\n`,
    );
  });
});
