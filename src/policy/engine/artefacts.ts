/**
 * Registry access for one evaluation: one `ImageArtefacts` per (signature repository, tag prefix,
 * credentials), shared by every authority of every policy that reads from there, so an image's
 * signatures and attestations are fetched once however many authorities check them
 * (policy-controller fetched them per authority: its issue #278).
 */
import type { ImageReference } from '../../reference/index.js';
import {
  ChainedCredentials,
  type CredentialStore,
  type DockerConfig,
  DockerConfigCredentials,
  type RegistryClient,
  type Repository,
} from '../../registry/index.js';
import { ImageArtefacts } from '../../signature/index.js';
import type { Deadline } from '../../util/deadline.js';
import type { PolicySet, PullSecret, SignatureSource } from '../model.js';

/** The registry clients an engine uses: the default one, and one per set of `signaturePullSecrets`. */
export interface RegistryClients {
  readonly default: RegistryClient;
  /** The client for an authority naming these pull secrets (none → the default client). */
  forPullSecrets(names: readonly string[]): RegistryClient;
  /** Registry requests made by every client so far. */
  totalRequests(): number;
  close(): Promise<void>;
}

/**
 * Pull secrets become credentials tried before vouch's own (docker config), in a client of their own
 * (registry tokens are cached per client, so one secret's token never serves another's lookups). The
 * clients are built up front, one per distinct set of secrets the policies name.
 *
 * Only a secret's `auths` are read: a `credsStore` or `credHelpers` entry in a policy-supplied Secret
 * would make vouch run a program the policy author chose.
 */
export class PullSecretClients implements RegistryClients {
  private constructor(
    readonly defaultClient: RegistryClient,
    private readonly secrets: Readonly<Record<string, PullSecret>>,
    private readonly clients: ReadonlyMap<string, RegistryClient>,
  ) {}

  /**
   * `createClient` builds a client like the default one with the given credentials; `baseCredentials`
   * are vouch's own, tried after the secrets.
   */
  static async build(
    set: Pick<PolicySet, 'policies' | 'pullSecrets'>,
    defaultClient: RegistryClient,
    createClient: (credentials: CredentialStore) => Promise<RegistryClient>,
    baseCredentials: CredentialStore,
  ): Promise<PullSecretClients> {
    const clients = new Map<string, RegistryClient>();
    try {
      for (const policy of set.policies)
        for (const authority of policy.authorities) {
          if (authority.type === 'static') continue;
          const names = supplied(authority.source?.pullSecrets ?? [], set.pullSecrets);
          const key = names.join('\u0000');
          if (names.length === 0 || clients.has(key)) continue;
          const stores = names.map((name) => secretCredentials(set.pullSecrets[name] as PullSecret));
          clients.set(key, await createClient(new ChainedCredentials([...stores, baseCredentials])));
        }
    } catch (error) {
      await Promise.all([...clients.values()].map((client) => client.close()));
      throw error;
    }
    return new PullSecretClients(defaultClient, set.pullSecrets, clients);
  }

  get default(): RegistryClient {
    return this.defaultClient;
  }

  forPullSecrets(names: readonly string[]): RegistryClient {
    // Secrets that were not supplied were reported when loading; signatures are then read as vouch.
    return this.clients.get(supplied(names, this.secrets).join('\u0000')) ?? this.defaultClient;
  }

  totalRequests(): number {
    let total = this.defaultClient.stats.total;
    for (const client of this.clients.values()) total += client.stats.total;
    return total;
  }

  async close(): Promise<void> {
    await Promise.all([this.defaultClient, ...this.clients.values()].map((client) => client.close()));
  }
}

/** A single client for everything (no pull secrets in use), e.g. for tests and flag-based checks. */
export function singleClient(client: RegistryClient): RegistryClients {
  return {
    default: client,
    forPullSecrets: () => client,
    totalRequests: () => client.stats.total,
    close: () => client.close(),
  };
}

/** The names among `names` that were supplied as Secrets (the others were reported when loading). */
function supplied(names: readonly string[], secrets: Readonly<Record<string, PullSecret>>): string[] {
  return names.filter((name) => secrets[name] !== undefined);
}

function secretCredentials(secret: PullSecret): CredentialStore {
  let auths: DockerConfig['auths'] = {};
  try {
    const parsed = JSON.parse(secret.dockerConfigJson) as { auths?: unknown } & Record<string, unknown>;
    // `.dockerconfigjson` holds {auths: {...}}; the legacy `.dockercfg` is the auths map itself.
    const candidate = parsed.auths ?? parsed;
    if (typeof candidate === 'object' && candidate !== null) auths = candidate as DockerConfig['auths'];
  } catch {
    auths = {};
  }
  return new DockerConfigCredentials({ auths }, `pull secret ${secret.namespace}/${secret.name}`);
}

/** Where an authority reads signatures for an image: `source.oci` (a registry alone keeps the image's repository path). */
export function signatureRepository(
  source: SignatureSource | undefined,
  image: Pick<ImageReference, 'registry' | 'repository'>,
): Repository {
  const oci = source?.oci;
  if (oci === undefined) return { registry: image.registry, repository: image.repository };
  return { registry: oci.registry, repository: oci.repository ?? image.repository };
}

/** The artefacts of one image digest, per source and credentials, for one evaluation. */
export class ArtefactPool {
  private readonly pool = new Map<string, ImageArtefacts>();

  constructor(
    private readonly clients: RegistryClients,
    readonly image: { registry: string; repository: string; digest: string },
    private readonly deadline: Deadline,
  ) {}

  for(source: SignatureSource | undefined): ImageArtefacts {
    const repository = signatureRepository(source, this.image);
    const tagPrefix = source?.tagPrefix ?? '';
    const secrets = [...(source?.pullSecrets ?? [])];
    const key = [repository.registry, repository.repository, tagPrefix, ...secrets].join('\u0000');
    let artefacts = this.pool.get(key);
    if (artefacts === undefined) {
      artefacts = new ImageArtefacts(this.clients.forPullSecrets(secrets), this.image, {
        signatureRepository: repository,
        ...(tagPrefix !== '' && { tagPrefix }),
        deadline: this.deadline,
      });
      this.pool.set(key, artefacts);
    }
    return artefacts;
  }
}
