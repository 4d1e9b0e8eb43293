import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PromoteError } from '../../../src/gates/promote/errors.js';
import { loadFluxObjects } from '../../../src/gates/promote/flux/load.js';
import { tempDir } from '../../harness/index.js';

const REPOSITORY = `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  image: ghcr.io/stefanprodan/podinfo
  interval: 5m
  secretRef:
    name: ghcr-pull
  exclusionList:
    - "^.*\\\\.sig$"
    - "^dev-"
status:
  canonicalImageName: ghcr.io/stefanprodan/podinfo
`;

const POLICY = `apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: podinfo
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: podinfo
  filterTags:
    pattern: '^(?P<version>[0-9.]+)-linux$'
    extract: '$version'
  policy:
    semver:
      range: '>=5.0.0 <7.0.0'
  digestReflectionPolicy: IfNotPresent
`;

async function write(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
}

async function loadError(files: Record<string, string>): Promise<PromoteError> {
  const dir = await tempDir('flux-objects');
  await write(dir, files);
  const error = await loadFluxObjects([dir], { explicit: true }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PromoteError);
  return error as PromoteError;
}

describe('loading Flux objects', () => {
  it('reads v1 and v1beta2 objects from a directory tree, multi-document files and Lists', async () => {
    const dir = await tempDir('flux-objects');
    await write(dir, {
      'clusters/prod/podinfo.yaml': `${REPOSITORY}---\n${POLICY}`,
      'clusters/prod/other.yml': `apiVersion: v1
kind: List
items:
  - apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImageRepository
    metadata: { name: app, namespace: apps }
    spec: { image: 127.0.0.1:5000/team/app, interval: 1m, insecure: true }
  - apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImagePolicy
    metadata: { name: app, namespace: apps }
    spec:
      imageRepositoryRef: { name: app }
      policy: { numerical: { order: desc } }
  - apiVersion: apps/v1
    kind: Deployment
    metadata: { name: unrelated }
`,
      'clusters/prod/nested/automation.yaml': `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: { name: auto }
spec: { sourceRef: { kind: GitRepository, name: flux-system } }
`,
      'clusters/prod/README.md': 'not yaml: [',
    });
    const objects = await loadFluxObjects([dir], { explicit: true });
    expect([...objects.repositories.keys()].sort()).toEqual(['apps/app', 'flux-system/podinfo']);
    expect([...objects.policies.keys()].sort()).toEqual(['apps/app', 'flux-system/podinfo']);

    const podinfo = objects.repositories.get('flux-system/podinfo');
    expect(podinfo).toMatchObject({
      registry: 'ghcr.io',
      repository: 'stefanprodan/podinfo',
      spec: { secretRef: { name: 'ghcr-pull' }, exclusionList: ['^.*\\.sig$', '^dev-'] },
    });
    expect(podinfo?.location.line).toBe(1);
    expect(objects.repositories.get('apps/app')?.spec.insecure).toBe(true);

    const policy = objects.policies.get('flux-system/podinfo');
    expect(policy?.repositoryKey).toBe('flux-system/podinfo');
    expect(policy?.spec.digestReflectionPolicy).toBe('IfNotPresent');
    expect(policy?.location.line).toBe(17);
    // The policy is live: filter, extract, range and the repository's exclusions all apply.
    expect(
      policy?.tagPolicy
        .rank(['5.1.0-linux', '6.0.1-linux', '7.0.0-linux', '6.0.2-windows', 'dev-6.9.0-linux'])
        .candidates.map((c) => c.tag),
    ).toEqual(['6.0.1-linux', '5.1.0-linux']);
    // Order defaults: numerical desc elects the smallest number.
    expect(objects.policies.get('apps/app')?.tagPolicy.rank(['3', '1', '2']).candidates[0]?.tag).toBe('1');
    expect(objects.warnings.join('\n')).toMatch(/ImageUpdateAutomation objects are not read/);
  });

  it('reads single files, and puts objects without a namespace in flux-system', async () => {
    const dir = await tempDir('flux-objects');
    await write(dir, {
      'repo.yaml': REPOSITORY.replace('  namespace: flux-system\n', ''),
      'policy.yaml': POLICY.replace('  namespace: flux-system\n', ''),
    });
    const objects = await loadFluxObjects([join(dir, 'repo.yaml'), join(dir, 'policy.yaml')], {
      explicit: true,
    });
    expect(objects.policies.get('flux-system/podinfo')?.repositoryKey).toBe('flux-system/podinfo');
  });

  it('notes the fields it does not act on', async () => {
    const dir = await tempDir('flux-objects');
    await write(dir, {
      'repo.yaml': REPOSITORY.replace(
        '  interval: 5m\n',
        '  interval: 5m\n  provider: aws\n  certSecretRef: { name: ca }\n',
      ),
    });
    const objects = await loadFluxObjects([dir], { explicit: true });
    expect(objects.warnings).toEqual([
      expect.stringMatching(
        /spec\.certSecretRef is not used by vouch \(give CA certificates with --ca-file\)/,
      ),
      expect.stringMatching(/spec\.provider is not used by vouch/),
    ]);
  });

  it('skips unparsable YAML while scanning, but not when the file was named explicitly', async () => {
    const dir = await tempDir('flux-objects');
    await write(dir, {
      'chart/templates/deploy.yaml': 'image: {{ .Values.image }}\n  bad: [\n# image.toolkit.fluxcd.io\n',
      'repo.yaml': REPOSITORY,
    });
    const scanned = await loadFluxObjects([dir], { explicit: false });
    expect(scanned.repositories.size).toBe(1);
    expect(scanned.warnings.join('\n')).toMatch(/skipped .*deploy\.yaml: not valid YAML/);
    const error = await loadFluxObjects([join(dir, 'chart/templates/deploy.yaml')], { explicit: true }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PromoteError);
    expect((error as PromoteError).message).toMatch(/deploy\.yaml:\d+:\d+: /);
  });
});

describe('invalid Flux objects are errors that name file, line, column and field', () => {
  it.each([
    [
      'an unknown field',
      POLICY.replace('  digestReflectionPolicy', '  digestReflectionPolcy'),
      /policy\.yaml:15:3: ImagePolicy flux-system\/podinfo: spec\.digestReflectionPolcy: unknown field "digestReflectionPolcy"/,
    ],
    [
      'two policy choices',
      POLICY.replace("      range: '>=5.0.0 <7.0.0'", "      range: '>=5.0.0'\n    alphabetical: {}"),
      /policy\.yaml:13:5: .*spec\.policy: exactly one of semver, alphabetical or numerical is allowed, got semver and alphabetical/,
    ],
    [
      'no policy choice',
      POLICY.replace(/ {4}semver:\n.*\n/, '    {}\n'),
      /spec\.policy: exactly one of semver, alphabetical or numerical is required/,
    ],
    [
      'an invalid semver range',
      POLICY.replace("'>=5.0.0 <7.0.0'", "'>=5.0.0 <'"),
      /policy\.yaml:14:14: .*spec\.policy\.semver\.range: invalid semver range ">=5\.0\.0 <": improper constraint/,
    ],
    [
      'a pattern Go would reject',
      POLICY.replace("'^(?P<version>[0-9.]+)-linux$'", "'^(?=x)'"),
      /policy\.yaml:10:14: .*spec\.filterTags\.pattern: invalid regular expression/,
    ],
    [
      'an extract naming a missing group',
      POLICY.replace("'$version'", "'$ts'"),
      /policy\.yaml:11:14: .*spec\.filterTags\.extract: .*refers to group "ts", which the pattern does not name/,
    ],
    [
      'a bad order',
      POLICY.replace(
        "    semver:\n      range: '>=5.0.0 <7.0.0'",
        '    alphabetical:\n      order: ascending',
      ),
      /spec\.policy\.alphabetical\.order: Invalid option: expected one of "asc"\|"desc"/,
    ],
    [
      'interval without digestReflectionPolicy Always',
      POLICY.replace('  digestReflectionPolicy: IfNotPresent', '  interval: 5m'),
      /spec\.interval: spec\.interval is only accepted when spec\.digestReflectionPolicy is set to 'Always'/,
    ],
    [
      'digestReflectionPolicy Always without interval',
      POLICY.replace('IfNotPresent', 'Always'),
      /spec\.digestReflectionPolicy: spec\.interval must be set/,
    ],
    [
      'an unsupported apiVersion',
      POLICY.replace('v1beta2', 'v1alpha1'),
      /policy\.yaml:1:13: ImagePolicy image\.toolkit\.fluxcd\.io\/v1alpha1 is not supported/,
    ],
  ])('%s', async (_name, policy, expected) => {
    const error = await loadError({ 'repo.yaml': REPOSITORY, 'policy.yaml': policy });
    expect(error.code).toBe('INVALID_OBJECT');
    expect(error.message).toMatch(expected);
  });

  it.each([
    [
      'an image with a tag',
      REPOSITORY.replace('podinfo\n  interval', 'podinfo:6.0.0\n  interval'),
      /spec\.image: image "ghcr\.io\/stefanprodan\/podinfo:6\.0\.0" must not contain a tag/,
    ],
    [
      'an image with a scheme',
      REPOSITORY.replace('ghcr.io/', 'https://ghcr.io/'),
      /must not contain a scheme/,
    ],
    [
      'a missing interval',
      REPOSITORY.replace('  interval: 5m\n', ''),
      /repo\.yaml:7:3: .*spec\.interval: Invalid input: expected string, received undefined/,
    ],
    [
      'a bad exclusion',
      REPOSITORY.replace('"^dev-"', '"(unclosed"'),
      /repo\.yaml:13:7: .*spec\.exclusionList\[1\]: invalid exclusion pattern/,
    ],
    [
      '26 exclusions',
      REPOSITORY.replace('    - "^dev-"\n', '    - "^dev-"\n'.repeat(25)),
      /spec\.exclusionList: Too big/,
    ],
    [
      'a bad provider',
      REPOSITORY.replace('  interval: 5m\n', '  interval: 5m\n  provider: oracle\n'),
      /spec\.provider: Invalid option/,
    ],
    [
      'an unknown top-level field',
      `${REPOSITORY}extra: 1\n`,
      /repo\.yaml:16:1: ImageRepository flux-system\/podinfo: extra: unknown field "extra"$/,
    ],
  ])('%s', async (_name, repository, expected) => {
    const error = await loadError({ 'repo.yaml': repository, 'policy.yaml': POLICY });
    expect(error.message).toMatch(expected);
  });

  it('reports every problem at once', async () => {
    const error = await loadError({
      'repo.yaml': REPOSITORY.replace('  interval: 5m\n', ''),
      'policy.yaml': POLICY.replace("'$version'", "'$ts'"),
    });
    expect(error.message.split('\n')).toHaveLength(2);
  });

  it('rejects a policy whose repository was not loaded', async () => {
    const error = await loadError({ 'policy.yaml': POLICY });
    expect(error.code).toBe('DANGLING_REFERENCE');
    expect(error.message).toMatch(
      /policy\.yaml:8:5: ImagePolicy flux-system\/podinfo: spec\.imageRepositoryRef: ImageRepository flux-system\/podinfo is not among the loaded objects/,
    );
  });

  it('rejects an object defined twice', async () => {
    const error = await loadError({
      'repo.yaml': REPOSITORY,
      'again.yaml': REPOSITORY,
      'policy.yaml': POLICY,
    });
    expect(error.code).toBe('DUPLICATE_OBJECT');
    expect(error.message).toMatch(
      /repo\.yaml:1:1: ImageRepository flux-system\/podinfo is defined twice \(first at .*again\.yaml:1:1\)/,
    );
  });
});
