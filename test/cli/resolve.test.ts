import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, StaticCredentials } from '../../src/registry/index.js';
import {
  buildImage,
  buildIndex,
  pushArtifact,
  runVouch,
  startFakeRegistry,
  startRegistry,
  type TestRegistry,
  tempDir,
} from '../harness/index.js';

describe('vouch resolve', () => {
  let registry: TestRegistry;
  let secured: TestRegistry;
  const image = buildImage({ seed: 'cli-resolve' });
  const index = buildIndex({ seed: 'cli-resolve-index' });

  beforeAll(async () => {
    [registry, secured] = await Promise.all([startRegistry(), startRegistry({ auth: 'token' })]);
    const client = new RegistryClient({
      credentials: new StaticCredentials({
        [secured.host]: { username: secured.username, password: secured.password },
      }),
    });
    await pushArtifact(client, { registry: registry.host, repository: 'demo/app' }, image, 'v1');
    await pushArtifact(client, { registry: registry.host, repository: 'demo/app' }, index, 'multi');
    await pushArtifact(client, { registry: secured.host, repository: 'private/app' }, image, 'v1');
    await client.close();
  });
  afterAll(async () => {
    await registry?.stop();
    await secured?.stop();
  });

  it('prints the canonical reference with the digest, one line per image', async () => {
    const result = await runVouch([
      'resolve',
      `${registry.host}/demo/app:v1`,
      `${registry.host}/demo/app:multi`,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `${registry.host}/demo/app:v1@${image.digest}\n${registry.host}/demo/app:multi@${index.digest}\n`,
    );
    expect(result.stderr).toBe('');
  });

  it('prints JSON with --output json', async () => {
    const result = await runVouch(['resolve', '--output', 'json', `${registry.host}/demo/app:v1`]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      {
        image: `${registry.host}/demo/app:v1`,
        reference: `${registry.host}/demo/app:v1@${image.digest}`,
        digest: image.digest,
        mediaType: image.mediaType,
      },
    ]);
  });

  it('resolves a digest reference to itself', async () => {
    const result = await runVouch(['resolve', `${registry.host}/demo/app@${image.digest}`]);
    expect(result.stdout).toBe(`${registry.host}/demo/app@${image.digest}\n`);
  });

  it('exits 1 naming a tag that does not exist, still printing the others', async () => {
    const result = await runVouch([
      'resolve',
      `${registry.host}/demo/app:v1`,
      `${registry.host}/demo/app:missing`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`${registry.host}/demo/app:v1@${image.digest}\n`);
    expect(result.stderr).toContain(`cannot resolve ${registry.host}/demo/app:missing`);
    expect(result.stderr).toContain(`manifest ${registry.host}/demo/app:missing not found`);
  });

  it('exits 2 on an invalid reference before any registry work', async () => {
    const result = await runVouch(['resolve', `${registry.host}/demo/app:v1`, 'Not/Valid']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'vouch: invalid reference "Not/Valid": repository "Valid" must be lowercase\n',
    );
  });

  it('uses credentials from --registry-config', async () => {
    const dir = await tempDir('cli-config');
    const config = join(dir, 'config.json');
    const auth = Buffer.from(`${secured.username}:${secured.password}`).toString('base64');
    await writeFile(config, JSON.stringify({ auths: { [secured.host]: { auth } } }));
    const anonymous = await runVouch(['resolve', `${secured.host}/private/app:v1`]);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain('requires authentication');
    const authenticated = await runVouch([
      'resolve',
      '--registry-config',
      config,
      `${secured.host}/private/app:v1`,
    ]);
    expect(authenticated.code).toBe(0);
    expect(authenticated.stdout).toBe(`${secured.host}/private/app:v1@${image.digest}\n`);
  });

  it('exits 2 when --registry-config cannot be read', async () => {
    const result = await runVouch([
      'resolve',
      '--registry-config',
      '/no/such/file.json',
      `${registry.host}/demo/app:v1`,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot read registry config /no/such/file.json');
  });

  it('reports a timeout for a registry that stalls, instead of waiting', async () => {
    const stalling = await startFakeRegistry(() => {});
    try {
      const result = await runVouch(['resolve', '--timeout', '1', `${stalling.host}/x/y:v1`]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`registry ${stalling.host} did not answer within 1 s`);
    } finally {
      await stalling.stop();
    }
  });

  it('rejects a non-numeric --timeout with exit 2', async () => {
    const result = await runVouch(['resolve', '--timeout', 'soon', `${registry.host}/demo/app:v1`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--timeout must be a positive number of seconds');
  });
});

describe('the vouch program', () => {
  it('prints its version', async () => {
    const { version } = JSON.parse(
      await import('node:fs').then((fs) => fs.readFileSync('package.json', 'utf8')),
    );
    const result = await runVouch(['--version']);
    expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('lists commands with a description and an example each', async () => {
    const result = await runVouch(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Commands:\n\s+resolve \[options\] <image\.\.\.>\s+print the digest/);
    expect(result.stdout).toContain('Examples:\n  vouch resolve ');
  });

  it('exits 2 with a usage hint for an unknown command', async () => {
    const result = await runVouch(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: unknown command 'frobnicate'");
    expect(result.stderr).toContain("(run 'vouch --help' for usage)");
  });

  it('exits 2 with a usage hint for an unknown flag', async () => {
    const result = await runVouch(['resolve', '--frobnicate', 'alpine']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: unknown option '--frobnicate'");
  });

  it('exits 2 for an invalid --output value', async () => {
    const result = await runVouch(['resolve', '--output', 'yaml', 'alpine']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("argument 'yaml' is invalid");
  });

  it('exits 2 and prints usage when called with no arguments', async () => {
    const result = await runVouch([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: vouch');
  });
});
