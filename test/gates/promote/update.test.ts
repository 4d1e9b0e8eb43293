import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClients } from '../../../src/gates/promote/clients.js';
import { PromoteError } from '../../../src/gates/promote/errors.js';
import { GitRepository } from '../../../src/gates/promote/git.js';
import { DEFAULT_MESSAGE_TEMPLATE, MessageTemplate } from '../../../src/gates/promote/message.js';
import { renderText } from '../../../src/gates/promote/report.js';
import { loadPullSecrets } from '../../../src/gates/promote/secrets.js';
import { runUpdate, type UpdateOptions } from '../../../src/gates/promote/update.js';
import { anonymous, RegistryClient, type Repository } from '../../../src/registry/index.js';
import {
  buildImage,
  buildIndex,
  pushArtifact,
  startRegistry,
  type TestRegistry,
  tempDir,
} from '../../harness/index.js';
import { createRepos, type Decision, git, StandInChecker, writeFiles } from './helpers.js';

const run = promisify(execFile);

let registry: TestRegistry;
let client: RegistryClient;
let host: string;
let app: Repository;
const digest: Record<string, string> = {};

beforeAll(async () => {
  registry = await startRegistry();
  host = registry.host;
  client = new RegistryClient();
  app = { registry: host, repository: 'acme/app' };
  digest['v1.0.0'] = await pushArtifact(client, app, buildImage({ seed: 'v1.0.0' }), 'v1.0.0');
  digest['v1.1.0'] = await pushArtifact(client, app, buildImage({ seed: 'v1.1.0' }), 'v1.1.0');
  digest['v1.2.0'] = await pushArtifact(client, app, buildIndex({ seed: 'v1.2.0' }), 'v1.2.0');
  digest['v1.3.0'] = await pushArtifact(client, app, buildImage({ seed: 'v1.3.0' }), 'v1.3.0');
  await pushArtifact(client, app, buildImage({ seed: 'latest' }), 'latest');
});

afterAll(async () => {
  await client?.close();
  await registry?.stop();
});

function flux(extra = ''): string {
  return `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
  namespace: flux-system
spec:
  image: ${host}/acme/app
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

function deploy(tag: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app # the app
spec:
  template:
    spec:
      containers:
        - name: app
          image: "${host}/acme/app:${tag}@${digest[tag]}" # {"$imagepolicy": "flux-system:app"}
          ports: [{containerPort: 8080}]
`;
}

function values(tag: string): string {
  return `# Helm values
image:
  repository: ${host}/acme/app  # {"$imagepolicy": "flux-system:app:name"}
  tag: '${tag}'  # {"$imagepolicy": "flux-system:app:tag"}
  digest: ${digest[tag]}  # {"$imagepolicy": "flux-system:app:digest"}
`;
}

function kustomization(tag: string): string {
  return `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deploy.yaml]
images:
  - name: app
    newName: ${host}/acme/app # {"$imagepolicy": "flux-system:app:name"}
    newTag: ${tag} # {"$imagepolicy": "flux-system:app:tag"}
    digest: ${digest[tag]} # {"$imagepolicy": "flux-system:app:digest"}
`;
}

function files(tag: string, fluxExtra = ''): Record<string, string> {
  return {
    'clusters/prod/flux-system/images.yaml': flux(fluxExtra),
    'clusters/prod/apps/deploy.yaml': deploy(tag),
    'clusters/prod/apps/values.yaml': values(tag),
    'clusters/prod/apps/kustomization.yaml': kustomization(tag),
  };
}

const UNSIGNED_V130 = (tag: string): Decision =>
  tag === 'v1.3.0' ? { allow: false, reason: 'unsigned' } : { allow: true };

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

function deps(checker: StandInChecker) {
  return { checker: async () => checker, registryFor: async () => client };
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
    const checker = new StandInChecker(client, UNSIGNED_V130);
    const report = await runUpdate(await options(repos.work, { dryRun: true }), deps(checker));

    expect(report.ok).toBe(true);
    expect(report.policies).toHaveLength(1);
    expect(report.policies[0]).toMatchObject({
      policy: 'flux-system/app',
      outcome: 'updated',
      chosen: {
        tag: 'v1.2.0',
        digest: digest['v1.2.0'],
        reference: `${host}/acme/app:v1.2.0@${digest['v1.2.0']}`,
      },
      rejected: [{ tag: 'v1.3.0', reason: 'unsigned' }],
      pinned: { tag: 'v1.0.0', digest: digest['v1.0.0'] },
      tags: { listed: 5, candidates: 4, considered: 4, pages: 1 },
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
        `-    digest: ${digest['v1.0.0']} # {"$imagepolicy": "flux-system:app:digest"}\n` +
        '+    newTag: v1.2.0 # {"$imagepolicy": "flux-system:app:tag"}\n' +
        `+    digest: ${digest['v1.2.0']} # {"$imagepolicy": "flux-system:app:digest"}\n`,
    );
    expect(report.diff).toContain(
      `-          image: "${host}/acme/app:v1.0.0@${digest['v1.0.0']}" # {"$imagepolicy": "flux-system:app"}\n` +
        `+          image: "${host}/acme/app:v1.2.0@${digest['v1.2.0']}" # {"$imagepolicy": "flux-system:app"}\n`,
    );
    expect(report.diff).not.toContain('flux-system/images.yaml');
    expect(renderText(report).join('\n')).toMatch(
      /✘ v1\.3\.0@sha256:[0-9a-f]{12}… {2}unsigned: failed policy: release: no signatures found\n {2}✔ v1\.2\.0@.*verified\n {2}→ would write/,
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
    const checker = new StandInChecker(client, UNSIGNED_V130);
    const report = await runUpdate(
      await options(repos.work, { push: {}, messageTemplate: template }),
      deps(checker),
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
        `clusters/prod/apps/deploy.yaml flux-system:app ${host}/acme/app:v1.0.0@${digest['v1.0.0']} -> ${host}/acme/app:v1.2.0@${digest['v1.2.0']}`,
        'clusters/prod/apps/kustomization.yaml flux-system:app:tag v1.0.0 -> v1.2.0',
        `clusters/prod/apps/kustomization.yaml flux-system:app:digest ${digest['v1.0.0']} -> ${digest['v1.2.0']}`,
        'clusters/prod/apps/values.yaml flux-system:app:tag v1.0.0 -> v1.2.0',
        `clusters/prod/apps/values.yaml flux-system:app:digest ${digest['v1.0.0']} -> ${digest['v1.2.0']}`,
      ].join('\n'),
    );
    expect(await git(repos.work, 'status', '--porcelain')).toBe('');

    const again = await runUpdate(
      await options(repos.work, { push: {} }),
      deps(new StandInChecker(client, UNSIGNED_V130)),
    );
    expect(again.commit).toBeUndefined();
    expect(again.changes).toEqual([]);
    expect(again.policies[0]?.outcome).toBe('current');
    expect(await git(repos.remote, 'rev-parse', 'main')).toBe(report.commit?.sha);
    expect(renderText(again).at(-1)).toBe('nothing to commit');
  });

  it('pushes to another branch with --branch, leaving the remote main as it was', async () => {
    const repos = await createRepos(files('v1.0.0'));
    const main = await git(repos.remote, 'rev-parse', 'main');
    const report = await runUpdate(
      await options(repos.work, { push: { branch: 'image-updates' } }),
      deps(new StandInChecker(client, UNSIGNED_V130)),
    );
    expect(report.commit?.pushed).toEqual({ remote: 'origin', branch: 'image-updates' });
    expect(await git(repos.remote, 'rev-parse', 'image-updates')).toBe(report.commit?.sha);
    expect(await git(repos.remote, 'rev-parse', 'main')).toBe(main);
  });

  it('never downgrades: candidates older than what Git pins are not even verified', async () => {
    const repos = await createRepos(files('v1.2.0'));
    const deny = (tag: string): Decision =>
      tag === 'v1.2.0' || tag === 'v1.3.0' ? { allow: false, reason: 'wrong-signer' } : { allow: true };
    const checker = new StandInChecker(client, deny);
    const report = await runUpdate(await options(repos.work), deps(checker));
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
    expect(checker.calls.map((image) => image.split(':').pop())).toEqual(['v1.3.0', 'v1.2.0']);
    expect(await git(repos.work, 'status', '--porcelain')).toBe('');

    const downgrade = await runUpdate(
      await options(repos.work, { allowDowngrade: true }),
      deps(new StandInChecker(client, deny)),
    );
    expect(downgrade.policies[0]?.chosen?.tag).toBe('v1.1.0');
    expect(await readFile(join(repos.work, 'clusters/prod/apps/kustomization.yaml'), 'utf8')).toBe(
      files('v1.1.0')['clusters/prod/apps/kustomization.yaml'],
    );
  });

  it('keeps the pin when the pinned version is still the newest that verifies', async () => {
    const repos = await createRepos(files('v1.2.0'));
    const report = await runUpdate(
      await options(repos.work),
      deps(new StandInChecker(client, UNSIGNED_V130)),
    );
    expect(report).toMatchObject({ ok: true, changes: [], policies: [{ outcome: 'current', examined: 2 }] });
    expect(report.commit).toBeUndefined();
  });

  it('refuses to rewrite a file with uncommitted changes, and leaves it alone', async () => {
    const repos = await createRepos(files('v1.0.0'));
    const path = join(repos.work, 'clusters/prod/apps/values.yaml');
    const edited = `${values('v1.0.0')}replicas: 2\n`;
    await writeFile(path, edited);
    const error = await runUpdate(
      await options(repos.work),
      deps(new StandInChecker(client, UNSIGNED_V130)),
    ).catch((caught: unknown) => caught);
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
    const report = await runUpdate(
      await options(repos.work),
      deps(new StandInChecker(client, UNSIGNED_V130)),
    );
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
    const error = await runUpdate(
      await options(repos.work),
      deps(new StandInChecker(client, UNSIGNED_V130)),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PromoteError);
    expect((error as PromoteError).code).toBe('GIT');
    expect((error as PromoteError).message).toMatch(/policy says no/);
    expect(await git(repos.work, 'status', '--porcelain')).toBe('');
  });

  it('refuses a template that renders an empty message before writing anything', async () => {
    const repos = await createRepos(files('v1.0.0'));
    const error = await runUpdate(
      await options(repos.work, { messageTemplate: MessageTemplate.parse('{{range .Changes}}{{end}}\n') }),
      deps(new StandInChecker(client, UNSIGNED_V130)),
    ).catch((caught: unknown) => caught);
    expect((error as PromoteError).code).toBe('INVALID_TEMPLATE');
    expect(await git(repos.work, 'status', '--porcelain')).toBe('');
  });

  it('reports markers naming a policy that was not loaded, and still updates the others', async () => {
    const repos = await createRepos({
      ...files('v1.0.0'),
      'clusters/prod/apps/other.yaml': 'image: x:1 # {"$imagepolicy": "flux-system:missing"}\n',
    });
    const report = await runUpdate(
      await options(repos.work),
      deps(new StandInChecker(client, UNSIGNED_V130)),
    );
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
    const checker = new StandInChecker(client, () => ({ allow: true }));
    const report = await runUpdate(await options(repos.work), deps(checker));
    expect(report.policies[0]).toMatchObject({
      outcome: 'no-candidate',
      message: 'no tag is a candidate under the policy',
    });
    expect(checker.calls).toEqual([]);
    expect(report.commit).toBeUndefined();
  });

  it('uses the ImageRepository`s pull secret for a registry that needs credentials', async () => {
    const secured = await startRegistry({ auth: 'basic' });
    const pusher = new RegistryClient({
      credentials: { get: async () => ({ username: secured.username, password: secured.password }) },
    });
    const clients = new RegistryClients(async (settings) => new RegistryClient(settings), {
      credentials: anonymous,
      insecureRegistries: [],
    });
    try {
      const repo = { registry: secured.host, repository: 'team/app' };
      const pushed = await pushArtifact(pusher, repo, buildImage({ seed: 'secured' }), '2.0.0');
      const config = {
        auths: {
          [secured.host]: { auth: Buffer.from(`${secured.username}:${secured.password}`).toString('base64') },
        },
      };
      const secretDir = await tempDir('promote-secrets');
      await writeFiles(secretDir, {
        'pull.yaml': `apiVersion: v1
kind: Secret
metadata: { name: registry-pull, namespace: flux-system }
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: ${Buffer.from(JSON.stringify(config)).toString('base64')}
`,
      });
      const repos = await createRepos({
        'clusters/prod/flux-system/images.yaml': flux('\n  secretRef: { name: registry-pull }').replace(
          `${host}/acme/app`,
          `${secured.host}/team/app`,
        ),
        'clusters/prod/apps/deploy.yaml': 'image: old # {"$imagepolicy": "flux-system:app"}\n',
      });
      const checker = new StandInChecker(pusher, () => ({ allow: true }));
      const report = await runUpdate(
        await options(repos.work, { pullSecrets: await loadPullSecrets([secretDir]) }),
        {
          checker: async () => checker,
          registryFor: (repository, secret) => clients.registryFor(repository, secret),
        },
      );
      expect(report.warnings).toEqual([]);
      expect(report.policies[0]).toMatchObject({
        outcome: 'updated',
        chosen: { tag: '2.0.0', digest: pushed },
      });

      // Without the secret the same registry refuses to list: the policy fails and nothing is written.
      const refused = await runUpdate(await options(repos.work), {
        checker: async () => checker,
        registryFor: (repository, secret) => clients.registryFor(repository, secret),
      });
      expect(refused.ok).toBe(false);
      expect(refused.warnings.join('\n')).toMatch(
        /Secret flux-system\/registry-pull was not given with --pull-secrets/,
      );
      expect(refused.policies[0]?.message).toMatch(/cannot list the tags of .*team\/app/);
    } finally {
      await clients.close();
      await pusher.close();
      await secured.stop();
    }
  });
});
