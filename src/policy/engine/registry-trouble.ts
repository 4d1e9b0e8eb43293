/**
 * The last thing that went wrong with each registry (no answer, 401/403, 429, 5xx), so that a verdict
 * whose deadline passed can say why it was slow rather than only that it was.
 */
import type { RequestEvent } from '../../registry/index.js';

interface Problem {
  status: number;
  at: number;
}

export class RegistryTrouble {
  private readonly last = new Map<string, Problem>();

  record(event: Pick<RequestEvent, 'registry' | 'status'>): void {
    const { status } = event;
    if (status === 0 || status === 401 || status === 403 || status === 429 || status >= 500)
      this.last.set(event.registry, { status, at: Date.now() });
  }

  /** The last problem of `registry` seen at or after `since`, in words. */
  describe(registry: string, since: number): string | undefined {
    const problem = this.last.get(registry);
    if (problem === undefined || problem.at < since) return undefined;
    return problem.status === 0
      ? `registry ${registry} did not answer in time`
      : `registry ${registry} answered ${problem.status}`;
  }
}
