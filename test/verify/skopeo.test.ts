import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../../src/reference/index.js';
import { RegistryClient } from '../../src/registry/index.js';
import { ImageArtefacts, type PrivateKey, parsePrivateKey, signLegacy } from '../../src/signature/index.js';
import { keyAuthority, verifySignatures } from '../../src/verify/index.js';
import { buildImage, pushArtifact, startRegistry, type TestRegistry, tempDir } from '../harness/index.js';

const run = promisify(execFile);

/**
 * Mirroring with `skopeo copy` and `use-sigstore-attachments: true` writes a new `.sig` manifest in
 * the destination; the signature must still verify there (docker-reference is not checked).
 */
describe('an image copied by skopeo with its sigstore attachments', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let key: PrivateKey;
  let registriesD: string;
  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    key = await parsePrivateKey(
      privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      async () => '',
    );
    registriesD = join(await tempDir('registries-d'), 'registries.d');
    await mkdir(registriesD);
    await writeFile(join(registriesD, 'default.yaml'), 'default-docker:\n  use-sigstore-attachments: true\n');
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  it('verifies in the repository it was copied to', async () => {
    const image = buildImage({ seed: 'mirrored' });
    const source = { registry: registry.host, repository: 'upstream/app' };
    await pushArtifact(client, source, image, 'v1');
    await signLegacy(
      client,
      { ...source, digest: image.digest, mediaType: image.mediaType, size: image.manifest.byteLength },
      key,
      {},
    );
    await run('skopeo', [
      '--insecure-policy',
      '--registries.d',
      registriesD,
      'copy',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      `docker://${registry.host}/upstream/app:v1`,
      `docker://${registry.host}/mirror/app:v1`,
    ]);
    const { digest } = await client.resolve(parseReference(`${registry.host}/mirror/app:v1`));
    expect(digest).toBe(image.digest);
    const tags = await client.listTags({ registry: registry.host, repository: 'mirror/app' });
    expect(tags).toContain(`${image.digest.replace(':', '-')}.sig`);
    const outcome = await verifySignatures(
      new ImageArtefacts(client, { registry: registry.host, repository: 'mirror/app', digest }),
      keyAuthority({ keys: [key.publicKey] }),
    );
    expect(outcome.passed).toBe(true);
    expect(outcome.signatures[0]).toMatchObject({ source: 'sig-tag', verified: true });
  });
});
