import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/index.js';
import { buildImage, buildIndex, pushArtifact, startRegistry, type TestRegistry } from '../harness/index.js';

const run = promisify(execFile);

/** An independent reader (skopeo, from Debian) confirms that what vouch's client pushes is a valid image. */
describe('images pushed by vouch, read by skopeo', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient();
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  it.each(['oci', 'docker'] as const)(
    'a %s single-platform image and a multi-platform index',
    async (format) => {
      const image = buildImage({ seed: `skopeo-${format}`, format });
      const index = buildIndex({ seed: `skopeo-index-${format}`, format });
      await pushArtifact(client, { registry: registry.host, repository: 'x/app' }, image, `single-${format}`);
      await pushArtifact(client, { registry: registry.host, repository: 'x/app' }, index, `multi-${format}`);

      const inspected = await run('skopeo', [
        'inspect',
        '--tls-verify=false',
        `docker://${registry.host}/x/app:single-${format}`,
      ]);
      const info = JSON.parse(inspected.stdout) as { Digest: string; Architecture: string; Layers: string[] };
      expect(info.Digest).toBe(image.digest);
      expect(info.Architecture).toBe('amd64');

      const raw = await run('skopeo', [
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${registry.host}/x/app:multi-${format}`,
      ]);
      expect(Buffer.from(raw.stdout).equals(Buffer.from(index.manifest))).toBe(true);

      // skopeo copies the image (pulling every blob and checking its digest) into another repository.
      await run('skopeo', [
        '--insecure-policy',
        'copy',
        '--all',
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        `docker://${registry.host}/x/app:multi-${format}`,
        `docker://${registry.host}/x/copy:multi-${format}`,
      ]);
      const copied = await client.getManifest({
        registry: registry.host,
        repository: 'x/copy',
        tag: `multi-${format}`,
      });
      expect(copied.digest).toBe(index.digest);
    },
  );
});
