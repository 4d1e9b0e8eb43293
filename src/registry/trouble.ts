import type { RequestEvent } from './transport.js';

interface Problem {
  status: number;
  at: number;
}

/**
 * The last answer per registry that explains slowness (no answer, 403, 429, 5xx), so that a check
 * whose deadline passed can say why rather than only that it did. A 401 is not one: it is how every
 * token-authenticated registry begins.
 */
export class RegistryTrouble {
  private readonly last = new Map<string, Problem>();
  private latest: { registry: string; problem: Problem } | undefined;

  record(event: Pick<RequestEvent, 'registry' | 'status'>): void {
    const { status } = event;
    if (!(status === 0 || status === 403 || status === 429 || status >= 500)) return;
    const problem = { status, at: Date.now() };
    this.last.set(event.registry, problem);
    this.latest = { registry: event.registry, problem };
  }

  /**
   * The last problem of `registry` seen at or after `since`, else the last of any registry (a
   * signature repository may live elsewhere), in words.
   */
  describe(registry: string | undefined, since: number): string | undefined {
    const own = registry !== undefined ? this.last.get(registry) : undefined;
    if (own && own.at >= since) return phrase(registry as string, own.status);
    if (this.latest && this.latest.problem.at >= since)
      return phrase(this.latest.registry, this.latest.problem.status);
    return undefined;
  }
}

function phrase(registry: string, status: number): string {
  return status === 0
    ? `registry ${registry} did not answer in time`
    : `registry ${registry} answered ${status}`;
}
