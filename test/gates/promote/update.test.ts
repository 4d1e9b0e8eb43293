/**
 * One round of `vouch update` (runUpdate) against the real registry, real cosign signatures, the real
 * policy engine, and a real bare Git repository on disk.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createImageChecker, type ImageCheckerHandle } from '../../../src/cli/checker.js';
import { AccessPool, RegistryClients } from '../../../src/gates/promote/clients.js';
import { PromoteError } from '../../../src/gates/promote/errors.js';
import { GitRepository } from '../../../src/gates/promote/git.js';
import { DEFAULT_MESSAGE_TEMPLATE, MessageTemplate } from '../../../src/gates/promote/message.js';
import { renderText } from '../../../src/gates/promote/report.js';
import { loadPullSecrets } from '../../../src/gates/promote/secrets.js';
import { runUpdate, type UpdateDependencies, type UpdateOptions } from '../../../src/gates/promote/update.js';
import type { PolicySet } from '../../../src/policy/index.js';
import { anonymous, RegistryClient } from '../../../src/registry/index.js';
import type { PrivateKey } from '../../../src/signature/index.js';
import {
  buildImage,
  buildIndex,
  pushArtifact,
  startRegistry,
  type TestRegistry,
  tempDir,
} from '../../harness/index.js';
import {
  createRepos,
  engineFor,
  git,
  keyPolicy,
  newKey,
  RecordingChecker,
  signArtifact,
  writeFiles,
} from './helpers.js';

const run = promisify(execFile);

let registry: TestRegistry;
let client: RegistryClient;
let host: string;
let release: PrivateKey;
let stranger: PrivateKey;
/** Images must be signed by `release` (ClusterImagePolicy `release`, every repository of the registry). */
let policySet: PolicySet;
/** `acme/app:<tag>` and `acme/down:<tag>` → digest. */
const digest: Record<string, string> = {};

beforeAll(async () => {
  registry = await startRegistry();
  host = registry.host;
  client = new RegistryClient();
  [release, stranger] = await Promise.all([newKey(), newKey()]);
  policySet = await keyPolicy('release', `${host}/**`, release);
  const push = async (
    repository: string,
    tag: string,
    artifact: ReturnType<typeof buildImage> | ReturnType<typeof buildIndex>,
    signer?: PrivateKey,
  ) => {
    const repo = { registry: host, repository };
    digest[`${repository}:${tag}`] = await pushArtifact(client, repo, artifact, tag);
    if (signer) await signArtifact(client, repo, artifact, signer);
  };
  // acme/app: v1.2.0 is a signed multi-platform index; the newest, v1.3.0, is unsigned.
  await push('acme/app', 'v1.0.0', buildImage({ seed: 'v1.0.0' }), release);
  await push('acme/app', 'v1.1.0', buildImage({ seed: 'v1.1.0' }), release);
  await push('acme/app', 'v1.2.0', buildIndex({ seed: 'v1.2.0' }), release);
  await push('acme/app', 'v1.3.0', buildImage({ seed: 'v1.3.0' }));
  await push('acme/app', 'latest', buildImage({ seed: 'latest' }), release);
  // acme/down: the two newest are signed, but with the wrong key.
  await push('acme/down', 'v1.0.0', buildImage({ seed: 'down-v1.0.0' }), release);
  await push('acme/down', 'v1.1.0', buildImage({ seed: 'down-v1.1.0' }), release);
  await push('acme/down', 'v1.2.0', buildImage({ seed: 'down-v1.2.0' }), stranger);
  await push('acme/down', 'v1.3.0', buildImage({ seed: 'down-v1.3.0' }), stranger);
});

afterAll(async () => {
  await client?.close();
  await registry?.stop();
});

/** Engines made by `deps`, closed after each test. */
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((engine) => engine.close()));
});

function flux(extra = '', repository = 'acme/app'): string {
  return `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
  namespace: flux-system
spec:
  image: ${host}/${repository}
  interval: 1m${extra}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: ">=1.0.0"
`;
}

function deploy(tag: string, repository = 'acme/app'): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app # the app
spec:
  template:
    spec:
      containers:
        - name: app
          image: "${host}/${repository}:${tag}@${digest[`${repository}:${tag}`]}" # {"$imagepolicy": "flux-system:app"}
          ports: [{containerPort: 8080}]
`;
}

function values(tag: string, repository = 'acme/app'): string {
  return `# Helm values
image:
  repository: ${host}/${repository}  # {"$imagepolicy": "flux-system:app:name"}
  tag: '${tag}'  # {"$imagepolicy": "flux-system:app:tag"}
  digest: ${digest[`${repository}:${tag}`]}  # {"$imagepolicy": "flux-system:app:digest"}
`;
}

function kustomization(tag: string, repository = 'acme/app'): string {
  return `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deploy.yaml]
images:
  - name: app
    newName: ${host}/${repository} # {"$imagepolicy": "flux-system:app:name"}
    newTag: ${tag} # {"$imagepolicy": "flux-system:app:tag"}
    digest: ${digest[`${repository}:${tag}`]} # {"$imagepolicy": "flux-system:app:digest"}
`;
}

/** Two marked files (a Deployment, Helm values) and a kustomization, plus the Flux objects as YAML. */
function files(tag: string, repository = 'acme/app'): Record<string, string> {
  return {
    'clusters/prod/flux-system/images.yaml': flux('', repository),
    'clusters/prod/apps/deploy.yaml': deploy(tag, repository),
    'clusters/prod/apps/values.yaml': values(tag, repository),
    'clusters/prod/apps/kustomization.yaml': kustomization(tag, repository),
  };
}

async function options(work: string, extra: Partial<UpdateOptions> = {}): Promise<UpdateOptions> {
  const repository = await GitRepository.open(work);
  return {
    repository,
    scanPath: join(repository.root, 'clusters/prod'),
    author: { name: 'vouch bot', email: 'vouch@example.test' },
    messageTemplate: MessageTemplate.parse(DEFAULT_MESSAGE_TEMPLATE),
    dryRun: false,
    timeoutMs: 10_000,
    ...extra,
  };
}

/** The real engine (fresh cache, own registry client) behind a recorder; tags are listed with `client`. */
function deps(hooks: ConstructorParameters<typeof RecordingChecker>[1] = {}): UpdateDependencies & {
  recorder: RecordingChecker;
} {
  const engine = engineFor(policySet);
  opened.push(engine);
  const recorder = new RecordingChecker(engine.engine, hooks);
  return { recorder, checker: async () => recorder, registryFor: async () => client };
}

async function snapshot(work: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(files('v1.0.0'))) out[name] = await readFile(join(work, name), 'utf8');
  return out;
}

describe('vouch update, one round', () => {
  it('--dry-run prints the diff and the selection report and changes nothing', async () => {
    const repos = await createRepos(files('v1.0.0'));
    const before = await snapshot(repos.work);
    const head = await git(repos.work, 'rev-parse', 'HEAD');
    const report = await runUpdate(await options(repos.work, { dryRun: true }), deps());

    expect(report.ok).toBe(true);
    expect(report.policies).toHaveLength(1);
    expect(report.policies[0]).toMatchObject({
      policy: 'flux-system/app',
      outcome: 'updated',
      chosen: {
        tag: 'v1.2.0',
        digest: digest['acme/app:v1.2.0'],
        reference: `${host}/acme/app:v1.2.0@${digest['acme/app:v1.2.0']}`,
      },
      rejected: [{ tag: 'v1.3.0', reason: 'unsigned' }],
      pinned: { tag: 'v1.0.0', digest: digest['acme/app:v1.0.0'] },
      tags: { listed: 9, artefacts: 4, candidates: 4, considered: 4, pages: 1 }, // 4 signature tags
    });
    expect(report.changes.map((change) => `${change.file}:${change.line} ${change.setter}`)).toEqual([
      'clusters/prod/apps/deploy.yaml:10 flux-system:app',
      'clusters/prod/apps/kustomization.yaml:7 flux-system:app:tag',
      'clusters/prod/apps/kustomization.yaml:8 flux-system:app:digest',
      'clusters/prod/apps/values.yaml:4 flux-system:app:tag',
      'clusters/prod/apps/values.yaml:5 flux-system:app:digest',
    ]);
    expect(report.diff).toContain(
      '--- a/clusters/prod/apps/kustomization.yaml\n+++ b/clusters/prod/apps/kustomization.yaml\n',
    );
    expect(report.diff).toContain(
      '-    newTag: v1.0.0 # {"$imagepolicy": "flux-system:app:tag"}\n' +
        `-    digest: ${digest['acme/app:v1.0.0']} # {"$imagepolicy": "flux-system:app:digest"}\n` +
        '+    newTag: v1.2.0 # {"$imagepolicy": "flux-system:app:tag"}\n' +
        `+    digest: ${digest['acme/app:v1.2.0']} # {"$imagepolicy": "flux-system:app:digest"}\n`,
    );
    expect(report.diff).toContain(
      `-          image: "${host}/acme/app:v1.0.0@${digest['acme/app:v1.0.0']}" # {"$imagepolicy": "flux-system:app"}\n` +
        `+          image: "${host}/acme/app:v1.2.0@${digest['acme/app:v1.2.0']}" # {"$imagepolicy": "flux-system:app"}\n`,
    );
    expect(report.diff).not.toContain('flux-system/images.yaml');
    expect(renderText(report).join('\n')).toMatch(
      /✘ v1\.3\.0@sha256:[0-9a-f]{12}… {2}unsigned: failed policy: release: .*no signatures found for sha256:[0-9a-f]{64}.*\n {2}✔ v1\.2\.0@sha256:[0-9a-f]{12}… {2}verified\n {2}→ would write/,
    );

    expect(await snapshot(repos.work)).toEqual(before);
    expect(await git(repos.work, 'rev-parse', 'HEAD')).toBe(head);
    expect(await git(repos.work, 'status', '--porcelain')).toBe('');
    expect(await git(repos.remote, 'rev-parse', 'main')).toBe(head);
  });

  it('commits with the author and message template, pushes to the bare repository, and a second run commits nothing', async () => {
    const repos = await createRepos(files('v1.0.0'));
    const template = MessageTemplate.parse(
      'promote: verified images\n\n{{range .Changes}}{{.File}} {{.Setter}} {{.OldValue}} -> {{.NewValue}}\n{{end}}',
    );
    const report = await runUpdate(
      await options(repos.work, { push: {}, messageTemplate: template }),
      deps(),
    );
    expect(report.commit?.pushed).toEqual({ remote: 'origin', branch: 'main' });
    expect(await git(repos.remote, 'rev-parse', 'main')).toBe(report.commit?.sha);

    // The bare repository has exactly the expected bytes: only the marked values changed.
    const expected = files('v1.2.0');
    for (const name of [
      'clusters/prod/apps/deploy.yaml',
      'clusters/prod/apps/values.yaml',
      'clusters/prod/apps/kustomization.yaml',
    ])
      expect(await git(repos.remote, 'show', `main:${name}`)).toBe((expected[name] as string).trimEnd());
    expect(await git(repos.remote, 'show', 'main:clusters/prod/flux-system/images.yaml')).toBe(
      flux().trimEnd(),
    );

    const log = await git(repos.remote, 'log', '-1', '--format=%an <%ae>%n%cn <%ce>%n%B', 'main');
    const [author, committer, ...body] = log.split('\n');
    expect(author).toBe('vouch bot <vouch@example.test>');
    expect(committer).toBe('Repo Owner <owner@example.test>'); // the repository's own identity commits
    expect(body.join('\n')).toBe(
      [
        'promote: verified images',
        '',
        `clusters/prod/apps/deploy.yaml flux-system:app ${host}/acme/app:v1.0.0@${digest['acme/app:v1.0.0']} -> ${host}/acme/app:v1.2.0@${digest['acme/app:v1.2.0']}`,
        'clusters/prod/apps/kustomization.yaml flux-system:app:tag v1.0.0 -> v1.2.0',
        `clusters/prod/apps/kustomization.yaml flux-system:app:digest ${digest['acme/app:v1.0.0']} -> ${digest['acme/app:v1.2.0']}`,
        'clusters/prod/apps/values.yaml flux-system:app:tag v1.0.0 -> v1.2.0',
        `clusters/prod/apps/values.yaml flux-system:app:digest ${digest['acme/app:v1.0.0']} -> ${digest['acme/app:v1.2.0']}`,
      ].join('\n'),
    );
    expect(await git(repos.work, 'status', '--porcelain')).toBe('');

    const again = await runUpdate(await options(repos.work, { push: {} }), deps());
    expect(again.commit).toBeUndefined();
    expect(again.changes).toEqual([]);
    expect(again.policies[0]?.outcome).toBe('current');
    expect(await git(repos.remote, 'rev-parse', 'main')).toBe(report.commit?.sha);
    expect(renderText(again).at(-1)).toBe('nothing to commit');
  });

  it('pushes to another branch with --branch, leaving the remote main as it was', async () => {
    const repos = await createRepos(files('v1.0.0'));
    const main = await git(repos.remote, 'rev-parse', 'main');
    const report = await runUpdate(await options(repos.work, { push: { branch: 'image-updates' } }), deps());
    expect(report.commit?.pushed).toEqual({ remote: 'origin', branch: 'image-updates' });
    expect(await git(repos.remote, 'rev-parse', 'image-updates')).toBe(report.commit?.sha);
    expect(await git(repos.remote, 'rev-parse', 'main')).toBe(main);
  });

  it('rejects candidates signed with the wrong key, saying so, and writes the newest one the key signed', async () => {
    const repos = await createRepos(files('v1.0.0', 'acme/down'));
    const report = await runUpdate(await options(repos.work), deps());
    expect(report.ok).toBe(true);
    const policy = report.policies[0];
    expect(policy).toMatchObject({
      outcome: 'updated',
      chosen: { tag: 'v1.1.0', digest: digest['acme/down:v1.1.0'] },
      rejected: [
        { tag: 'v1.3.0', digest: digest['acme/down:v1.3.0'], reason: 'wrong-signer' },
        { tag: 'v1.2.0', digest: digest['acme/down:v1.2.0'], reason: 'wrong-signer' },
      ],
    });
    expect(policy?.rejected[0]?.message).toMatch(
      /^failed policy: release: .*no signature of sha256:[0-9a-f]{64} verified: .*does not verify over the payload with key/,
    );
    const text = renderText(report).join('\n');
    expect(text).toMatch(/✘ v1\.3\.0@sha256:[0-9a-f]{12}… {2}wrong-signer: failed policy: release:/);
    expect(text).not.toMatch(/unsigned/);
    expect(await git(repos.remote, 'show', 'main:clusters/prod/apps/values.yaml')).toBe(
      values('v1.0.0', 'acme/down').trimEnd(),
    ); // committed, not pushed
    expect(await readFile(join(repos.work, 'clusters/prod/apps/values.yaml'), 'utf8')).toBe(
      values('v1.1.0', 'acme/down'),
    );
  });

  it('never downgrades: candidates older than what Git pins are not even verified', async () => {
    const repos = await createRepos(files('v1.2.0', 'acme/down'));
    const first = deps();
    const report = await runUpdate(await options(repos.work), first);
    expect(report.ok).toBe(false);
    expect(report.commit).toBeUndefined();
    expect(report.policies[0]).toMatchObject({
      outcome: 'no-candidate',
      message: 'no candidate newer than or equal to v1.2.0 (which Git pins) verifies',
      tags: { candidates: 4, considered: 2 },
      rejected: [
        { tag: 'v1.3.0', reason: 'wrong-signer' },
        { tag: 'v1.2.0', reason: 'wrong-signer' },
      ],
    });
    expect(first.recorder.tags).toEqual(['v1.3.0', 'v1.2.0']);
    expect(await git(repos.work, 'status', '--porcelain')).toBe('');

    const downgrade = await runUpdate(await options(repos.work, { allowDowngrade: true }), deps());
    expect(downgrade.policies[0]?.chosen?.tag).toBe('v1.1.0');
    expect(await readFile(join(repos.work, 'clusters/prod/apps/kustomization.yaml'), 'utf8')).toBe(
      files('v1.1.0', 'acme/down')['clusters/prod/apps/kustomization.yaml'],
    );
  });

  it('writes the digest it verified when the tag is re-pointed to new content after verification', async () => {
    const repo = { registry: host, repository: 'acme/moving' };
    const verifiedImage = buildImage({ seed: 'moving-verified' });
    const slipped = buildImage({ seed: 'moving-slipped-in' });
    await pushArtifact(client, repo, buildImage({ seed: 'moving-old' }), '1.0.0');
    await pushArtifact(client, repo, verifiedImage, '2.0.0');
    await signArtifact(client, repo, verifiedImage, release);
    const repos = await createRepos({
      'clusters/prod/flux-system/images.yaml': flux('', 'acme/moving'),
      'clusters/prod/apps/deploy.yaml': `image: ${host}/acme/moving:1.0.0 # {"$imagepolicy": "flux-system:app"}\n`,
    });
    // The moment the engine has said "verified" for 2.0.0, and before anything is written, the tag is
    // moved to other (unsigned) content, as a compromised pipeline or a careless re-push would.
    let repointed = false;
    const report = await runUpdate(
      await options(repos.work, { push: {} }),
      deps({
        after: async (image, verdict) => {
          if (!image.endsWith(':2.0.0') || !verdict.allowed) return;
          expect(verdict.digest).toBe(verifiedImage.digest);
          await pushArtifact(client, repo, slipped, '2.0.0');
          repointed = true;
        },
      }),
    );
    expect(repointed).toBe(true);
    expect((await client.resolve({ ...repo, tag: '2.0.0' })).digest).toBe(slipped.digest);
    expect(report.policies[0]?.chosen).toMatchObject({ tag: '2.0.0', digest: verifiedImage.digest });
    expect(await git(repos.remote, 'show', 'main:clusters/prod/apps/deploy.yaml')).toBe(
      `image: ${host}/acme/moving:2.0.0@${verifiedImage.digest} # {"$imagepolicy": "flux-system:app"}`,
    );
  });

  it('skips a signed index that cannot be pulled (a platform manifest is gone), saying why', async () => {
    const repo = { registry: host, repository: 'acme/broken' };
    const older = buildImage({ seed: 'broken-1.0.0' });
    const index = buildIndex({ seed: 'broken-2.0.0' });
    await pushArtifact(client, repo, older, '1.0.0');
    await signArtifact(client, repo, older, release);
    await pushArtifact(client, repo, index, '2.0.0');
    await signArtifact(client, repo, index, release);
    const arm = index.images[1]?.digest as string;
    const deleted = await fetch(`${registry.url}/v2/acme/broken/manifests/${arm}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);
    const repos = await createRepos({
      'clusters/prod/flux-system/images.yaml': flux('', 'acme/broken'),
      'clusters/prod/apps/deploy.yaml': 'image: old # {"$imagepolicy": "flux-system:app"}\n',
    });
    const report = await runUpdate(await options(repos.work, { push: {} }), deps());
    expect(report.policies[0]).toMatchObject({
      outcome: 'updated',
      chosen: { tag: '1.0.0', digest: older.digest },
      rejected: [{ tag: '2.0.0', digest: index.digest, reason: 'not-pullable' }],
    });
    expect(report.policies[0]?.rejected[0]?.message).toMatch(new RegExp(`acme/broken@${arm} not found`));
    expect(await git(repos.remote, 'show', 'main:clusters/prod/apps/deploy.yaml')).toBe(
      `image: ${host}/acme/broken:1.0.0@${older.digest} # {"$imagepolicy": "flux-system:app"}`,
    );
  });

  it('keeps the pin when the pinned version is still the newest that verifies', async () => {
    const repos = await createRepos(files('v1.2.0'));
    const report = await runUpdate(await options(repos.work), deps());
    expect(report).toMatchObject({ ok: true, changes: [], policies: [{ outcome: 'current', examined: 2 }] });
    expect(report.commit).toBeUndefined();
  });

  it('refuses to rewrite a file with uncommitted changes, and leaves it alone', async () => {
    const repos = await createRepos(files('v1.0.0'));
    const path = join(repos.work, 'clusters/prod/apps/values.yaml');
    const edited = `${values('v1.0.0')}replicas: 2\n`;
    await writeFile(path, edited);
    const error = await runUpdate(await options(repos.work), deps()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PromoteError);
    expect((error as PromoteError).code).toBe('DIRTY_FILE');
    expect((error as PromoteError).message).toMatch(
      /clusters\/prod\/apps\/values\.yaml has uncommitted changes/,
    );
    expect(await readFile(path, 'utf8')).toBe(edited);
    expect(await readFile(join(repos.work, 'clusters/prod/apps/deploy.yaml'), 'utf8')).toBe(deploy('v1.0.0'));
  });

  it('signs the commit when the repository is configured to', async () => {
    const repos = await createRepos(files('v1.0.0'));
    const keyDir = await tempDir('promote-ssh');
    const key = join(keyDir, 'id_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'owner@example.test', '-f', key]);
    const publicKey = (await readFile(`${key}.pub`, 'utf8')).trim();
    await writeFile(join(keyDir, 'allowed_signers'), `owner@example.test ${publicKey}\n`);
    await git(repos.work, 'config', 'gpg.format', 'ssh');
    await git(repos.work, 'config', 'user.signingkey', `${key}.pub`);
    await git(repos.work, 'config', 'gpg.ssh.allowedSignersFile', join(keyDir, 'allowed_signers'));
    await git(repos.work, 'config', 'commit.gpgsign', 'true');
    const report = await runUpdate(await options(repos.work), deps());
    expect(report.commit).toBeDefined();
    expect(await git(repos.work, 'cat-file', '-p', 'HEAD')).toContain('gpgsig -----BEGIN SSH SIGNATURE-----');
    expect(await git(repos.work, 'log', '-1', '--format=%G?')).toBe('G');
  });

  it('restores the files when git cannot commit (a failing hook), and reports git`s words', async () => {
    const repos = await createRepos(files('v1.0.0'));
    await writeFile(
      join(repos.work, '.git/hooks/pre-commit'),
      '#!/bin/sh\necho "policy says no" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    const error = await runUpdate(await options(repos.work), deps()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PromoteError);
    expect((error as PromoteError).code).toBe('GIT');
    expect((error as PromoteError).message).toMatch(/policy says no/);
    expect(await git(repos.work, 'status', '--porcelain')).toBe('');
  });

  it('refuses a template that renders an empty message before writing anything', async () => {
    const repos = await createRepos(files('v1.0.0'));
    const error = await runUpdate(
      await options(repos.work, { messageTemplate: MessageTemplate.parse('{{range .Changes}}{{end}}\n') }),
      deps(),
    ).catch((caught: unknown) => caught);
    expect((error as PromoteError).code).toBe('INVALID_TEMPLATE');
    expect(await git(repos.work, 'status', '--porcelain')).toBe('');
  });

  it('reports markers naming a policy that was not loaded, and still updates the others', async () => {
    const repos = await createRepos({
      ...files('v1.0.0'),
      'clusters/prod/apps/other.yaml': 'image: x:1 # {"$imagepolicy": "flux-system:missing"}\n',
    });
    const report = await runUpdate(await options(repos.work), deps());
    expect(report.ok).toBe(false);
    expect(report.policies.map((p) => [p.policy, p.outcome])).toEqual([
      ['flux-system/app', 'updated'],
      ['flux-system/missing', 'failed'],
    ]);
    expect(report.policies[1]?.message).toMatch(
      /no ImagePolicy flux-system\/missing was loaded \(marked at clusters\/prod\/apps\/other\.yaml:1:8\)/,
    );
    expect(report.commit).toBeDefined();
  });

  it('changes nothing when the repository has no candidate tags', async () => {
    await pushArtifact(
      client,
      { registry: host, repository: 'acme/empty' },
      buildImage({ seed: 'e' }),
      'latest',
    );
    const repos = await createRepos({
      'clusters/prod/flux-system/images.yaml': flux().replace('acme/app', 'acme/empty'),
      'clusters/prod/apps/deploy.yaml': 'image: old # {"$imagepolicy": "flux-system:app"}\n',
    });
    const dependencies = deps();
    const report = await runUpdate(await options(repos.work), dependencies);
    expect(report.policies[0]).toMatchObject({
      outcome: 'no-candidate',
      message: 'no tag is a candidate under the policy',
    });
    expect(dependencies.recorder.calls).toEqual([]);
    expect(report.commit).toBeUndefined();
  });

  it('uses the ImageRepository`s pull secret to list the tags and to verify them', async () => {
    const secured = await startRegistry({ auth: 'basic' });
    const pusher = new RegistryClient({
      credentials: { get: async () => ({ username: secured.username, password: secured.password }) },
    });
    const clients = new RegistryClients(async (settings) => new RegistryClient(settings), {
      credentials: anonymous,
      insecureRegistries: [],
    });
    const dir = await tempDir('promote-secrets');
    await writeFiles(dir, { 'empty-docker-config.json': '{}' });
    // vouch's own credentials (--registry-config) know nothing of this registry.
    const global = { registryConfig: join(dir, 'empty-docker-config.json') };
    const securedPolicy = await keyPolicy('release', `${secured.host}/**`, release);
    const engines = new AccessPool<ImageCheckerHandle>((access) =>
      createImageChecker({
        policySet: securedPolicy,
        global,
        ...(access.credentials && { registryAccess: { credentials: access.credentials } }),
      }),
    );
    // The same, except that the engine is not given the ImageRepository's credentials.
    const blindEngines = new AccessPool<ImageCheckerHandle>(() =>
      createImageChecker({ policySet: securedPolicy, global }),
    );
    const dependencies = (pool: AccessPool<ImageCheckerHandle>): UpdateDependencies => ({
      checker: async (repository, secret) => (await pool.for(repository, secret)).checker,
      registryFor: (repository, secret) => clients.registryFor(repository, secret),
    });
    try {
      const repo = { registry: secured.host, repository: 'team/app' };
      const image = buildImage({ seed: 'secured' });
      const pushed = await pushArtifact(pusher, repo, image, '2.0.0');
      await signArtifact(pusher, repo, image, release);
      const config = {
        auths: {
          [secured.host]: { auth: Buffer.from(`${secured.username}:${secured.password}`).toString('base64') },
        },
      };
      await writeFiles(dir, {
        'secrets/pull.yaml': `apiVersion: v1
kind: Secret
metadata: { name: registry-pull, namespace: flux-system }
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: ${Buffer.from(JSON.stringify(config)).toString('base64')}
`,
      });
      const pullSecrets = await loadPullSecrets([join(dir, 'secrets')]);
      const repos = await createRepos({
        'clusters/prod/flux-system/images.yaml': flux('\n  secretRef: { name: registry-pull }').replace(
          `${host}/acme/app`,
          `${secured.host}/team/app`,
        ),
        'clusters/prod/apps/deploy.yaml': 'image: old # {"$imagepolicy": "flux-system:app"}\n',
      });

      // Listing works with the secret, but an engine without it cannot read the signatures: denied
      // as a registry failure (not as "unsigned"), and nothing is written.
      const blind = await runUpdate(
        await options(repos.work, { pullSecrets, dryRun: true }),
        dependencies(blindEngines),
      );
      expect(blind.policies[0]).toMatchObject({
        outcome: 'no-candidate',
        tags: { listed: 2, artefacts: 1 },
        rejected: [{ tag: '2.0.0', reason: 'registry' }],
      });
      expect(blind.policies[0]?.rejected[0]?.message).toMatch(
        /requires authentication: no credentials are configured for it/,
      );

      const report = await runUpdate(await options(repos.work, { pullSecrets }), dependencies(engines));
      expect(report.warnings).toEqual([]);
      expect(report.policies[0]).toMatchObject({
        outcome: 'updated',
        chosen: { tag: '2.0.0', digest: pushed },
        rejected: [],
      });
      expect(await readFile(join(repos.work, 'clusters/prod/apps/deploy.yaml'), 'utf8')).toBe(
        `image: ${secured.host}/team/app:2.0.0@${pushed} # {"$imagepolicy": "flux-system:app"}\n`,
      );

      // Without the secret the same registry refuses to list: the policy fails and nothing is written.
      const refused = await runUpdate(await options(repos.work), dependencies(engines));
      expect(refused.ok).toBe(false);
      expect(refused.warnings.join('\n')).toMatch(
        /Secret flux-system\/registry-pull was not given with --pull-secrets/,
      );
      expect(refused.policies[0]?.message).toMatch(/cannot list the tags of .*team\/app/);
    } finally {
      await Promise.all([clients.close(), engines.close(), blindEngines.close()]);
      await pusher.close();
      await secured.stop();
    }
  });
});

describe('an ImageRepository with `insecure: true`', () => {
  it('is reached over plain HTTP both to list its tags and to verify them', async () => {
    // The registry listens on 127.0.0.1; through its IPv4-mapped IPv6 address it is not a loopback name,
    // so only `insecure: true` makes vouch use plain HTTP (HTTPS to it fails).
    const mapped = `[::ffff:127.0.0.1]:${host.split(':')[1]}`;
    const repos = await createRepos({
      'clusters/prod/flux-system/images.yaml': flux().replace(
        `image: ${host}/acme/app\n  interval: 1m`,
        `image: "${mapped}/acme/app"\n  interval: 1m\n  insecure: true`,
      ),
      'clusters/prod/apps/deploy.yaml': 'image: old # {"$imagepolicy": "flux-system:app"}\n',
    });
    const dir = await tempDir('promote-insecure');
    await writeFiles(dir, { 'empty-docker-config.json': '{}' });
    const global = { registryConfig: join(dir, 'empty-docker-config.json') };
    const anywhere = await keyPolicy('release', '**', release);
    const clients = new RegistryClients(async (settings) => new RegistryClient(settings), {
      credentials: anonymous,
      insecureRegistries: [],
    });
    const engines = new AccessPool<ImageCheckerHandle>((access) =>
      createImageChecker({
        policySet: anywhere,
        global,
        ...(access.insecureRegistry !== undefined && {
          registryAccess: { insecureRegistries: [access.insecureRegistry] },
        }),
      }),
    );
    const httpsEngines = new AccessPool<ImageCheckerHandle>(() =>
      createImageChecker({ policySet: anywhere, global }),
    );
    const dependencies = (pool: AccessPool<ImageCheckerHandle>): UpdateDependencies => ({
      checker: async (repository, secret) => (await pool.for(repository, secret)).checker,
      registryFor: (repository, secret) => clients.registryFor(repository, secret),
    });
    try {
      const https = await runUpdate(await options(repos.work, { dryRun: true }), dependencies(httpsEngines));
      expect(https.policies[0]).toMatchObject({ outcome: 'no-candidate', tags: { candidates: 4 } });
      expect(https.policies[0]?.rejected.map((rejected) => rejected.reason)).toEqual([
        'registry',
        'registry',
        'registry',
        'registry',
      ]);

      const report = await runUpdate(await options(repos.work), dependencies(engines));
      expect(report.policies[0]).toMatchObject({
        outcome: 'updated',
        chosen: { tag: 'v1.2.0', digest: digest['acme/app:v1.2.0'] },
        rejected: [{ tag: 'v1.3.0', reason: 'unsigned' }],
      });
      expect(await readFile(join(repos.work, 'clusters/prod/apps/deploy.yaml'), 'utf8')).toBe(
        // A plain scalar cannot start with `[`: the value is written double-quoted.
        `image: "${mapped}/acme/app:v1.2.0@${digest['acme/app:v1.2.0']}" # {"$imagepolicy": "flux-system:app"}\n`,
      );
    } finally {
      await Promise.all([clients.close(), engines.close(), httpsEngines.close()]);
    }
  });
});
