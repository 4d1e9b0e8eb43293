/**
 * Test support for the promotion gate: real git repositories (a bare "remote" and a clone with its own
 * identity), and a stand-in for the policy engine.
 *
 * The stand-in checker is not a mock of a registry or of git: it resolves each image against the real
 * registry (so every digest is real) and decides allow/deny from a rule given by the test, the way the
 * policy engine will decide from signatures. It exists until the engine lands; the selection tests
 * that need real signatures come with it.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type {
  AuthorityOutcome,
  ImageChecker,
  ImageCheckRequest,
  Verdict,
} from '../../../src/policy/verdict.js';
import { formatReference, parseReference, withDigest } from '../../../src/reference/index.js';
import type { RegistryClient } from '../../../src/registry/index.js';
import type { Deadline } from '../../../src/util/deadline.js';
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

export type Decision = { allow: true } | { allow: false; reason: 'unsigned' | 'wrong-signer' };

/** A stand-in for the policy engine: real digests from the registry, allow/deny from `decide(tag)`. */
export class StandInChecker implements ImageChecker {
  /** Every image asked about, in order. */
  readonly calls: string[] = [];
  /** Images whose deadline was cancelled while they were being checked. */
  readonly cancelled: string[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    private readonly registry: RegistryClient,
    private readonly decide: (tag: string) => Decision,
    private readonly hooks: {
      afterResolve?: (image: string, digest: string) => Promise<void>;
      /** Time the "verification" takes after resolving, per tag. */
      delayMs?: number | ((tag: string) => number);
    } = {},
  ) {}

  async check(request: ImageCheckRequest, options: { deadline?: Deadline } = {}): Promise<Verdict> {
    this.calls.push(request.image);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const ref = parseReference(request.image);
      const resolved = await this.registry.resolve(
        ref,
        options.deadline ? { deadline: options.deadline } : {},
      );
      await this.hooks.afterResolve?.(request.image, resolved.digest);
      const delay =
        typeof this.hooks.delayMs === 'function' ? this.hooks.delayMs(ref.tag ?? '') : this.hooks.delayMs;
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
      const decision = this.decide(ref.tag ?? '');
      const verifiedReference = formatReference(withDigest(ref, resolved.digest));
      if (decision.allow)
        return {
          image: request.image,
          verifiedReference,
          digest: resolved.digest,
          allowed: true,
          errors: [],
          warnings: [],
          policies: [],
        };
      const authority: AuthorityOutcome = {
        name: 'authority-0',
        type: 'key',
        passed: false,
        reason: decision.reason === 'unsigned' ? 'no signatures found' : 'no signature verified with the key',
        signatures:
          decision.reason === 'unsigned'
            ? []
            : [
                {
                  source: 'sig-tag',
                  format: 'legacy',
                  verified: false,
                  reason: 'signature does not verify with the key',
                },
              ],
        failure: 'signature',
      };
      return {
        image: request.image,
        verifiedReference,
        digest: resolved.digest,
        allowed: false,
        errors: [`failed policy: release: ${authority.reason}`],
        warnings: [],
        policies: [{ name: 'release', mode: 'enforce', passed: false, authorities: [authority] }],
        failure: 'signature',
      };
    } finally {
      this.inFlight--;
      if (options.deadline?.signal.aborted) this.cancelled.push(request.image);
    }
  }

  async cached(): Promise<Verdict | undefined> {
    return undefined;
  }
}
