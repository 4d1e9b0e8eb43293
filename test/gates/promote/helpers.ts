/**
 * Test support for the promotion gate: real git repositories (a bare "remote" and a clone with its own
 * identity), real signatures made by the signature layer, the real policy engine, and a pass-through
 * wrapper around it that records what the selection loop asked and can act when an answer is given.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { MemoryCache } from '../../../src/cache/index.js';
import { PolicyEngine, singleClient } from '../../../src/policy/engine/index.js';
import { loadPolicyText, type PolicySet } from '../../../src/policy/index.js';
import type { ImageChecker, ImageCheckRequest, Verdict } from '../../../src/policy/verdict.js';
import { RegistryClient, type RegistryClientOptions, type Repository } from '../../../src/registry/index.js';
import {
  type ArtefactSigner,
  type PrivateKey,
  parsePrivateKey,
  signLegacy,
} from '../../../src/signature/index.js';
import { Deadline, sleep } from '../../../src/util/deadline.js';
import type { BuiltArtifact } from '../../harness/index.js';
import { tempDir } from '../../harness/index.js';

const run = promisify(execFile);

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd, env: { ...process.env, LC_ALL: 'C' } });
  return stdout.trim();
}

export interface Repos {
  /** The bare repository standing for the remote. */
  remote: string;
  /** A clone with `user.name`/`user.email` set in its own config, on branch main tracking origin/main. */
  work: string;
}

/** A bare repository and a clone of it; `files` are committed and pushed as the first commit. */
export async function createRepos(files: Record<string, string>): Promise<Repos> {
  const dir = await tempDir('promote-git');
  const remote = join(dir, 'remote.git');
  const work = join(dir, 'work');
  await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', remote]);
  await run('git', ['clone', '--quiet', remote, work]);
  await git(work, 'config', 'user.name', 'Repo Owner');
  await git(work, 'config', 'user.email', 'owner@example.test');
  await git(work, 'config', 'commit.gpgsign', 'false');
  await git(work, 'checkout', '--quiet', '-b', 'main');
  await writeFiles(work, files);
  await git(work, 'add', '.');
  await git(work, 'commit', '--quiet', '-m', 'initial');
  await git(work, 'push', '--quiet', '-u', 'origin', 'main');
  return { remote, work };
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
}

/** A fresh ECDSA P-256 key, as `cosign generate-key-pair` makes. */
export async function newKey(): Promise<PrivateKey> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return parsePrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, async () => '');
}

/** Signs a pushed image or index the way `cosign sign` does (a `sha256-<hex>.sig` manifest). */
export async function signArtifact(
  client: RegistryClient,
  repo: Repository,
  artifact: Pick<BuiltArtifact, 'digest' | 'mediaType' | 'manifest'>,
  signer: PrivateKey | ArtefactSigner,
): Promise<void> {
  await signLegacy(
    client,
    { ...repo, digest: artifact.digest, mediaType: artifact.mediaType, size: artifact.manifest.byteLength },
    signer,
    {},
  );
}

/** One ClusterImagePolicy `name` requiring a signature by `key` for images matching `glob`. */
export async function keyPolicy(name: string, glob: string, key: PrivateKey): Promise<PolicySet> {
  const text = stringify({
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: { name },
    spec: { images: [{ glob }], authorities: [{ key: { data: key.publicKey.pem } }] },
  });
  return (await loadPolicyText(text, `${name}.yaml`)).policySet;
}

/** The real policy engine with a registry client of its own (its requests can be counted). */
export function engineFor(
  policySet: PolicySet,
  clientOptions: RegistryClientOptions = {},
): { engine: PolicyEngine; client: RegistryClient; close(): Promise<void> } {
  const client = new RegistryClient(clientOptions);
  const engine = new PolicyEngine({ policySet, clients: singleClient(client), cache: new MemoryCache() });
  return { engine, client, close: () => client.close() };
}

export interface CheckerHooks {
  /** Runs before the engine is asked (latency for one tag, say); it gets the check's deadline. */
  before?: (image: string, deadline: Deadline) => Promise<void>;
  /** Runs after the engine answered and before the answer reaches the selection loop. */
  after?: (image: string, verdict: Verdict) => Promise<void>;
}

/**
 * The real engine, passed through: records every image asked about, how many checks ran at once and
 * which were cancelled, and runs the hooks around each answer. It decides nothing itself.
 */
export class RecordingChecker implements ImageChecker {
  /** Every image asked about, in order. */
  readonly calls: string[] = [];
  /** Images whose deadline was cancelled while they were being checked. */
  readonly cancelled: string[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    private readonly engine: ImageChecker,
    private readonly hooks: CheckerHooks = {},
  ) {}

  /** The tags asked about, in order. */
  get tags(): string[] {
    return this.calls.map((image) => image.slice(image.lastIndexOf(':') + 1));
  }

  async check(request: ImageCheckRequest, options: { deadline?: Deadline } = {}): Promise<Verdict> {
    const deadline = options.deadline ?? Deadline.after(30_000);
    this.calls.push(request.image);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.hooks.before?.(request.image, deadline);
      const verdict = await this.engine.check(request, { deadline });
      await this.hooks.after?.(request.image, verdict);
      return verdict;
    } finally {
      this.inFlight--;
      if (deadline.signal.aborted) this.cancelled.push(request.image);
    }
  }
}

/** A `before` hook: `ms` of latency for the images `slow` picks, cut short when the check is cancelled. */
export function latency(ms: number, slow: (image: string) => boolean): CheckerHooks['before'] {
  return async (image, deadline) => {
    if (slow(image)) await sleep(ms, deadline.signal);
  };
}
