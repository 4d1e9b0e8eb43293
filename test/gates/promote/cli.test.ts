/** `vouch update` as a user runs it: the built CLI (`npm run build` first), real git, real registry. */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/registry/index.js';
import {
  buildImage,
  type CliResult,
  pushArtifact,
  runVouch,
  startRegistry,
  type TestRegistry,
  tempDir,
  VOUCH_BIN,
} from '../../harness/index.js';
import { createRepos, git } from './helpers.js';

function vouch(cwd: string, ...args: string[]): Promise<CliResult> {
  return runVouch(args, { cwd, env: { DOCKER_CONFIG: cwd } });
}

let registry: TestRegistry;

beforeAll(async () => {
  registry = await startRegistry();
  const client = new RegistryClient();
  await pushArtifact(
    client,
    { registry: registry.host, repository: 'acme/app' },
    buildImage({ seed: 'l' }),
    'latest',
  );
  await client.close();
});

afterAll(async () => {
  await registry?.stop();
});

function flux(range = '>=1.0.0'): string {
  return `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: { name: app, namespace: flux-system }
spec: { image: ${registry.host}/acme/app, interval: 1m }
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

describe('vouch update (CLI)', () => {
  it.each([
    [[], /nothing to verify with: give --policy, --key, or --certificate-identity/],
    [['--key', 'k.pub', '--policy', 'p.yaml'], /choose one way to verify/],
    [
      ['--certificate-identity', 'me@example.com'],
      /keyless verification needs --certificate-oidc-issuer or --certificate-oidc-issuer-regexp/,
    ],
    [
      ['--certificate-identity', 'a', '--certificate-identity-regexp', 'b', '--certificate-oidc-issuer', 'c'],
      /not both/,
    ],
    [['--key', 'k.pub', '--branch', 'x'], /--branch needs --push/],
    [['--key', 'k.pub', '--dry-run', '--push'], /--dry-run writes nothing, so it cannot --push/],
    [['--key', 'k.pub', '--interval', '5m'], /--interval needs --watch/],
    [['--key', 'k.pub', '--watch', '--interval', '5 minutes'], /--interval must be a duration/],
    [['--key', 'k.pub', '--author', 'nobody'], /--author must be "Name <email>"/],
    [['--key', 'k.pub', '--output', 'yaml'], /argument 'yaml' is invalid/],
    [['--key', 'k.pub', '--path', '../elsewhere'], /--path \.\.\/elsewhere is outside the repository/],
  ])('exits 2 for %j', async (args, expected) => {
    const repos = await createRepos({ 'a.yaml': MARKED });
    const result = await vouch(repos.work, 'update', ...args);
    expect(result.stderr).toMatch(expected);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits 2 outside a git working tree', async () => {
    const dir = await tempDir('promote-cli');
    const result = await vouch(dir, 'update', '--key', 'k.pub');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is not inside a git working tree/);
    const missing = await vouch(dir, 'update', '--key', 'k.pub', '--repo', 'no/such/dir');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no\/such\/dir is not a directory/);
  });

  it('exits 2 with file, line and column for invalid Flux objects', async () => {
    const repos = await createRepos({ 'flux.yaml': flux('>=1.0.0 <'), 'a.yaml': MARKED });
    const result = await vouch(repos.work, 'update', '--key', 'k.pub', '--images', 'flux.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /flux\.yaml:11:30: ImagePolicy flux-system\/app: spec\.policy\.semver\.range: invalid semver range/,
    );
  });

  it('exits 2 for a broken message template, naming where', async () => {
    const repos = await createRepos({ 'a.yaml': MARKED });
    await writeFile(join(repos.work, 'msg.tmpl'), 'update\n{{range .Changes}}{{.Bogus}}{{end}}\n');
    const result = await vouch(repos.work, 'update', '--key', 'k.pub', '--message-template', 'msg.tmpl');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/msg\.tmpl:2:19: unsupported action \{\{\.Bogus\}\}/);
  });

  it('exits 0 when there is nothing to update', async () => {
    const repos = await createRepos({ 'a.yaml': 'image: plain:1\n' });
    const result = await vouch(repos.work, 'update', '--key', 'k.pub');
    expect(result).toMatchObject({ code: 0, stdout: 'no image policy markers found: nothing to update\n' });
  });

  it('exits 1 when a marked policy has no acceptable candidate, and writes nothing (text and JSON)', async () => {
    const repos = await createRepos({ 'clusters/flux.yaml': flux(), 'clusters/app.yaml': MARKED });
    const head = await git(repos.work, 'rev-parse', 'HEAD');
    const text = await vouch(repos.work, 'update', '--key', 'k.pub', '--path', 'clusters');
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('! no-candidate: no tag is a candidate under the policy');
    const json = await vouch(
      repos.work,
      'update',
      '--key',
      'k.pub',
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
    const result = await vouch(repos.work, 'update', '--key', 'k.pub');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /failed: no ImagePolicy flux-system\/app was loaded \(marked at a\.yaml:1:8\)/,
    );
  });

  it('--watch runs a round every --interval until it is stopped, then exits 0', async () => {
    const repos = await createRepos({ 'a.yaml': 'image: plain:1\n' });
    const child = spawn(
      process.execPath,
      [VOUCH_BIN, 'update', '--key', 'k.pub', '--watch', '--interval', '1s'],
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

  it('is listed in --help with an example', async () => {
    const dir = await tempDir('promote-cli');
    const result = await vouch(dir, '--help');
    expect(result.stdout).toMatch(
      /update \[options\]\s+image automation that only ever commits verified\s+digests/,
    );
    expect(result.stdout).toMatch(/vouch update --key cosign\.pub --path clusters\/prod/);
  });
});
