/** `vouch update` as a user runs it: the built CLI (`npm run build` first), real git, real registry, real signatures. */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, type Repository } from '../../../src/registry/index.js';
import type { PrivateKey } from '../../../src/signature/index.js';
import {
  type BuiltImage,
  buildImage,
  buildIndex,
  type CliResult,
  pushArtifact,
  runVouch,
  startRegistry,
  type TestRegistry,
  tempDir,
  VOUCH_BIN,
} from '../../harness/index.js';
import { createTestSigstore, type TestSigstore } from '../../sigstore/index.js';
import { sigstoreSigner } from '../../sigstore/signer.js';
import { createRepos, git, newKey, signArtifact, writeFiles } from './helpers.js';

function vouch(cwd: string, ...args: string[]): Promise<CliResult> {
  return runVouch(args, { cwd, env: { DOCKER_CONFIG: cwd } });
}

let registry: TestRegistry;
let client: RegistryClient;
let app: Repository;
let release: PrivateKey;
let sigstore: TestSigstore;
/** Files outside any repository: `release.pub`, `stranger.pub`, `trusted_root.json`. */
let keys: string;
let KEY: string;
const digest: Record<string, string> = {};

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient();
  app = { registry: registry.host, repository: 'acme/app' };
  release = await newKey();
  const stranger = await newKey();
  sigstore = await createTestSigstore();
  keys = await tempDir('promote-cli-keys');
  KEY = join(keys, 'release.pub');
  await writeFiles(keys, {
    'release.pub': release.publicKey.pem,
    'stranger.pub': stranger.publicKey.pem,
    'trusted_root.json': JSON.stringify(sigstore.trustedRootJson),
  });
  await pushArtifact(client, app, buildImage({ seed: 'l' }), 'latest');
  await pushArtifact(
    client,
    { registry: registry.host, repository: 'acme/lonely' },
    buildImage({ seed: 'l' }),
    'latest',
  );
  const push = async (repo: Repository, tag: string, image: BuiltImage | ReturnType<typeof buildIndex>) => {
    digest[`${repo.repository}:${tag}`] = await pushArtifact(client, repo, image, tag);
    return image;
  };
  // acme/app: 1.0.0 and 1.1.0 (an index) signed with the key, 1.2.0 unsigned.
  await signArtifact(client, app, await push(app, '1.0.0', buildImage({ seed: 'cli-1.0.0' })), release);
  await signArtifact(client, app, await push(app, '1.1.0', buildIndex({ seed: 'cli-1.1.0' })), release);
  await push(app, '1.2.0', buildImage({ seed: 'cli-1.2.0' }));
  // acme/keyless: 2.0.0 signed keylessly by the test Sigstore's default identity, 2.1.0 by another.
  const keyless = { registry: registry.host, repository: 'acme/keyless' };
  await signArtifact(
    client,
    keyless,
    await push(keyless, '2.0.0', buildImage({ seed: 'cli-keyless-2.0.0' })),
    sigstoreSigner(sigstore),
  );
  await signArtifact(
    client,
    keyless,
    await push(keyless, '2.1.0', buildImage({ seed: 'cli-keyless-2.1.0' })),
    sigstoreSigner(sigstore, { identity: { email: 'intruder@vouch.test' } }),
  );
});

afterAll(async () => {
  await client?.close();
  await registry?.stop();
});

function flux(range = '>=1.0.0', repository = 'acme/app', extra = ''): string {
  return `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: { name: app, namespace: flux-system }
spec: { image: ${registry.host}/${repository}, interval: 1m${extra} }
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: { name: app, namespace: flux-system }
spec:
  imageRepositoryRef: { name: app }
  policy: { semver: { range: "${range}" } }
`;
}

const MARKED = 'image: old:1 # {"$imagepolicy": "flux-system:app"}\n';

function marked(repository: string, tag: string): string {
  return `image: ${registry.host}/${repository}:${tag}@${digest[`${repository}:${tag}`]} # {"$imagepolicy": "flux-system:app"}\n`;
}

/** The path to give for `--key` in a table row: `KEY` stands for the real public key file. */
const withKey = (args: readonly string[]) => args.map((arg) => (arg === 'KEY' ? KEY : arg));

describe('vouch update (CLI)', () => {
  it.each([
    [[], /nothing to verify with: give --policy, --key, or --certificate-identity/],
    [['--key', 'KEY', '--policy', 'p.yaml'], /--policy replaces --key and the keyless flags/],
    [
      ['--certificate-identity', 'me@example.com'],
      /--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required for keyless verification/,
    ],
    [['--key', 'missing.pub'], /cannot read public key file missing\.pub: ENOENT/],
    [['--key', 'a.yaml'], /public key file a\.yaml/],
    [['--policy', 'missing.yaml'], /missing\.yaml/],
    [
      ['--certificate-identity', 'a', '--certificate-identity-regexp', 'b', '--certificate-oidc-issuer', 'c'],
      /not both/,
    ],
    [['--key', 'KEY', '--branch', 'x'], /--branch needs --push/],
    [['--key', 'KEY', '--dry-run', '--push'], /--dry-run writes nothing, so it cannot --push/],
    [['--key', 'KEY', '--interval', '5m'], /--interval needs --watch/],
    [['--key', 'KEY', '--watch', '--interval', '5 minutes'], /--interval must be a duration/],
    [['--key', 'KEY', '--author', 'nobody'], /--author must be "Name <email>"/],
    [['--key', 'KEY', '--output', 'yaml'], /argument 'yaml' is invalid/],
    [['--key', 'KEY', '--path', '../elsewhere'], /--path \.\.\/elsewhere is outside the repository/],
  ])('exits 2 for %j', async (args, expected) => {
    const repos = await createRepos({ 'a.yaml': MARKED });
    const result = await vouch(repos.work, 'update', ...withKey(args));
    expect(result.stderr).toMatch(expected);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits 2 outside a git working tree', async () => {
    const dir = await tempDir('promote-cli');
    const result = await vouch(dir, 'update', '--key', KEY);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is not inside a git working tree/);
    const missing = await vouch(dir, 'update', '--key', KEY, '--repo', 'no/such/dir');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no\/such\/dir is not a directory/);
  });

  it('exits 2 with file, line and column for invalid Flux objects', async () => {
    const repos = await createRepos({ 'flux.yaml': flux('>=1.0.0 <'), 'a.yaml': MARKED });
    const result = await vouch(repos.work, 'update', '--key', KEY, '--images', 'flux.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /flux\.yaml:11:30: ImagePolicy flux-system\/app: spec\.policy\.semver\.range: invalid semver range/,
    );
  });

  it('exits 2 for a broken message template, naming where', async () => {
    const repos = await createRepos({ 'a.yaml': MARKED });
    await writeFile(join(repos.work, 'msg.tmpl'), 'update\n{{range .Changes}}{{.Bogus}}{{end}}\n');
    const result = await vouch(repos.work, 'update', '--key', KEY, '--message-template', 'msg.tmpl');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/msg\.tmpl:2:19: unsupported action \{\{\.Bogus\}\}/);
  });

  it('exits 0 when there is nothing to update', async () => {
    const repos = await createRepos({ 'a.yaml': 'image: plain:1\n' });
    const result = await vouch(repos.work, 'update', '--key', KEY);
    expect(result).toMatchObject({ code: 0, stdout: 'no image policy markers found: nothing to update\n' });
  });

  it('exits 1 when a marked policy has no acceptable candidate, and writes nothing (text and JSON)', async () => {
    const repos = await createRepos({
      'clusters/flux.yaml': flux('>=1.0.0', 'acme/lonely'),
      'clusters/app.yaml': MARKED,
    });
    const head = await git(repos.work, 'rev-parse', 'HEAD');
    const text = await vouch(repos.work, 'update', '--key', KEY, '--path', 'clusters');
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('! no-candidate: no tag is a candidate under the policy');
    const json = await vouch(
      repos.work,
      'update',
      '--key',
      KEY,
      '--path',
      'clusters',
      '--dry-run',
      '-o',
      'json',
    );
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as {
      ok: boolean;
      dryRun: boolean;
      policies: { outcome: string; tags: { pages: number } }[];
    };
    expect(report).toMatchObject({
      ok: false,
      dryRun: true,
      policies: [{ outcome: 'no-candidate', tags: { listed: 1, pages: 1 } }],
    });
    expect(await git(repos.work, 'rev-parse', 'HEAD')).toBe(head);
    expect(await git(repos.work, 'status', '--porcelain')).toBe('');
  });

  it('exits 1 for markers naming a policy that was not loaded', async () => {
    const repos = await createRepos({ 'a.yaml': MARKED });
    const result = await vouch(repos.work, 'update', '--key', KEY);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /failed: no ImagePolicy flux-system\/app was loaded \(marked at a\.yaml:1:8\)/,
    );
  });

  it('--key: writes the newest signed tag by its verified digest, commits and pushes; a second run commits nothing', async () => {
    const repos = await createRepos({
      'clusters/flux-system/images.yaml': flux(),
      'clusters/apps/deploy.yaml': marked('acme/app', '1.0.0'),
    });
    const args = ['update', '--key', KEY, '--path', 'clusters', '--author', 'vouch bot <vouch@example.test>'];
    const result = await vouch(repos.work, ...args, '--push');
    expect(result.code).toBe(0);
    expect(await git(repos.remote, 'show', 'main:clusters/apps/deploy.yaml')).toBe(
      marked('acme/app', '1.1.0').trimEnd(),
    );
    expect(await git(repos.remote, 'log', '-1', '--format=%an <%ae>', 'main')).toBe(
      'vouch bot <vouch@example.test>',
    );
    const again = await vouch(repos.work, ...args, '--push');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/= Git already pins it\nnothing to commit\n$/);
    expect(await git(repos.remote, 'rev-list', '--count', 'main')).toBe('2');
  });

  it('--dry-run prints the diff and the report, and changes nothing; -o json prints the report', async () => {
    const repos = await createRepos({
      'clusters/flux-system/images.yaml': flux(),
      'clusters/apps/deploy.yaml': marked('acme/app', '1.0.0'),
    });
    const head = await git(repos.work, 'rev-parse', 'HEAD');
    const short = (tag: string) => `${(digest[`acme/app:${tag}`] as string).slice(0, 19)}…`;
    const result = await vouch(repos.work, 'update', '--key', KEY, '--path', 'clusters', '--dry-run');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      '--- a/clusters/apps/deploy.yaml',
      '+++ b/clusters/apps/deploy.yaml',
      '@@ -1,1 +1,1 @@',
      `-${marked('acme/app', '1.0.0').trimEnd()}`,
      `+${marked('acme/app', '1.1.0').trimEnd()}`,
      `flux-system/app  ${registry.host}/acme/app  (semver ">=1.0.0")`,
      // 1.0.0 is verified alongside (four at a time) and may be answered before 1.1.0 is.
      expect.stringMatching(
        /^ {2}6 tag\(s\) in 1 page\(s\) \(2 signature\/attestation\/SBOM\/referrer, 1 not versions or out of range\): 3 candidate\(s\) \(Git pins 1\.0\.0; older ones not considered\), [23] examined$/,
      ),
      expect.stringMatching(
        new RegExp(
          `^ {2}✘ 1\\.2\\.0@${short('1.2.0')} {2}unsigned: failed policy: --key: .*no signatures found for ${digest['acme/app:1.2.0']}`,
        ),
      ),
    ]);
    expect(lines.slice(8)).toEqual([
      `  ✔ 1.1.0@${short('1.1.0')}  verified`,
      `  → would write ${registry.host}/acme/app:1.1.0@${digest['acme/app:1.1.0']}`,
      '',
      `clusters/apps/deploy.yaml:1  flux-system:app  ${registry.host}/acme/app:1.0.0@${digest['acme/app:1.0.0']} → ${registry.host}/acme/app:1.1.0@${digest['acme/app:1.1.0']}`,
      'dry run: nothing written',
      '',
    ]);
    const json = await vouch(
      repos.work,
      'update',
      '--key',
      KEY,
      '--path',
      'clusters',
      '--dry-run',
      '-o',
      'json',
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      dryRun: true,
      policies: [
        {
          policy: 'flux-system/app',
          outcome: 'updated',
          chosen: { tag: '1.1.0', digest: digest['acme/app:1.1.0'] },
          rejected: [{ tag: '1.2.0', digest: digest['acme/app:1.2.0'], reason: 'unsigned' }],
        },
      ],
      changes: [{ file: 'clusters/apps/deploy.yaml', line: 1, setter: 'flux-system:app' }],
    });
    expect(await git(repos.work, 'rev-parse', 'HEAD')).toBe(head);
    expect(await git(repos.work, 'status', '--porcelain')).toBe('');
  });

  it('--policy: verifies with the ClusterImagePolicies of the files given', async () => {
    const repos = await createRepos({
      'clusters/flux-system/images.yaml': flux(),
      'clusters/apps/deploy.yaml': marked('acme/app', '1.0.0'),
    });
    const policyDir = await tempDir('promote-cli-policy');
    await writeFiles(policyDir, {
      'release.yaml': `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: { name: release-signed }
spec:
  images: [{ glob: "${registry.host}/acme/**" }]
  authorities:
    - key:
        data: |
${release.publicKey.pem
  .trimEnd()
  .split('\n')
  .map((line) => `          ${line}`)
  .join('\n')}
`,
      'broken.yaml':
        'apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: { name: x }\nspec: {}\n',
    });
    const result = await vouch(
      repos.work,
      'update',
      '--policy',
      join(policyDir, 'release.yaml'),
      '--path',
      'clusters',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✘ 1\.2\.0@\S+ {2}unsigned: failed policy: release-signed: /);
    expect(await git(repos.work, 'show', 'HEAD:clusters/apps/deploy.yaml')).toBe(
      marked('acme/app', '1.1.0').trimEnd(),
    );

    // An invalid policy file is exit 2, naming the file, before anything is listed or written.
    const broken = await vouch(repos.work, 'update', '--policy', policyDir, '--path', 'clusters');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.yaml/);
    expect(broken.stdout).toBe('');
  });

  it('keyless: verifies the certificate identity under the trusted root, and rejects another signer', async () => {
    const repos = await createRepos({
      'clusters/flux-system/images.yaml': flux('>=2.0.0', 'acme/keyless'),
      'clusters/apps/deploy.yaml': 'image: old # {"$imagepolicy": "flux-system:app"}\n',
    });
    const keyless = [
      '--certificate-identity',
      sigstore.defaultIdentity.subject,
      '--certificate-oidc-issuer',
      sigstore.defaultIdentity.issuer,
      '--trusted-root',
      join(keys, 'trusted_root.json'),
    ];
    const result = await vouch(repos.work, 'update', ...keyless, '--path', 'clusters', '-o', 'json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      policies: {
        chosen: { tag: string; digest: string };
        rejected: { reason: string; message: string }[];
      }[];
    };
    expect(report.policies[0]?.chosen).toMatchObject({ tag: '2.0.0', digest: digest['acme/keyless:2.0.0'] });
    expect(report.policies[0]?.rejected).toEqual([
      expect.objectContaining({ tag: '2.1.0', digest: digest['acme/keyless:2.1.0'], reason: 'wrong-signer' }),
    ]);
    expect(report.policies[0]?.rejected[0]?.message).toMatch(/intruder@vouch\.test/);
    expect(await git(repos.work, 'show', 'HEAD:clusters/apps/deploy.yaml')).toBe(
      marked('acme/keyless', '2.0.0').trimEnd(),
    );
  });

  it('--pull-secrets: a registry that needs credentials is listed and verified with the ImageRepository`s secret', async () => {
    const secured = await startRegistry({ auth: 'basic' });
    const pusher = new RegistryClient({
      credentials: { get: async () => ({ username: secured.username, password: secured.password }) },
    });
    try {
      const repo = { registry: secured.host, repository: 'team/app' };
      const signed = buildImage({ seed: 'cli-secured-1' });
      await pushArtifact(pusher, repo, signed, '1.0.0');
      await signArtifact(pusher, repo, signed, release);
      await pushArtifact(pusher, repo, buildImage({ seed: 'cli-secured-2' }), '1.1.0');
      const auth = Buffer.from(`${secured.username}:${secured.password}`).toString('base64');
      const repos = await createRepos({
        'clusters/flux-system/images.yaml': flux(
          '>=1.0.0',
          'team/app',
          ', secretRef: { name: pull }',
        ).replaceAll(`${registry.host}/team/app`, `${secured.host}/team/app`),
        'clusters/apps/deploy.yaml': 'image: old # {"$imagepolicy": "flux-system:app"}\n',
      });
      const secrets = await tempDir('promote-cli-secrets');
      await writeFiles(secrets, {
        'pull.yaml': `apiVersion: v1
kind: Secret
metadata: { name: pull, namespace: flux-system }
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '{"auths": {"${secured.host}": {"auth": "${auth}"}}}'
`,
      });
      // vouch's own docker config (DOCKER_CONFIG is the empty work tree) has no credentials for it.
      const result = await vouch(
        repos.work,
        'update',
        '--key',
        KEY,
        '--pull-secrets',
        secrets,
        '--path',
        'clusters',
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/✘ 1\.1\.0@\S+ {2}unsigned: /);
      expect(await git(repos.work, 'show', 'HEAD:clusters/apps/deploy.yaml')).toBe(
        `image: ${secured.host}/team/app:1.0.0@${signed.digest} # {"$imagepolicy": "flux-system:app"}`,
      );

      const without = await vouch(repos.work, 'update', '--key', KEY, '--path', 'clusters');
      expect(without.code).toBe(1);
      expect(without.stderr).toMatch(/Secret flux-system\/pull was not given with --pull-secrets/);
      expect(without.stdout).toMatch(/! failed: cannot list the tags of .*team\/app/);
    } finally {
      await pusher.close();
      await secured.stop();
    }
  });

  it('--watch runs a round every --interval until it is stopped, then exits 0', async () => {
    const repos = await createRepos({ 'a.yaml': 'image: plain:1\n' });
    const child = spawn(
      process.execPath,
      [VOUCH_BIN, 'update', '--key', KEY, '--watch', '--interval', '1s'],
      {
        cwd: repos.work,
        env: { ...process.env, DOCKER_CONFIG: repos.work },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const until = Date.now() + 15_000;
      while (stdout.split('nothing to update').length - 1 < 2 && Date.now() < until)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(stdout.split('nothing to update').length - 1).toBeGreaterThanOrEqual(2);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toContain('\x1b['); // the progress indicator is for terminals only
  });

  it('--help and the README list every cause of exit 1 (a marker naming a policy not loaded is one)', async () => {
    const dir = await tempDir('promote-cli');
    const help = (await vouch(dir, 'update', '--help')).stdout.replace(/\s+/g, ' ');
    const readme = (await readFile(new URL('../../../README.md', import.meta.url), 'utf8')).replace(
      /\s+/g,
      ' ',
    );
    const causes = [
      'a marked policy found no acceptable candidate (no tag is a candidate, none is at or above what Git pins, or none verifies and can be pulled)',
      'a marker names an ImagePolicy that was not loaded',
      'the tags of an image cannot be listed',
      'git cannot commit or push',
    ];
    for (const cause of causes) {
      expect(help).toContain(cause);
      expect(readme).toContain(cause);
    }
    // The README also says what vouch writes where Flux writes a date-like tag unquoted.
    expect(readme).toContain('a date-like tag (`2024-01-01`, `2024-01-01T10:00:00Z`)');
  });

  it('is listed in --help with an example', async () => {
    const dir = await tempDir('promote-cli');
    const result = await vouch(dir, '--help');
    expect(result.stdout).toMatch(
      /update \[options\]\s+image automation that only ever commits verified\s+digests/,
    );
    expect(result.stdout).toMatch(/vouch update --key cosign\.pub --path clusters\/prod/);
  });
});
