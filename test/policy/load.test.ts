/**
 * Loading from files and directories: multi-document YAML, JSON, Lists, ignored kinds, Secrets and
 * ConfigMaps (as documents and as a mounted secrets directory), TrustRoots, verification configs.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatIssue, loadPolicies, PolicyError } from '../../src/policy/index.js';
import { tempDir } from '../harness/index.js';
import {
  CERTIFICATE,
  cip,
  GLOBS,
  KEY_AUTHORITY,
  keyPolicy,
  load,
  loadErrors,
  PUBLIC_KEY,
  yamlDocuments,
} from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('policies');
});

async function write(relative: string, text: string): Promise<string> {
  const path = join(dir, relative);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  return path;
}

async function errorsOf(paths: string[], options?: Parameters<typeof loadPolicies>[1]): Promise<string[]> {
  try {
    await loadPolicies(paths, options);
  } catch (error) {
    if (error instanceof PolicyError) return error.issues.map(formatIssue);
    throw error;
  }
  expect.fail('expected the load to fail');
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('sources', () => {
  it('reads directories recursively: *.yaml, *.yml and *.json, skipping hidden entries and other files', async () => {
    await write('a.yaml', yamlDocuments(keyPolicy('a'), keyPolicy('b')));
    await write('nested/deeper/c.yml', yamlDocuments(keyPolicy('c')));
    await write('d.json', JSON.stringify(keyPolicy('d')));
    await write('README.md', '# not a policy');
    await write('.hidden/e.yaml', yamlDocuments(keyPolicy('e')));
    await write('..data/f.yaml', yamlDocuments(keyPolicy('f')));
    const loaded = await loadPolicies([dir]);
    expect(loaded.policySet.policies.map((p) => p.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(loaded.files.map((file) => file.slice(dir.length + 1))).toEqual([
      'a.yaml',
      'd.json',
      'nested/deeper/c.yml',
    ]);
  });

  it('reads a file named explicitly whatever its extension, and each file once', async () => {
    const file = await write('policy.txt', yamlDocuments(keyPolicy('a')));
    await symlink(file, join(dir, 'link.yaml'));
    const loaded = await loadPolicies([file, dir, file]);
    expect(loaded.policySet.policies.map((p) => p.name)).toEqual(['a']);
    expect(loaded.files).toEqual([file]);
  });

  it('names the file, the document and the field in errors', async () => {
    await write(
      'policies/a.yaml',
      yamlDocuments(keyPolicy('ok'), cip('x', { images: GLOBS, authorities: [{ key: { data: 'nope' } }] })),
    );
    expect(await errorsOf([join(dir, 'policies')])).toEqual([
      `${dir}/policies/a.yaml: document 2 (ClusterImagePolicy "x"): spec.authorities[0].key.data: not a PEM public key (no -----BEGIN PUBLIC KEY----- block)`,
    ]);
  });

  it('reports paths that cannot be read', async () => {
    expect(await errorsOf([join(dir, 'missing.yaml')])).toEqual([
      `${dir}/missing.yaml: cannot read: no such file or directory`,
    ]);
  });

  it('reports a directory without policies', async () => {
    await write('empty/README.md', 'nothing here');
    expect(await errorsOf([join(dir, 'empty')])).toEqual([`${dir}/empty: no ClusterImagePolicy found`]);
  });

  it('refuses duplicates across files, naming both places', async () => {
    await write('a.yaml', yamlDocuments(keyPolicy('same')));
    await write('b.yaml', yamlDocuments(keyPolicy('same', ['ghcr.io/other/**'])));
    expect(await errorsOf([dir])).toEqual([
      `${dir}/b.yaml: document 1 (ClusterImagePolicy "same"): metadata.name: ClusterImagePolicy "same" is also defined at ${dir}/a.yaml: document 1 (ClusterImagePolicy "same"); names must be unique (policy-controller would skip one of them with a warning, vouch refuses so that no policy is dropped silently)`,
    ]);
  });
});

describe('document kinds', () => {
  it('ignores, and reports, other Kubernetes objects', async () => {
    const loaded = await load(
      yamlDocuments(
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: {} },
        keyPolicy('p'),
        { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['policy.yaml'] },
      ),
    );
    expect(loaded.policySet.policies.map((p) => p.name)).toEqual(['p']);
    expect(loaded.ignored).toEqual([
      {
        location: { source: 'test.yaml', document: 1, kind: 'Deployment', name: 'web' },
        reason: 'apps/v1 Deployment is not a policy document',
      },
      {
        location: { source: 'test.yaml', document: 3, kind: 'Kustomization' },
        reason: 'kustomize.config.k8s.io/v1beta1 Kustomization is not a policy document',
      },
    ]);
  });

  it('expands Lists (kubectl get -o yaml), locating errors by item', async () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [keyPolicy('a'), cip('b', { images: GLOBS })] };
    expect(await loadErrors(yamlDocuments(list))).toEqual([
      'test.yaml: document 1, items[1] (ClusterImagePolicy "b"): spec.authorities: at least one authority is required (vouch refuses a policy without authorities; policy-controller can be configured to admit it)',
    ]);
    // Only list kinds are expanded: another object that happens to have items is just another object.
    const allowList = {
      apiVersion: 'example.com/v1',
      kind: 'AllowList',
      metadata: { name: 'x' },
      items: [keyPolicy('hidden')],
    };
    expect(
      (await load(yamlDocuments(keyPolicy('a'), allowList))).policySet.policies.map((p) => p.name),
    ).toEqual(['a']);
    const good = {
      apiVersion: 'policy.sigstore.dev/v1beta1',
      kind: 'ClusterImagePolicyList',
      items: [keyPolicy('a'), keyPolicy('b')],
    };
    expect((await load(yamlDocuments(good))).policySet.policies.map((p) => p.name)).toEqual(['a', 'b']);
  });
});

describe('secrets and config maps', () => {
  const secretPolicy = cip('p', {
    images: GLOBS,
    authorities: [{ key: { secretRef: { name: 'release-key' } } }],
  });

  it('resolves key.secretRef from a Secret document (data or stringData)', async () => {
    for (const secret of [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'release-key', namespace: 'cosign-system' },
        data: { 'cosign.pub': base64(PUBLIC_KEY) },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'release-key' },
        stringData: { 'cosign.pub': PUBLIC_KEY },
      },
    ]) {
      const { policySet } = await load(yamlDocuments(secretPolicy, secret));
      expect(policySet.policies[0]?.authorities[0]).toMatchObject({
        type: 'key',
        key: {
          pem: PUBLIC_KEY,
          from: { type: 'secret', namespace: 'cosign-system', name: 'release-key', key: 'cosign.pub' },
        },
      });
    }
  });

  it('resolves key.secretRef from a secrets directory laid out like a mounted Secret', async () => {
    await write('secrets/release-key/cosign.pub', PUBLIC_KEY);
    await write('secrets/release-key/..data/ignored', 'mounted-volume bookkeeping');
    const { policySet } = await load(yamlDocuments(secretPolicy), { secretsDirectory: join(dir, 'secrets') });
    expect(policySet.policies[0]?.authorities[0]).toMatchObject({
      key: {
        pem: PUBLIC_KEY,
        from: {
          type: 'secret',
          name: 'release-key',
          key: 'cosign.pub',
          file: `${dir}/secrets/release-key/cosign.pub`,
        },
      },
    });
  });

  it('reads a docker-config pull secret from a secrets directory, skipping only ".."-prefixed entries', async () => {
    // Laid out exactly as the kubelet mounts a Secret volume: a timestamped directory, the `..data`
    // link to it, and one link per key — here the dot-named key of a kubernetes.io/dockerconfigjson Secret.
    const mount = join(dir, 'secrets/sigs-pull');
    await write('secrets/sigs-pull/..2026_01_01_00_00_00.000000000/.dockerconfigjson', '{"auths":{}}');
    await symlink('..2026_01_01_00_00_00.000000000', join(mount, '..data'));
    await symlink('..data/.dockerconfigjson', join(mount, '.dockerconfigjson'));
    const policy = cip('p', {
      images: GLOBS,
      authorities: [{ ...KEY_AUTHORITY, source: [{ signaturePullSecrets: [{ name: 'sigs-pull' }] }] }],
    });
    const { warnings, policySet } = await load(yamlDocuments(policy), {
      secretsDirectory: join(dir, 'secrets'),
    });
    expect(warnings).toEqual([]);
    expect(policySet.pullSecrets).toEqual({
      'sigs-pull': {
        namespace: 'cosign-system',
        name: 'sigs-pull',
        dockerConfigJson: '{"auths":{}}',
        from: mount,
      },
    });
  });

  it('refuses a key Secret that does not hold exactly one key, or holds something else', async () => {
    const two = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'release-key' },
      stringData: { a: PUBLIC_KEY, b: PUBLIC_KEY },
    };
    expect(await loadErrors(yamlDocuments(secretPolicy, two))).toEqual([
      'test.yaml: document 1 (ClusterImagePolicy "p"): spec.authorities[0].key.secretRef: Secret cosign-system/release-key (test.yaml: document 2 (Secret "release-key")) must hold exactly one entry, found 2',
    ]);
    const wrong = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'release-key' },
      stringData: { 'cosign.pub': CERTIFICATE },
    };
    expect(await loadErrors(yamlDocuments(secretPolicy, wrong))).toEqual([
      'test.yaml: document 1 (ClusterImagePolicy "p"): spec.authorities[0].key.secretRef: Secret cosign-system/release-key entry "cosign.pub": expected a PEM public key, found a "CERTIFICATE" block',
    ]);
    const notBase64 = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'other' },
      data: { k: 'not base64!' },
    };
    expect(await loadErrors(yamlDocuments(keyPolicy('q'), notBase64))).toEqual([
      'test.yaml: document 2 (Secret "other"): data.k: must be base64',
    ]);
  });

  it('does not read a Secret from another namespace for key.secretRef', async () => {
    const elsewhere = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'release-key', namespace: 'default' },
      stringData: { k: PUBLIC_KEY },
    };
    expect(await loadErrors(yamlDocuments(secretPolicy, elsewhere))).toEqual([
      'test.yaml: document 1 (ClusterImagePolicy "p"): spec.authorities[0].key.secretRef: Secret cosign-system/release-key was not supplied (add its Secret YAML to the policy sources, or a directory release-key/ holding the key file to the secrets directory)',
    ]);
  });

  it('refuses two Secrets with the same namespace and name', async () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'release-key' },
      stringData: { k: PUBLIC_KEY },
    };
    expect(await loadErrors(yamlDocuments(secretPolicy, secret, secret))).toEqual([
      'test.yaml: document 3 (Secret "release-key"): Secret cosign-system/release-key is also supplied by test.yaml: document 2 (Secret "release-key"); names must be unique',
    ]);
  });

  it('knows supplied pull secrets', async () => {
    const pull = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sigs-pull', namespace: 'apps' },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': base64('{"auths":{}}') },
    };
    const policy = cip('p', {
      images: GLOBS,
      authorities: [{ ...KEY_AUTHORITY, source: [{ signaturePullSecrets: [{ name: 'sigs-pull' }] }] }],
    });
    const { warnings, policySet } = await load(yamlDocuments(policy, pull));
    expect(warnings).toEqual([]);
    expect(policySet.policies[0]?.authorities[0]).toMatchObject({ source: { pullSecrets: ['sigs-pull'] } });
    expect(policySet.pullSecrets).toEqual({
      'sigs-pull': {
        namespace: 'apps',
        name: 'sigs-pull',
        dockerConfigJson: '{"auths":{}}',
        from: 'test.yaml: document 2 (Secret "sigs-pull")',
      },
    });
    // Not supplied: a warning, as policy-controller tolerates it; supplied twice or not a docker config: an error.
    const missing = await load(yamlDocuments(policy));
    expect(missing.warnings.map(formatIssue)).toEqual([
      'test.yaml: document 1 (ClusterImagePolicy "p"): spec.authorities[0].source[0].signaturePullSecrets[0]: pull secret "sigs-pull" was not supplied; signatures will be read with vouch\'s own registry credentials',
    ]);
    expect(missing.policySet.pullSecrets).toEqual({});
    const twice = { ...pull, metadata: { name: 'sigs-pull', namespace: 'ci' } };
    expect(await loadErrors(yamlDocuments(policy, pull, twice))).toEqual([
      'test.yaml: document 1 (ClusterImagePolicy "p"): spec.authorities[0].source[0].signaturePullSecrets[0]: pull secret "sigs-pull" is ambiguous: supplied in namespaces apps, ci',
    ]);
    const opaque = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sigs-pull' },
      stringData: { token: 'x' },
    };
    expect(await loadErrors(yamlDocuments(policy, opaque))).toEqual([
      'test.yaml: document 1 (ClusterImagePolicy "p"): spec.authorities[0].source[0].signaturePullSecrets[0]: pull secret cosign-system/sigs-pull (test.yaml: document 2 (Secret "sigs-pull")) holds no .dockerconfigjson (a kubernetes.io/dockerconfigjson Secret is expected)',
    ]);
  });

  it('resolves policy.configMapRef from a ConfigMap document, and checks the CEL it holds', async () => {
    const policy = cip('p', {
      images: GLOBS,
      authorities: [KEY_AUTHORITY],
      policy: { type: 'cel', configMapRef: { name: 'cel', key: 'policy' } },
    });
    const configMap = (expression: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cel', namespace: 'cosign-system' },
      data: { policy: expression },
    });
    const { policySet } = await load(yamlDocuments(policy, configMap('size(authorityMatches) > 0')));
    expect(policySet.policies[0]?.policy).toMatchObject({
      expression: 'size(authorityMatches) > 0',
      from: 'ConfigMap cosign-system/cel key policy',
    });
    expect(await loadErrors(yamlDocuments(policy, configMap('size(')))).toEqual([
      expect.stringMatching(
        /^test\.yaml: document 1 \(ClusterImagePolicy "p"\): spec\.policy\.configMapRef: CEL syntax error: /,
      ),
    ]);
    const noKey = { ...configMap('true'), data: { other: 'true' } };
    expect(await loadErrors(yamlDocuments(policy, noKey))).toEqual([
      'test.yaml: document 1 (ClusterImagePolicy "p"): spec.policy.configMapRef.key: ConfigMap cosign-system/cel (test.yaml: document 2 (ConfigMap "cel")) has no key "policy"',
    ]);
  });
});

describe('TrustRoot', () => {
  const keylessPolicy = cip('p', {
    images: GLOBS,
    authorities: [
      {
        keyless: {
          trustRootRef: 'corp',
          identities: [{ issuer: 'https://issuer.example', subjectRegExp: '@example\\.com$' }],
        },
        ctlog: { trustRootRef: 'corp' },
      },
    ],
  });
  const trustRoot = (spec: Record<string, unknown>) => ({
    apiVersion: 'policy.sigstore.dev/v1alpha1',
    kind: 'TrustRoot',
    metadata: { name: 'corp' },
    spec,
  });
  const ca = {
    subject: { organization: 'Example', commonName: 'Example CA' },
    uri: 'https://fulcio.example',
    certChain: base64(CERTIFICATE),
  };
  const tlog = { baseURL: 'https://rekor.example', hashAlgorithm: 'sha-256', publicKey: base64(PUBLIC_KEY) };

  it('validates and decodes sigstoreKeys', async () => {
    const { policySet } = await load(
      yamlDocuments(
        keylessPolicy,
        trustRoot({ sigstoreKeys: { certificateAuthorities: [ca], tLogs: [tlog] } }),
      ),
    );
    expect(policySet.trustRoots.corp).toMatchObject({
      name: 'corp',
      spec: {
        type: 'sigstoreKeys',
        certificateAuthorities: [
          {
            subject: { organization: 'Example', commonName: 'Example CA' },
            uri: 'https://fulcio.example',
            certChain: CERTIFICATE,
          },
        ],
        tLogs: [{ baseURL: 'https://rekor.example', hashAlgorithm: 'sha-256', publicKey: PUBLIC_KEY }],
        ctLogs: [],
        timestampAuthorities: [],
      },
      origin: 'test.yaml: document 2 (TrustRoot "corp")',
    });
  });

  it('validates remote and repository roots', async () => {
    const root = base64(JSON.stringify({ signed: {}, signatures: [] }));
    const remote = await load(
      yamlDocuments(keylessPolicy, trustRoot({ remote: { root, mirror: 'https://tuf.example' } })),
    );
    expect(remote.policySet.trustRoots.corp?.spec).toEqual({
      type: 'remote',
      root: JSON.stringify({ signed: {}, signatures: [] }),
      mirror: 'https://tuf.example',
      targets: 'targets',
      trustedRootTarget: 'trusted_root.json',
    });
    expect(
      await loadErrors(
        yamlDocuments(
          keylessPolicy,
          trustRoot({ repository: { root: base64('{"signed":{}}'), mirrorFS: 'x' } }),
        ),
      ),
    ).toEqual([
      'test.yaml: document 2 (TrustRoot "corp"): spec.repository.root: root.json has no signatures',
      'test.yaml: document 2 (TrustRoot "corp"): spec.repository.mirrorFS: must be base64 (of a tar.gz of the TUF repository)',
    ]);
  });

  it('locates TrustRoot errors, and explains PEM given where base64 is expected', async () => {
    expect(await loadErrors(yamlDocuments(keylessPolicy, trustRoot({})))).toEqual([
      'test.yaml: document 2 (TrustRoot "corp"): spec: expected exactly one of remote, repository, sigstoreKeys and trustedRootJSON, got none',
    ]);
    expect(
      await loadErrors(
        yamlDocuments(
          keylessPolicy,
          trustRoot({
            sigstoreKeys: {
              certificateAuthorities: [{ ...ca, certChain: CERTIFICATE }],
              tLogs: [{ ...tlog, hashAlgorithm: '' }],
            },
          }),
        ),
      ),
    ).toEqual([
      'test.yaml: document 2 (TrustRoot "corp"): spec.sigstoreKeys.certificateAuthorities[0].certChain: must be base64 of the PEM certificate chain (TrustRoot byte fields are base64), not the PEM itself',
      'test.yaml: document 2 (TrustRoot "corp"): spec.sigstoreKeys.tLogs[0].hashAlgorithm: required field is missing',
    ]);
  });

  it('warns about a TrustRoot no policy uses', async () => {
    const { warnings } = await load(yamlDocuments(keyPolicy('p'), trustRoot({ trustedRootJSON: '{}' })));
    expect(warnings.map(formatIssue)).toEqual([
      'test.yaml: document 2 (TrustRoot "corp"): TrustRoot "corp" is not referred to by any policy',
    ]);
  });
});

describe('verification config', () => {
  it('reads data and path sources and the no-match-policy', async () => {
    await write('shared/base.yaml', yamlDocuments(keyPolicy('from-path')));
    const config = await write(
      'config/verification.yaml',
      yamlDocuments({
        'no-match-policy': 'warn',
        policies: [{ data: yamlDocuments(keyPolicy('inline')) }, { path: '../shared/base.yaml' }],
      }),
    );
    const loaded = await loadPolicies([config]);
    expect(loaded.policySet.noMatchPolicy).toBe('warn');
    expect(loaded.policySet.policies.map((p) => [p.name, p.origin])).toEqual([
      ['from-path', `${dir}/shared/base.yaml: document 1 (ClusterImagePolicy "from-path")`],
      ['inline', `${config}: policies[0].data: document 1 (ClusterImagePolicy "inline")`],
    ]);
    expect((await loadPolicies([config], { noMatchPolicy: 'allow' })).policySet.noMatchPolicy).toBe('allow');
  });

  it('defaults to deny, and accepts an explicitly empty policy list', async () => {
    const config = await write('v.yaml', yamlDocuments({ policies: [] }));
    const loaded = await loadPolicies([config]);
    expect(loaded.policySet).toEqual({
      noMatchPolicy: 'deny',
      policies: [],
      trustRoots: {},
      pullSecrets: {},
    });
  });

  it('locates config errors', async () => {
    const config = await write(
      'v.yaml',
      yamlDocuments({
        'no-match-policy': 'maybe',
        policies: [
          { data: 'x', path: 'other.yaml' },
          { url: 'http://policies.example/p.yaml' },
          { url: 'https://policies.example/p.yaml' },
          { path: 'p.yaml', sha256sum: 'a'.repeat(64) },
          { data: yamlDocuments({ policies: [] }) },
        ],
        extra: true,
      }),
    );
    expect(await errorsOf([config])).toEqual([`${config}: document 1: unknown field "extra"`]);
    await write(
      'v.yaml',
      yamlDocuments({
        'no-match-policy': 'maybe',
        policies: [
          { data: 'x', path: 'other.yaml' },
          { url: 'http://policies.example/p.yaml' },
          { url: 'https://policies.example/p.yaml' },
          { path: 'p.yaml', sha256sum: 'a'.repeat(64) },
          { data: yamlDocuments({ policies: [] }) },
        ],
      }),
    );
    expect(await errorsOf([config])).toEqual([
      `${config}: document 1: no-match-policy: must be one of "allow", "warn", "deny" (got "maybe")`,
      `${config}: document 1: policies[0]: expected exactly one of data, path and url, got data and path`,
      `${config}: document 1: policies[1].url: must be an https URL (got http)`,
      `${config}: document 1: policies[2].sha256sum: required with url: a policy fetched over the network must name the sha256 of its body`,
      `${config}: document 1: policies[3].sha256sum: only applies to url`,
      `${config}: policies[4].data: document 1: a verification config cannot include another verification config`,
    ]);
  });

  it('refuses configs that disagree on no-match-policy', async () => {
    const a = await write('a.yaml', yamlDocuments({ 'no-match-policy': 'allow', policies: [] }));
    const b = await write('b.yaml', yamlDocuments({ 'no-match-policy': 'deny', policies: [] }));
    expect(await errorsOf([a, b])).toEqual([
      `${a}: document 1: no-match-policy: verification configs disagree on no-match-policy (allow, deny); give one, or override it`,
      `${b}: document 1: no-match-policy: verification configs disagree on no-match-policy (allow, deny); give one, or override it`,
    ]);
    expect((await loadPolicies([a, b], { noMatchPolicy: 'deny' })).policySet.noMatchPolicy).toBe('deny');
  });

  it('reports a missing path with the config entry that named it', async () => {
    const config = await write('v.yaml', yamlDocuments({ policies: [{ path: 'nowhere.yaml' }] }));
    expect(await errorsOf([config])).toEqual([
      `${dir}/nowhere.yaml: cannot read: no such file or directory (policies[0].path of ${config})`,
    ]);
  });
});

describe('mixed documents', () => {
  it('keeps a static policy and a signature policy side by side, sorted by name', async () => {
    const { policySet } = await load(
      yamlDocuments(
        keyPolicy('zeta'),
        cip(
          'alpha',
          { images: [{ glob: '**' }], authorities: [{ static: { action: 'pass' } }] },
          'policy.sigstore.dev/v1alpha1',
        ),
      ),
    );
    expect(policySet.policies.map((p) => p.name)).toEqual(['alpha', 'zeta']);
    expect(policySet.policies[1]?.authorities[0]).toMatchObject({ type: 'key', key: { pem: PUBLIC_KEY } });
  });
});
