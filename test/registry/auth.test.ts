import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../../src/reference/index.js';
import {
  DockerConfigCredentials,
  type ImageManifest,
  RegistryClient,
  RegistryError,
  StaticCredentials,
} from '../../src/registry/index.js';
import { buildImage, pushArtifact, startRegistry, type TestRegistry, tempDir } from '../harness/index.js';

function credentialsFor(registry: TestRegistry) {
  return new StaticCredentials({
    [registry.host]: { username: registry.username, password: registry.password },
  });
}

describe.each(['anonymous', 'basic', 'token'] as const)('the %s registry', (auth) => {
  let registry: TestRegistry;
  let client: RegistryClient;
  const image = buildImage({ seed: `auth-${auth}` });

  beforeAll(async () => {
    registry = await startRegistry({ auth });
    client = new RegistryClient({ credentials: credentialsFor(registry) });
    await pushArtifact(client, { registry: registry.host, repository: 'team/app' }, image, 'v1');
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  it('resolves a tag to the pushed digest', async () => {
    const resolved = await client.resolve(parseReference(`${registry.host}/team/app:v1`));
    expect(resolved).toEqual({
      digest: image.digest,
      mediaType: image.mediaType,
      size: image.manifest.byteLength,
    });
  });

  it('fetches the manifest and its blobs by digest, checking each hash', async () => {
    const repo = { registry: registry.host, repository: 'team/app' };
    const fetched = await client.getManifest({ ...repo, digest: image.digest });
    expect(Buffer.from(fetched.bytes).equals(Buffer.from(image.manifest))).toBe(true);
    const config = await client.getBlob(repo, (fetched.manifest as ImageManifest).config.digest);
    expect(Buffer.from(config).equals(Buffer.from(image.config))).toBe(true);
  });

  it('reports a missing tag as MANIFEST_UNKNOWN naming it', async () => {
    const error = await client
      .resolve(parseReference(`${registry.host}/team/app:nope`))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe('MANIFEST_UNKNOWN');
    expect((error as RegistryError).message).toContain(`${registry.host}/team/app:nope`);
  });

  if (auth !== 'anonymous') {
    it('refuses anonymous access with UNAUTHORIZED', async () => {
      const anonymousClient = new RegistryClient();
      const error = await anonymousClient
        .resolve(parseReference(`${registry.host}/team/app:v1`))
        .catch((e: unknown) => e);
      await anonymousClient.close();
      expect((error as RegistryError).code).toBe('UNAUTHORIZED');
    });

    it('refuses a wrong password with UNAUTHORIZED', async () => {
      const wrong = new RegistryClient({
        credentials: new StaticCredentials({
          [registry.host]: { username: registry.username, password: 'wrong' },
        }),
      });
      const error = await wrong
        .resolve(parseReference(`${registry.host}/team/app:v1`))
        .catch((e: unknown) => e);
      await wrong.close();
      expect((error as RegistryError).code).toBe('UNAUTHORIZED');
    });

    it('authenticates later requests pre-emptively, without another 401', async () => {
      const fresh = new RegistryClient({ credentials: credentialsFor(registry) });
      const ref = parseReference(`${registry.host}/team/app:v1`);
      await fresh.resolve(ref);
      const first = fresh.stats.snapshot();
      fresh.stats.reset();
      await fresh.resolve(ref);
      await fresh.resolve(ref);
      const later = fresh.stats.snapshot();
      await fresh.close();
      // first: HEAD (401) [+ token] + HEAD; later: exactly one HEAD each, the token or Basic header reused.
      expect(first.byKind['manifest-head']).toBe(2);
      expect(later).toEqual({ total: 2, byKind: { 'manifest-head': 2 } });
    });
  } else {
    it('resolves anonymously with exactly one HEAD', async () => {
      const fresh = new RegistryClient();
      await fresh.resolve(parseReference(`${registry.host}/team/app:v1`));
      expect(fresh.stats.snapshot()).toEqual({ total: 1, byKind: { 'manifest-head': 1 } });
      await fresh.close();
    });
  }
});

describe('token scopes', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({
      auth: 'token',
      users: { reader: 'reader-password' },
      // `reader` may only pull `team/allowed`; the default user may do anything.
      access: (user, repository, requested) =>
        user === 'reader'
          ? repository === 'team/allowed'
            ? requested.filter((a) => a === 'pull')
            : []
          : user
            ? requested
            : [],
    });
    const admin = new RegistryClient({ credentials: credentialsFor(registry) });
    const image = buildImage({ seed: 'scopes' });
    await pushArtifact(admin, { registry: registry.host, repository: 'team/allowed' }, image, 'v1');
    await pushArtifact(admin, { registry: registry.host, repository: 'team/secret' }, image, 'v1');
    await admin.close();
  });
  afterAll(async () => registry?.stop());

  it('a token for one repository does not open another', async () => {
    const reader = new RegistryClient({
      credentials: new StaticCredentials({
        [registry.host]: { username: 'reader', password: 'reader-password' },
      }),
    });
    await expect(reader.resolve(parseReference(`${registry.host}/team/allowed:v1`))).resolves.toMatchObject({
      digest: expect.stringMatching(/^sha256:/),
    });
    const error = await reader
      .resolve(parseReference(`${registry.host}/team/secret:v1`))
      .catch((e: unknown) => e);
    expect((error as RegistryError).code).toBe('UNAUTHORIZED');
    await reader.close();
  });

  it('caches a token per scope until it expires', async () => {
    const client = new RegistryClient({ credentials: credentialsFor(registry) });
    const before = registry.tokenServer?.requests() ?? 0;
    for (let i = 0; i < 5; i++) await client.resolve(parseReference(`${registry.host}/team/allowed:v1`));
    expect((registry.tokenServer?.requests() ?? 0) - before).toBe(1);
    await client.resolve(parseReference(`${registry.host}/team/secret:v1`));
    expect((registry.tokenServer?.requests() ?? 0) - before).toBe(2);
    await client.close();
  });
});

describe('credentials from docker config.json', () => {
  let registry: TestRegistry;
  let dir: string;
  beforeAll(async () => {
    registry = await startRegistry({ auth: 'basic' });
    dir = await tempDir('docker-config');
    const admin = new RegistryClient({ credentials: credentialsFor(registry) });
    await pushArtifact(
      admin,
      { registry: registry.host, repository: 'team/app' },
      buildImage({ seed: 'cfg' }),
      'v1',
    );
    await admin.close();
  });
  afterAll(async () => registry?.stop());

  async function resolveWith(config: object, env: Record<string, string> = {}): Promise<string> {
    const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, JSON.stringify(config));
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const client = new RegistryClient({ credentials: await DockerConfigCredentials.load(file) });
      try {
        return (await client.resolve(parseReference(`${registry.host}/team/app:v1`))).digest;
      } finally {
        await client.close();
      }
    } finally {
      process.env = saved;
    }
  }

  it('reads `auths` with a base64 auth entry', async () => {
    const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
    await expect(resolveWith({ auths: { [registry.host]: { auth } } })).resolves.toMatch(/^sha256:/);
  });

  it('reads `auths` keyed by URL', async () => {
    const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
    await expect(resolveWith({ auths: { [`http://${registry.host}/v2/`]: { auth } } })).resolves.toMatch(
      /^sha256:/,
    );
  });

  /** A real docker-credential-<name> program speaking the helper protocol, on PATH for the test. */
  async function installHelper(name: string, script: string): Promise<string> {
    const bin = join(dir, `bin-${name}`);
    await mkdir(bin, { recursive: true });
    const file = join(bin, `docker-credential-${name}`);
    await writeFile(file, `#!/bin/sh\n${script}\n`);
    await chmod(file, 0o755);
    return bin;
  }

  it('runs a `credHelpers` helper with the server URL on stdin', async () => {
    const log = join(dir, 'helper-stdin');
    const bin = await installHelper(
      'vouchtest',
      `[ "$1" = get ] || exit 3\nread server\necho "$server" > ${log}\n` +
        `printf '{"ServerURL":"%s","Username":"${registry.username}","Secret":"${registry.password}"}' "$server"`,
    );
    await expect(
      resolveWith({ credHelpers: { [registry.host]: 'vouchtest' } }, { PATH: `${bin}:${process.env.PATH}` }),
    ).resolves.toMatch(/^sha256:/);
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(log, 'utf8')).trim()).toBe(registry.host);
  });

  it('runs the `credsStore` helper', async () => {
    const bin = await installHelper(
      'vouchstore',
      `read server\nprintf '{"ServerURL":"%s","Username":"${registry.username}","Secret":"${registry.password}"}' "$server"`,
    );
    await expect(
      resolveWith({ credsStore: 'vouchstore' }, { PATH: `${bin}:${process.env.PATH}` }),
    ).resolves.toMatch(/^sha256:/);
  });

  it('treats the helper protocol\'s "credentials not found" as anonymous', async () => {
    const bin = await installHelper('vouchnone', 'echo "credentials not found in native keychain"; exit 1');
    const error = await resolveWith(
      { credsStore: 'vouchnone' },
      { PATH: `${bin}:${process.env.PATH}` },
    ).catch((e: unknown) => e);
    expect((error as RegistryError).code).toBe('UNAUTHORIZED');
  });

  it('reports a failing helper as a CREDENTIALS error with its output', async () => {
    const bin = await installHelper('vouchbroken', 'echo "keychain locked" >&2; exit 7');
    const error = await resolveWith(
      { credsStore: 'vouchbroken' },
      { PATH: `${bin}:${process.env.PATH}` },
    ).catch((e: unknown) => e);
    expect((error as RegistryError).code).toBe('CREDENTIALS');
    expect((error as RegistryError).message).toContain('keychain locked');
  });

  it('rejects a config file that is not JSON', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{not json');
    const error = await DockerConfigCredentials.load(file).catch((e: unknown) => e);
    expect((error as RegistryError).code).toBe('CONFIG');
  });
});
