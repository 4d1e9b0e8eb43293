/**
 * Registry access per ImageRepository: its `secretRef` credentials first, then the credentials vouch
 * was given (`--registry-config`); its `insecure: true` reaches the registry over plain HTTP. The same
 * access is given to the client that lists tags and to the policy engine that verifies them, so a
 * registry that needs the secret to list also gets it to verify. One client (or engine) per distinct
 * combination, closed together.
 */
import {
  ChainedCredentials,
  type CredentialStore,
  DockerConfigCredentials,
  type RegistryClient,
} from '../../registry/index.js';
import type { ImageRepositoryObject } from './flux/load.js';
import type { PullSecret } from './secrets.js';

/** What reaching one ImageRepository's registry takes beyond vouch's own settings. */
export interface RepositoryAccess {
  /** Equal for ImageRepositories that can share a client: same secret, same plain-HTTP registry. */
  key: string;
  /** The `secretRef` Secret's credentials, to be tried before vouch's own (absent without a secret). */
  credentials?: CredentialStore;
  /** `insecure: true`: this registry is reached over plain HTTP. */
  insecureRegistry?: string;
}

export function repositoryAccess(
  repository: ImageRepositoryObject,
  secret: PullSecret | undefined,
): RepositoryAccess {
  const insecure = repository.spec.insecure === true ? repository.registry : undefined;
  return {
    key: `${secret ? `${secret.namespace}/${secret.name}` : ''}\0${insecure ?? ''}`,
    ...(secret && {
      credentials: new DockerConfigCredentials(secret.config, `Secret ${secret.namespace}/${secret.name}`),
    }),
    ...(insecure !== undefined && { insecureRegistry: insecure }),
  };
}

/** One `T` per distinct RepositoryAccess, made on first use and closed together. */
export class AccessPool<T extends { close(): Promise<void> }> {
  private readonly made = new Map<string, Promise<T>>();

  constructor(private readonly create: (access: RepositoryAccess) => Promise<T>) {}

  for(repository: ImageRepositoryObject, secret: PullSecret | undefined): Promise<T> {
    const access = repositoryAccess(repository, secret);
    let value = this.made.get(access.key);
    if (!value) {
      value = this.create(access);
      this.made.set(access.key, value);
    }
    return value;
  }

  async close(): Promise<void> {
    const values = [...this.made.values()];
    this.made.clear();
    // A value that failed to be made has nothing to close (its error was reported to whoever asked).
    await Promise.all(
      values.map((value) =>
        value.then(
          (made) => made.close(),
          () => undefined,
        ),
      ),
    );
  }
}

export interface ClientSettings {
  credentials: CredentialStore;
  insecureRegistries: string[];
}

/** The registry clients that list tags, one per distinct RepositoryAccess. */
export class RegistryClients {
  private readonly pool: AccessPool<RegistryClient>;

  constructor(
    create: (settings: ClientSettings) => Promise<RegistryClient>,
    base: { credentials: CredentialStore; insecureRegistries: readonly string[] },
  ) {
    this.pool = new AccessPool((access) =>
      create({
        credentials: access.credentials
          ? new ChainedCredentials([access.credentials, base.credentials])
          : base.credentials,
        insecureRegistries: [
          ...base.insecureRegistries,
          ...(access.insecureRegistry !== undefined ? [access.insecureRegistry] : []),
        ],
      }),
    );
  }

  registryFor(repository: ImageRepositoryObject, secret: PullSecret | undefined): Promise<RegistryClient> {
    return this.pool.for(repository, secret);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
