import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ClientSettings, RegistryClients } from '../../../src/gates/promote/clients.js';
import { PromoteError } from '../../../src/gates/promote/errors.js';
import type { ImageRepositoryObject } from '../../../src/gates/promote/flux/load.js';
import { loadPullSecrets } from '../../../src/gates/promote/secrets.js';
import { RegistryClient, StaticCredentials } from '../../../src/registry/index.js';
import { tempDir } from '../../harness/index.js';

function repository(insecure?: boolean): ImageRepositoryObject {
  return {
    kind: 'ImageRepository',
    apiVersion: 'image.toolkit.fluxcd.io/v1',
    namespace: 'flux-system',
    name: 'app',
    location: { file: 'f.yaml', line: 1, column: 1 },
    spec: {
      image: 'registry.internal:5000/app',
      interval: '1m',
      ...(insecure !== undefined && { insecure }),
    },
    registry: 'registry.internal:5000',
    repository: 'app',
  };
}

describe('registry clients per ImageRepository', () => {
  it('applies insecure and the pull secret ahead of the given credentials, one client per combination', async () => {
    const made: ClientSettings[] = [];
    const clients = new RegistryClients(
      async (settings) => {
        made.push(settings);
        return new RegistryClient(settings);
      },
      {
        credentials: new StaticCredentials({
          'registry.internal:5000': { username: 'global', password: 'g' },
        }),
        insecureRegistries: ['other.internal'],
      },
    );
    try {
      const secret = {
        namespace: 'flux-system',
        name: 'pull',
        source: 'secret.yaml',
        config: { auths: { 'registry.internal:5000': { username: 'from-secret', password: 's' } } },
      };
      const plain = await clients.registryFor(repository(), undefined);
      expect(await clients.registryFor(repository(false), undefined)).toBe(plain);
      await clients.registryFor(repository(true), undefined);
      await clients.registryFor(repository(), secret);
      expect(await clients.registryFor(repository(), secret)).toBe(
        await clients.registryFor(repository(), secret),
      );
      expect(made.map((settings) => settings.insecureRegistries)).toEqual([
        ['other.internal'],
        ['other.internal', 'registry.internal:5000'],
        ['other.internal'],
      ]);
      expect(await made[0]?.credentials.get('registry.internal:5000')).toEqual({
        username: 'global',
        password: 'g',
      });
      expect(await made[2]?.credentials.get('registry.internal:5000')).toEqual({
        username: 'from-secret',
        password: 's',
      });
      expect(await made[2]?.credentials.get('elsewhere.io')).toBeUndefined();
    } finally {
      await clients.close();
    }
  });
});

describe('pull secrets', () => {
  const config = { auths: { 'ghcr.io': { username: 'bot', password: 'token' } } };
  const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

  it('reads dockerconfigjson and dockercfg Secrets, base64 data or stringData, from files and Lists', async () => {
    const dir = await tempDir('promote-secrets');
    await writeFile(
      join(dir, 'secrets.yaml'),
      `apiVersion: v1
kind: Secret
metadata: { name: ghcr, namespace: apps }
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: ${base64(config)}
---
apiVersion: v1
kind: Secret
metadata: { name: legacy }
type: kubernetes.io/dockercfg
stringData:
  .dockercfg: '${JSON.stringify(config.auths)}'
---
apiVersion: v1
kind: ConfigMap
metadata: { name: ignored }
`,
    );
    const secrets = await loadPullSecrets([dir]);
    expect([...secrets.keys()]).toEqual(['apps/ghcr', 'flux-system/legacy']);
    expect(secrets.get('apps/ghcr')?.config).toEqual(config);
    expect(secrets.get('flux-system/legacy')?.config).toEqual(config);
  });

  it.each([
    ['type: Opaque', /secrets\.yaml:4:7: Secret: type: Invalid option/],
    [
      'type: kubernetes.io/dockerconfigjson\ndata: { other: eA== }',
      /data\.\.dockerconfigjson is missing or not base64/,
    ],
    [
      `type: kubernetes.io/dockerconfigjson\ndata: { .dockerconfigjson: ${Buffer.from('nope').toString('base64')} }`,
      /is not JSON/,
    ],
    [
      `type: kubernetes.io/dockerconfigjson\ndata: { .dockerconfigjson: ${Buffer.from('{"auths": 3}').toString('base64')} }`,
      /has no valid "auths"/,
    ],
  ])('rejects %j with its location', async (body, expected) => {
    const dir = await tempDir('promote-secrets');
    await writeFile(
      join(dir, 'secrets.yaml'),
      `apiVersion: v1\nkind: Secret\nmetadata: { name: s }\n${body}\n`,
    );
    const error = await loadPullSecrets([dir]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PromoteError);
    expect((error as PromoteError).message).toMatch(expected);
  });
});
