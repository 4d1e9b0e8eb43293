import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { freePort, type ManagedProcess, startProcess, tempDir, waitFor } from './processes.js';
import { startTagPager } from './tag-pager.js';
import { type AccessRule, startTokenServer, type TokenServer } from './token-server.js';

export type RegistryAuth = 'anonymous' | 'basic' | 'token';

export interface TestRegistry {
  /** `127.0.0.1:<port>`: what goes in image references. */
  host: string;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The registry itself, bypassing the tag-paging front when there is one. */
  upstreamUrl: string;
  /** Tag-list pages the paging front has served (0 without `pageTags`). */
  tagPagesServed(): number;
  auth: RegistryAuth;
  /** The user that may push and pull (basic and token flavours). */
  username: string;
  password: string;
  storageDir: string;
  tokenServer?: TokenServer;
  /**
   * Stops the registry (and its token server) and removes its files; `keepStorage` keeps the stored
   * content so that a new registry can be started on it. Safe to call twice.
   */
  stop(options?: { keepStorage?: boolean }): Promise<void>;
  process: ManagedProcess;
}

export interface RegistryOptions {
  auth?: RegistryAuth;
  /** Token flavour only: which repositories each user may use. */
  access?: AccessRule;
  /** Extra users besides the default one. */
  users?: Record<string, string>;
  /** Reuse storage (to restart a registry with the same content). */
  storageDir?: string;
  /** Reuse a port (to restart a registry at the same address). */
  port?: number;
  /**
   * Serve `/tags/list` in pages of at most this many tags with `Link` headers, as the distribution spec
   * describes (distribution 2.8 itself ignores `n`); `host` is then the paging front's address.
   */
  pageTags?: number;
}

export const TEST_USER = 'vouch';
export const TEST_PASSWORD = 'correct horse battery staple';

/**
 * Starts the CNCF distribution registry (Debian's `docker-registry`) on a free loopback port with its
 * own filesystem storage: anonymous, with htpasswd Basic auth, or with token auth backed by a token
 * server on loopback.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const auth = options.auth ?? 'anonymous';
  const dir = await tempDir('registry');
  const storageDir = options.storageDir ?? join(dir, 'storage');
  const users = { [TEST_USER]: TEST_PASSWORD, ...options.users };
  let tokenServer: TokenServer | undefined;
  let authSection = '';
  if (auth === 'basic') {
    const lines = Object.entries(users).map(([user, password]) => `${user}:${bcrypt.hashSync(password, 4)}`);
    await writeFile(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
    authSection = `auth:\n  htpasswd:\n    realm: vouch-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (auth === 'token') {
    tokenServer = await startTokenServer({ users, ...(options.access && { access: options.access }) });
    await writeFile(join(dir, 'token-root.pem'), tokenServer.certificatePem);
    authSection =
      `auth:\n  token:\n    realm: ${tokenServer.realm}\n    service: ${tokenServer.service}\n` +
      `    issuer: ${tokenServer.issuer}\n    rootcertbundle: ${join(dir, 'token-root.pem')}\n`;
  }

  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await freePort());
    const config =
      `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n` +
      `storage:\n  filesystem:\n    rootdirectory: ${storageDir}\n  delete:\n    enabled: true\n` +
      `  maintenance:\n    uploadpurging:\n      enabled: false\n` +
      `http:\n  addr: 127.0.0.1:${port}\n  secret: vouch-test-secret\n${authSection}`;
    const configPath = join(dir, `config-${port}.yml`);
    await writeFile(configPath, config);
    const process = startProcess('docker-registry', ['serve', configPath]);
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitFor(
        'docker-registry',
        async () => {
          if (process.child.exitCode !== null) throw new Error('exited');
          const response = await fetch(`${url}/v2/`);
          await response.arrayBuffer();
          return response.status === 200 || response.status === 401;
        },
        10_000,
        () => process.output(),
      );
    } catch (error) {
      await process.stop();
      if (attempt < 3 && options.port === undefined && /address already in use/.test(process.output()))
        continue;
      await tokenServer?.stop();
      throw error;
    }
    const pager = options.pageTags ? await startTagPager(port, options.pageTags) : undefined;
    const host = `127.0.0.1:${pager?.port ?? port}`;
    return {
      host,
      url: `http://${host}`,
      upstreamUrl: url,
      tagPagesServed: () => pager?.pagesServed() ?? 0,
      auth,
      username: TEST_USER,
      password: TEST_PASSWORD,
      storageDir,
      ...(tokenServer && { tokenServer }),
      process,
      async stop(stopOptions = {}) {
        await pager?.stop();
        await process.stop();
        await tokenServer?.stop();
        if (!stopOptions.keepStorage) {
          await rm(dir, { recursive: true, force: true });
          if (options.storageDir) await rm(options.storageDir, { recursive: true, force: true });
        }
      },
    };
  }
}
