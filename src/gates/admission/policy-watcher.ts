/**
 * Keeps the policies in force in step with the files on disk. A ConfigMap update is an atomic swap of
 * the `..data` symlink in the mounted directory, so the directory (not the file) is watched, events are
 * debounced, and what is re-read is decided by a fingerprint of the files' contents. A broken update
 * keeps the last good policies and says so.
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeError } from '../../errors.js';
import { listSourceFiles } from '../../policy/load/sources.js';
import { AdmissionError } from './errors.js';
import type { ActivePolicies } from './gate.js';

/** What the policy engine gives the gate for a set of policy files. */
export interface LoadedPolicies extends ActivePolicies {
  /** How many policies are in force (for logs). */
  policyCount?: number;
}

/**
 * The seam between the gate and the policy engine: the server is built around this, and the CLI
 * constructs the real one. `load` reads and compiles the policies at the given paths (files or
 * directories) and throws with a located message when they are invalid.
 */
export interface CheckerFactory {
  load(paths: readonly string[]): Promise<LoadedPolicies>;
  close(): Promise<void>;
}

/**
 * A fingerprint of the policy files' contents: regular files (symlinks followed) ending in .yaml,
 * .yml or .json; in directories, entries whose names start with "." are skipped — that is where a
 * ConfigMap mount keeps `..data` and its timestamped copies, which would otherwise count twice.
 */
export async function fingerprintPolicyFiles(paths: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  const files = await listSourceFiles(paths);
  for (const file of files) {
    hash.update(file).update('\u0000');
    hash.update(await readFile(file)).update('\u0000');
  }
  return `sha256:${hash.digest('hex')}`;
}

export interface PolicyWatcherEvents {
  onLoaded?(event: { fingerprint: string; policyCount?: number; initial: boolean }): void;
  onReloadFailed?(event: { error: string; keptFingerprint: string }): void;
}

export interface PolicyWatcherOptions {
  /** Quiet time after the last file event before re-reading (default 300 ms). */
  debounceMs?: number;
  /** Re-fingerprint this often in case a file event was missed, e.g. on network volumes (default 30 s; 0 = never). */
  pollIntervalMs?: number;
  events?: PolicyWatcherEvents;
}

export class PolicyWatcher {
  private active: LoadedPolicies | undefined;
  private sourceFingerprint = '';
  private failedFingerprint: string | undefined;
  private watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private reloading: Promise<boolean> | undefined;
  private pendingReload = false;
  private closed = false;

  constructor(
    private readonly paths: readonly string[],
    private readonly factory: CheckerFactory,
    private readonly options: PolicyWatcherOptions = {},
  ) {}

  /** The policies in force, undefined until the first load succeeded. */
  current(): LoadedPolicies | undefined {
    return this.active;
  }

  /** True while the files on disk are broken and older policies are in force. */
  get failing(): boolean {
    return this.failedFingerprint !== undefined;
  }

  /** Loads the policies for the first time (throws POLICY_LOAD) and starts watching. */
  async start(): Promise<LoadedPolicies> {
    let fingerprint: string;
    let loaded: LoadedPolicies;
    try {
      fingerprint = await fingerprintPolicyFiles(this.paths);
      loaded = await this.factory.load(this.paths);
    } catch (error) {
      throw new AdmissionError('POLICY_LOAD', `cannot load policies: ${describeError(error)}`, {
        cause: error,
      });
    }
    this.install(loaded, fingerprint, true);
    this.watch();
    return loaded;
  }

  /**
   * Re-reads the files if their contents changed. Resolves true when new policies are in force, false
   * when nothing changed or the new files are broken (then the last good policies stay).
   */
  reload(): Promise<boolean> {
    if (this.reloading) {
      this.pendingReload = true;
      return this.reloading;
    }
    this.reloading = this.reloadOnce().finally(() => {
      this.reloading = undefined;
      if (this.pendingReload && !this.closed) {
        this.pendingReload = false;
        void this.reload();
      }
    });
    return this.reloading;
  }

  close(): void {
    this.closed = true;
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    clearTimeout(this.debounce);
    clearInterval(this.poll);
  }

  private async reloadOnce(): Promise<boolean> {
    let fingerprint: string;
    try {
      fingerprint = await fingerprintPolicyFiles(this.paths);
    } catch (error) {
      // Files missing for a moment (the swap itself) or gone: keep what works, try again on the next event.
      this.fail(`cannot read policy files: ${describeError(error)}`, undefined);
      return false;
    }
    if (fingerprint === this.sourceFingerprint) {
      if (this.failedFingerprint !== undefined) this.failedFingerprint = undefined;
      return false;
    }
    if (fingerprint === this.failedFingerprint) return false;
    try {
      const loaded = await this.factory.load(this.paths);
      this.install(loaded, fingerprint, false);
      return true;
    } catch (error) {
      this.fail(describeError(error), fingerprint);
      return false;
    }
  }

  private install(loaded: LoadedPolicies, fingerprint: string, initial: boolean): void {
    this.active = loaded;
    this.sourceFingerprint = fingerprint;
    this.failedFingerprint = undefined;
    this.options.events?.onLoaded?.({
      fingerprint: loaded.fingerprint,
      ...(loaded.policyCount !== undefined && { policyCount: loaded.policyCount }),
      initial,
    });
  }

  private fail(error: string, fingerprint: string | undefined): void {
    this.failedFingerprint = fingerprint ?? this.failedFingerprint ?? 'unreadable';
    this.options.events?.onReloadFailed?.({ error, keptFingerprint: this.active?.fingerprint ?? '' });
  }

  private watch(): void {
    const directories = new Set<string>();
    for (const path of this.paths) directories.add(path);
    for (const path of this.paths) directories.add(dirname(path));
    for (const directory of directories) {
      try {
        const watcher = watch(directory, { persistent: false }, () => this.schedule());
        watcher.on('error', () => this.schedule());
        this.watchers.push(watcher);
      } catch {
        // A file path (not a directory) cannot always be watched on its own; its directory is.
      }
    }
    const interval = this.options.pollIntervalMs ?? 30_000;
    if (interval > 0) {
      this.poll = setInterval(() => void this.reload(), interval);
      this.poll.unref();
    }
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reload(), this.options.debounceMs ?? 300);
    this.debounce.unref();
  }
}
