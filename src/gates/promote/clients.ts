/**
 * Registry clients per ImageRepository: its `secretRef` credentials first, then the credentials vouch
 * was given (`--registry-config`); its `insecure: true` reaches the registry over plain HTTP. One
 * client per distinct combination, closed together.
 */
import {
  ChainedCredentials,
  type CredentialStore,
  DockerConfigCredentials,
  type RegistryClient,
} from '../../registry/index.js';
import type { ImageRepositoryObject } from './flux/load.js';
import type { PullSecret } from './secrets.js';

export interface ClientSettings {
  credentials: CredentialStore;
  insecureRegistries: string[];
}

export class RegistryClients {
  private readonly clients = new Map<string, Promise<RegistryClient>>();

  constructor(
    private readonly create: (settings: ClientSettings) => Promise<RegistryClient>,
    private readonly base: { credentials: CredentialStore; insecureRegistries: readonly string[] },
  ) {}

  registryFor(repository: ImageRepositoryObject, secret: PullSecret | undefined): Promise<RegistryClient> {
    const insecure = repository.spec.insecure === true ? repository.registry : undefined;
    const key = `${secret ? `${secret.namespace}/${secret.name}` : ''}\0${insecure ?? ''}`;
    let client = this.clients.get(key);
    if (!client) {
      client = this.create({
        credentials: secret
          ? new ChainedCredentials([
              new DockerConfigCredentials(secret.config, `Secret ${secret.namespace}/${secret.name}`),
              this.base.credentials,
            ])
          : this.base.credentials,
        insecureRegistries: [...this.base.insecureRegistries, ...(insecure ? [insecure] : [])],
      });
      this.clients.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map(async (client) => (await client).close()));
  }
}
