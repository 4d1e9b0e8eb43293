/**
 * The world the end-to-end admission tests run in: a real registry holding images signed with a
 * cosign key by the signature layer (legacy `.sig` tags, as `cosign sign` writes them) and unsigned
 * ones, and the ClusterImagePolicies a cluster would mount from a ConfigMap.
 */
import { stringify } from 'yaml';
import { RegistryClient } from '../../../src/registry/index.js';
import type { PrivateKey } from '../../../src/signature/index.js';
import { cip, keyAuthority, newKey, type PushedImage, pushImage, sign } from '../../engine/helpers.js';
import { startRegistry, type TestRegistry } from '../../harness/index.js';

export interface SignedWorld {
  registry: TestRegistry;
  key: PrivateKey;
  /** `team/app:v1`, signed. */
  signed: PushedImage;
  /** `team/app:v2`, in the same repository, never signed. */
  unsigned: PushedImage;
  /** `team/migrate:v1`, signed (init containers). */
  migrate: PushedImage;
  /** `team/debug:v1`, signed (ephemeral containers). */
  debug: PushedImage;
  /** `team/models:v1`, signed (image volumes). */
  models: PushedImage;
  /** `experimental/tool:v1`, unsigned, covered by a `mode: warn` policy. */
  experimental: PushedImage;
  /** `base/static:1`: covered only by a `static: pass` policy; not even pushed. */
  staticImage: string;
  stop(): Promise<void>;
}

export async function startSignedWorld(): Promise<SignedWorld> {
  const registry = await startRegistry();
  const client = new RegistryClient();
  try {
    const key = await newKey();
    const signed = await pushImage(client, registry.host, 'team/app', 'v1');
    const unsigned = await pushImage(client, registry.host, 'team/app', 'v2');
    const migrate = await pushImage(client, registry.host, 'team/migrate', 'v1');
    const debug = await pushImage(client, registry.host, 'team/debug', 'v1');
    const models = await pushImage(client, registry.host, 'team/models', 'v1');
    const experimental = await pushImage(client, registry.host, 'experimental/tool', 'v1');
    for (const image of [signed, migrate, debug, models]) await sign(client, image, key);
    return {
      registry,
      key,
      signed,
      unsigned,
      migrate,
      debug,
      models,
      experimental,
      staticImage: `${registry.host}/base/static:1`,
      stop: () => registry.stop(),
    };
  } finally {
    await client.close();
  }
}

/**
 * The policies: team images need the key, base images pass statically, experimental ones only warn.
 * `teamGlob` narrows the key policy; `extra` adds documents.
 */
export function worldPolicies(
  world: SignedWorld,
  options: { teamGlob?: string; extra?: Record<string, unknown>[] } = {},
): string {
  const host = world.registry.host;
  return [
    cip('release-signed', {
      images: [{ glob: options.teamGlob ?? `${host}/team/**` }],
      authorities: [keyAuthority(world.key)],
    }),
    cip('base-images', {
      images: [{ glob: `${host}/base/**` }],
      authorities: [{ static: { action: 'pass' } }],
    }),
    cip('experimental', {
      mode: 'warn',
      images: [{ glob: `${host}/experimental/**` }],
      authorities: [keyAuthority(world.key)],
    }),
    ...(options.extra ?? []),
  ]
    .map((document) => stringify(document))
    .join('---\n');
}
