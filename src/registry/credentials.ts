import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_HUB_REGISTRY } from '../reference/index.js';
import { RegistryError } from './errors.js';

export type Credential = { username: string; password: string } | { identityToken: string };

/** Where the registry client gets credentials for a registry host; undefined means anonymous. */
export interface CredentialStore {
  get(registry: string): Promise<Credential | undefined>;
}

/** The parts of docker's `config.json` that hold credentials. */
export interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

const DOCKER_HUB_KEYS = [
  'https://index.docker.io/v1/',
  'index.docker.io',
  'docker.io',
  'registry-1.docker.io',
];

/** `https://host/v1/` and `host` name the same registry in config.json keys. */
function normaliseKey(key: string): string {
  return key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

function keysFor(registry: string): string[] {
  return registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_KEYS : [registry];
}

/**
 * Credentials from a docker `config.json`, as docker and go-containerregistry read it: a per-registry
 * `credHelpers` entry wins, then the global `credsStore`, then inline `auths`. Helpers are the real
 * `docker-credential-<name>` programs spoken to over stdin/stdout.
 */
export class DockerConfigCredentials implements CredentialStore {
  private readonly cache = new Map<string, Promise<Credential | undefined>>();

  constructor(
    private readonly config: DockerConfig,
    private readonly source: string = 'docker config',
  ) {}

  /** Reads `path`, or `$DOCKER_CONFIG/config.json`, or `~/.docker/config.json`; a missing default file is empty. */
  static async load(path?: string): Promise<DockerConfigCredentials> {
    const file = path ?? join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      if (path === undefined && (cause as NodeJS.ErrnoException).code === 'ENOENT')
        return new DockerConfigCredentials({}, file);
      throw new RegistryError('CONFIG', `cannot read registry config ${file}: ${(cause as Error).message}`, {
        registry: '',
        cause,
      });
    }
    let config: DockerConfig;
    try {
      config = JSON.parse(text) as DockerConfig;
    } catch (cause) {
      throw new RegistryError('CONFIG', `registry config ${file} is not valid JSON`, { registry: '', cause });
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new RegistryError('CONFIG', `registry config ${file} must be a JSON object`, { registry: '' });
    }
    return new DockerConfigCredentials(config, file);
  }

  get(registry: string): Promise<Credential | undefined> {
    let pending = this.cache.get(registry);
    if (!pending) {
      pending = this.lookup(registry);
      this.cache.set(registry, pending);
    }
    return pending;
  }

  private async lookup(registry: string): Promise<Credential | undefined> {
    const keys = keysFor(registry);
    const helpers = this.config.credHelpers ?? {};
    for (const [key, helper] of Object.entries(helpers)) {
      if (keys.includes(normaliseKey(key)) || keys.includes(key))
        return runCredentialHelper(helper, key, registry);
    }
    if (this.config.credsStore) {
      const fromStore = await runCredentialHelper(this.config.credsStore, keys[0] as string, registry);
      if (fromStore) return fromStore;
    }
    for (const [key, entry] of Object.entries(this.config.auths ?? {})) {
      if (!keys.includes(key) && !keys.includes(normaliseKey(key))) continue;
      if (entry.identitytoken) return { identityToken: entry.identitytoken };
      if (entry.username !== undefined && entry.password !== undefined)
        return { username: entry.username, password: entry.password };
      if (entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon < 0) {
          throw new RegistryError(
            'CREDENTIALS',
            `${this.source}: the auth entry for ${key} is not base64 of user:password`,
            { registry },
          );
        }
        return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
      }
    }
    return undefined;
  }
}

/** Runs `docker-credential-<helper> get` with the server URL on stdin (the docker credential-helper protocol). */
export function runCredentialHelper(
  helper: string,
  serverUrl: string,
  registry: string,
): Promise<Credential | undefined> {
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'pipe'], timeout: 15_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', (cause) => {
      reject(
        new RegistryError('CREDENTIALS', `cannot run credential helper ${program}: ${cause.message}`, {
          registry,
          cause,
        }),
      );
    });
    child.on('close', (code) => {
      const said = (stdout + stderr).trim();
      if (code !== 0) {
        // The protocol's "no credentials" answer is not an error: the registry is then used anonymously.
        if (/credentials not found/i.test(said)) {
          resolve(undefined);
          return;
        }
        reject(
          new RegistryError('CREDENTIALS', `credential helper ${program} failed (exit ${code}): ${said}`, {
            registry,
          }),
        );
        return;
      }
      let answer: { Username?: unknown; Secret?: unknown } | undefined;
      let cause: unknown;
      try {
        answer = JSON.parse(stdout) as { Username?: unknown; Secret?: unknown };
      } catch (error) {
        cause = error;
      }
      const secret = answer?.Secret;
      if (typeof secret !== 'string') {
        reject(
          new RegistryError(
            'CREDENTIALS',
            `credential helper ${program} printed something that is not its JSON answer`,
            { registry, ...(cause !== undefined && { cause }) },
          ),
        );
        return;
      }
      const username = typeof answer?.Username === 'string' ? answer.Username : '';
      if (username === '<token>') resolve({ identityToken: secret });
      else resolve({ username, password: secret });
    });
    // A helper may exit without reading its input; the exit status then tells what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(serverUrl);
  });
}

/** Explicit credentials per registry first, then a fallback store. */
export class ChainedCredentials implements CredentialStore {
  constructor(private readonly stores: readonly CredentialStore[]) {}

  async get(registry: string): Promise<Credential | undefined> {
    for (const store of this.stores) {
      const found = await store.get(registry);
      if (found) return found;
    }
    return undefined;
  }
}

/** A fixed map of registry → credential (the explicit credentials option, pull secrets). */
export class StaticCredentials implements CredentialStore {
  constructor(private readonly entries: Readonly<Record<string, Credential>>) {}

  async get(registry: string): Promise<Credential | undefined> {
    for (const key of keysFor(registry)) {
      const found = this.entries[key];
      if (found) return found;
    }
    return undefined;
  }
}

export const anonymous: CredentialStore = { get: async () => undefined };
