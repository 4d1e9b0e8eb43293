/**
 * One deadline for a unit of work (all the registry requests made for one image, retries included).
 * It carries both an AbortSignal, which cancels whatever is in flight, and the absolute time, which
 * lets a retry loop decide that waiting out a `Retry-After` would overrun the budget.
 */
export class Deadline {
  readonly signal: AbortSignal;
  readonly expiresAt: number;
  readonly budgetMs: number;
  private watchers: Set<() => void> | undefined;

  private constructor(signal: AbortSignal, expiresAt: number, budgetMs: number) {
    this.signal = signal;
    this.expiresAt = expiresAt;
    this.budgetMs = budgetMs;
  }

  /** A deadline `ms` from now, optionally also cancelled by `parent`. */
  static after(ms: number, parent?: AbortSignal): Deadline {
    const timeout = AbortSignal.timeout(Math.max(0, ms));
    const signal = parent ? AbortSignal.any([timeout, parent]) : timeout;
    return new Deadline(signal, Date.now() + ms, ms);
  }

  /** The earlier of this deadline and a new one `ms` from now. */
  within(ms: number): Deadline {
    if (Date.now() + ms >= this.expiresAt) return this;
    return Deadline.after(ms, this.signal);
  }

  /**
   * Calls `callback` once when the deadline passes (at once if it has); returns a function that
   * cancels the call. However many watch it, a deadline holds one signal listener and one timer:
   * adding an abort listener and a timer per request or per image was a measurable part of a cold
   * admission.
   */
  onExpire(callback: () => void): () => void {
    if (this.expired) {
      callback();
      return () => undefined;
    }
    let watchers = this.watchers;
    if (watchers === undefined) {
      const all = new Set<() => void>();
      watchers = all;
      this.watchers = all;
      const fire = () => {
        clearTimeout(backstop);
        this.signal.removeEventListener('abort', fire);
        const due = [...all];
        all.clear();
        for (const watcher of due) watcher();
      };
      this.signal.addEventListener('abort', fire, { once: true });
      // The signal fires on its timer's schedule; this covers a signal that fires late. Unref'd: a
      // finished command must not wait out the deadlines it no longer needs.
      const backstop = setTimeout(fire, this.remainingMs() + 5);
      backstop.unref();
    }
    watchers.add(callback);
    return () => {
      watchers.delete(callback);
    };
  }

  remainingMs(): number {
    return Math.max(0, this.expiresAt - Date.now());
  }

  get expired(): boolean {
    return this.signal.aborted || Date.now() >= this.expiresAt;
  }
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Formats a duration for messages: `9 s`, `250 ms`. */
export function formatDuration(ms: number): string {
  if (ms >= 1000) {
    const seconds = ms / 1000;
    return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
  }
  return `${Math.round(ms)} ms`;
}
