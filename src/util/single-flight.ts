/**
 * Concurrent callers asking for the same key share one execution: a burst of Pods from one ReplicaSet
 * costs one verification, not one per Pod.
 */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** Runs `task` unless a run for `key` is in flight, in which case its promise is shared. */
  run(key: string, task: () => Promise<T>): { promise: Promise<T>; shared: boolean } {
    const existing = this.inFlight.get(key);
    if (existing) return { promise: existing, shared: true };
    const promise = (async () => {
      try {
        return await task();
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, promise);
    return { promise, shared: false };
  }

  get size(): number {
    return this.inFlight.size;
  }
}
