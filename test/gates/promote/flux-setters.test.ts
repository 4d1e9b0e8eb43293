/**
 * Flux's own setter test data (image-automation-controller's `TestUpdateWithSetters`) through
 * `vouch update`: the ImagePolicy `automation-ns/policy` elects from the repository `updated`, while
 * Git's marked value still names another one (`image:v1.0.0`). vouch writes what Flux writes, plus the
 * verified digest — and a tag of the other repository is no floor for the election (issue 15 item 13).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GitRepository } from '../../../src/gates/promote/git.js';
import { DEFAULT_MESSAGE_TEMPLATE, MessageTemplate } from '../../../src/gates/promote/message.js';
import { runUpdate, type UpdateDependencies } from '../../../src/gates/promote/update.js';
import type { PolicySet } from '../../../src/policy/index.js';
import { RegistryClient } from '../../../src/registry/index.js';
import { buildImage, pushArtifact, startRegistry, type TestRegistry } from '../../harness/index.js';
import { createRepos, engineFor, keyPolicy, newKey, signArtifact } from './helpers.js';

const SETTERS = new URL('../../fixtures/flux-image-automation/setters/', import.meta.url).pathname;
/** The files of Flux's test whose expected output depends only on the policies below. */
const FILES = ['marked.yaml', 'Kustomization', 'unmarked.yaml'];

let registry: TestRegistry;
let client: RegistryClient;
let policySet: PolicySet;
const digest: Record<string, string> = {};
const engines: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient();
  const key = await newKey();
  policySet = await keyPolicy('release', `${registry.host}/**`, key);
  for (const tag of ['v0.9.0', 'v1.0.1']) {
    const repo = { registry: registry.host, repository: 'updated' };
    const image = buildImage({ seed: `updated-${tag}` });
    digest[tag] = await pushArtifact(client, repo, image, tag);
    await signArtifact(client, repo, image, key);
  }
});

afterAll(async () => {
  await client?.close();
  await registry?.stop();
});

afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

/** Flux's ImageRepository for `updated` and its ImagePolicy `automation-ns/policy` (a semver range). */
function fluxObjects(range: string): string {
  return `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: updated, namespace: automation-ns}
spec: {image: ${registry.host}/updated, interval: 1m}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: policy, namespace: automation-ns}
spec:
  imageRepositoryRef: {name: updated}
  policy: {semver: {range: "${range}"}}
`;
}

async function runSetters(range: string) {
  const files: Record<string, string> = { 'flux/images.yaml': fluxObjects(range) };
  for (const name of FILES)
    files[`setters/${name}`] = await readFile(join(SETTERS, 'original', name), 'utf8');
  const repos = await createRepos(files);
  const repository = await GitRepository.open(repos.work);
  const engine = engineFor(policySet);
  engines.push(engine);
  const deps: UpdateDependencies = { checker: async () => engine.engine, registryFor: async () => client };
  const report = await runUpdate(
    {
      repository,
      scanPath: join(repository.root, 'setters'),
      images: [join(repository.root, 'flux')],
      messageTemplate: MessageTemplate.parse(DEFAULT_MESSAGE_TEMPLATE),
      dryRun: false,
      timeoutMs: 10_000,
    },
    deps,
  );
  const written: Record<string, string> = {};
  for (const name of FILES) written[name] = await readFile(join(repos.work, 'setters', name), 'utf8');
  return { report, written };
}

/** Flux's expected output, with vouch's registry and the verified digest of the elected tag. */
async function fluxExpected(tag: string): Promise<Record<string, string>> {
  const expected: Record<string, string> = {};
  for (const name of FILES) {
    const text = await readFile(
      join(SETTERS, name === 'unmarked.yaml' ? 'original' : 'expected', name),
      'utf8',
    );
    expected[name] = text
      .replace(
        'image: index.repo.fake/updated:v1.0.1 ',
        `image: ${registry.host}/updated:${tag}@${digest[tag]} `,
      )
      .replace('newName: index.repo.fake/updated ', `newName: ${registry.host}/updated `)
      .replace('newTag: v1.0.1 ', `newTag: ${tag} `);
  }
  return expected;
}

describe("Flux's setter test data through vouch update", () => {
  it('moves image:v1.0.0 to updated:v1.0.1 as Flux does, with the verified digest', async () => {
    const { report, written } = await runSetters('>=1.0.0');
    expect(written).toEqual(await fluxExpected('v1.0.1'));
    expect(report.policies.find((p) => p.policy === 'automation-ns/policy')).toMatchObject({
      outcome: 'updated',
      chosen: { tag: 'v1.0.1', digest: digest['v1.0.1'] },
    });
    expect(report.commit).toBeDefined();
  });

  it('does not take the tag of the repository Git names now as a floor for another repository', async () => {
    // `image:v1.0.0` pins v1.0.0 of `image`, not of `updated`: v0.9.0 of `updated` is no downgrade.
    const { report, written } = await runSetters('<1.0.0');
    const policy = report.policies.find((p) => p.policy === 'automation-ns/policy');
    expect(policy?.message).toBeUndefined();
    expect(policy).toMatchObject({ outcome: 'updated', chosen: { tag: 'v0.9.0', digest: digest['v0.9.0'] } });
    expect(policy?.pinned).toBeUndefined();
    expect(written).toEqual(await fluxExpected('v0.9.0'));
  });
});
