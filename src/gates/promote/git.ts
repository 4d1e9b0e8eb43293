/**
 * The few git operations the promotion gate needs, run with the real `git` so that the repository's
 * own configuration applies: hooks, commit signing (`commit.gpgsign`, `gpg.format`, `user.signingkey`),
 * remotes, push URLs and credential helpers. vouch never passes flags that would override them.
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { PromoteError } from './errors.js';

export interface Author {
  name: string;
  email: string;
}

/** `Name <email>` as git prints identities. */
export function parseAuthor(text: string): Author | undefined {
  const match = /^\s*([^<>]*[^<>\s])\s*<([^<>\s]+@[^<>\s]+|[^<>\s]+)>\s*$/.exec(text);
  if (!match) return undefined;
  return { name: match[1] as string, email: match[2] as string };
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  cwd: string,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', (cause) =>
      reject(new PromoteError('GIT', `cannot run git: ${cause.message}`, { cause })),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (child.stdin) {
      // git may exit (for instance when a hook refuses) before reading its input.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

export class GitRepository {
  private constructor(readonly root: string) {}

  /** The working tree containing `dir`; fails with NOT_A_REPOSITORY when there is none. */
  static async open(dir: string): Promise<GitRepository> {
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) throw new PromoteError('NOT_A_REPOSITORY', `${dir} is not a directory`);
    const result = await run(dir, ['rev-parse', '--show-toplevel']).catch((error: unknown) => {
      if (error instanceof PromoteError) throw new PromoteError('NOT_A_REPOSITORY', error.message);
      throw error;
    });
    if (result.code !== 0)
      throw new PromoteError(
        'NOT_A_REPOSITORY',
        `${dir} is not inside a git working tree (${result.stderr.trim()})`,
      );
    return new GitRepository(result.stdout.trim());
  }

  private async git(args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}) {
    const result = await run(this.root, args, options);
    if (result.code !== 0) {
      const said = (result.stderr || result.stdout).trim();
      throw new PromoteError('GIT', `git ${args[0]} failed: ${said}`);
    }
    return result.stdout;
  }

  private async optional(args: readonly string[]): Promise<string | undefined> {
    const result = await run(this.root, args);
    return result.code === 0 ? result.stdout.trim() : undefined;
  }

  /** The commit HEAD points at, or undefined in a repository without commits. */
  head(): Promise<string | undefined> {
    return this.optional(['rev-parse', '--verify', '--quiet', 'HEAD']);
  }

  /** The checked-out branch, or undefined on a detached HEAD. */
  currentBranch(): Promise<string | undefined> {
    return this.optional(['symbolic-ref', '--quiet', '--short', 'HEAD']);
  }

  /** Those of `paths` (relative to the root) that differ from HEAD or are untracked. */
  async dirtyFiles(paths: readonly string[]): Promise<string[]> {
    if (!paths.length) return [];
    const out = await this.git(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...paths]);
    return out
      .split('\0')
      .filter((entry) => entry.length > 3)
      .map((entry) => entry.slice(3));
  }

  /**
   * Commits exactly `paths` with `message`. The author is `author` when given, git's configuration
   * otherwise; when git has no identity configured, the author is also used as committer. Signing is
   * whatever the repository's configuration says. Returns the new commit.
   */
  async commit(paths: readonly string[], message: string, author?: Author): Promise<string> {
    await this.git(['add', '--', ...paths]);
    const env: Record<string, string> = {};
    if (author && (await this.optional(['config', 'user.email'])) === undefined) {
      env.GIT_COMMITTER_NAME = author.name;
      env.GIT_COMMITTER_EMAIL = author.email;
    }
    const args = ['commit', '--quiet', '--file=-'];
    if (author) args.push(`--author=${author.name} <${author.email}>`);
    await this.git([...args, '--', ...paths], { input: message, env });
    const head = await this.head();
    if (!head) throw new PromoteError('GIT', 'git commit left no HEAD');
    return head;
  }

  /** Removes `paths` from the index again (after a failed commit). */
  async unstage(paths: readonly string[]): Promise<void> {
    if ((await this.head()) !== undefined) await this.git(['reset', '--quiet', 'HEAD', '--', ...paths]);
  }

  /**
   * Pushes HEAD to `branch` (default: the current branch's upstream branch, else the current branch)
   * on the current branch's remote (else `origin`, else the only remote). No force: a rejected push is
   * reported as it is.
   */
  async push(branch?: string): Promise<{ remote: string; branch: string }> {
    const current = await this.currentBranch();
    const configuredRemote = current
      ? await this.optional(['config', `branch.${current}.remote`])
      : undefined;
    const remotes = (await this.git(['remote'])).split('\n').filter(Boolean);
    const remote =
      configuredRemote && configuredRemote !== '.'
        ? configuredRemote
        : remotes.includes('origin')
          ? 'origin'
          : remotes.length === 1
            ? remotes[0]
            : undefined;
    if (!remote)
      throw new PromoteError(
        'GIT',
        remotes.length
          ? `cannot tell which remote to push to (${remotes.join(', ')})`
          : 'the repository has no remote to push to',
      );
    const upstream = current ? await this.optional(['config', `branch.${current}.merge`]) : undefined;
    const target = branch ?? upstream?.replace(/^refs\/heads\//, '') ?? current;
    if (!target) throw new PromoteError('GIT', 'HEAD is detached: name the branch to push with --branch');
    await this.git(['push', '--quiet', remote, `HEAD:refs/heads/${target}`]);
    return { remote, branch: target };
  }

  /** Fast-forwards the current branch from its upstream, when it has one (for --watch rounds). */
  async pullFastForward(): Promise<boolean> {
    if ((await this.optional(['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{u}'])) === undefined)
      return false;
    await this.git(['pull', '--quiet', '--ff-only']);
    return true;
  }
}
