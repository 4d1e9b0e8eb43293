import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../../src/reference/index.js';
import { RegistryClient, StaticCredentials } from '../../src/registry/index.js';
import { buildImage, buildIndex, pushArtifact, startRegistry, type TestRegistry } from '../harness/index.js';

describe.each(['anonymous', 'basic', 'token'] as const)('registry (%s)', (auth) => {
  let registry: TestRegistry;
  let client: RegistryClient;
  beforeAll(async () => {
    registry = await startRegistry({ auth });
    client = new RegistryClient({
      credentials: new StaticCredentials({
        [registry.host]: { username: registry.username, password: registry.password },
      }),
    });
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  it('pushes and resolves', async () => {
    const image = buildImage({ seed: 'smoke' });
    await pushArtifact(client, { registry: registry.host, repository: 'demo/app' }, image, 'v1');
    const resolved = await client.resolve(parseReference(`${registry.host}/demo/app:v1`));
    expect(resolved.digest).toBe(image.digest);
    const index = buildIndex({ seed: 'smoke-index' });
    await pushArtifact(client, { registry: registry.host, repository: 'demo/app' }, index, 'multi');
    const fetched = await client.getManifest({
      registry: registry.host,
      repository: 'demo/app',
      tag: 'multi',
    });
    expect(fetched.digest).toBe(index.digest);
  });
});
