/**
 * Answering on time: every admission has one budget; verification that cannot finish in it ends in a
 * denial naming the image and the last thing that went wrong with its registry.
 */
import { timeoutMessage } from '../../policy/engine/messages.js';
import type { Verdict } from '../../policy/verdict.js';
import type { RequestEvent } from '../../registry/index.js';

export type BudgetResult<T> = { done: true; value: T } | { done: false };

/**
 * One timer for one admission: the work for each of its images races the same expiry, so an
 * admission costs one timer however many images it has.
 */
export class BudgetTimer {
  readonly expired: Promise<{ done: false }>;
  private timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.expired = new Promise((resolve) => {
      this.timer = setTimeout(() => resolve({ done: false }), Math.max(0, ms));
    });
  }

  /** `work`'s value if it settles before the expiry; a rejection of `work` in time is passed on. */
  race<T>(work: Promise<T>): Promise<BudgetResult<T>> {
    return Promise.race([work.then((value) => ({ done: true as const, value })), this.expired]);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/** Waits for `work` at most `ms`; a rejection of `work` within the time is passed on. */
export async function withinBudget<T>(work: Promise<T>, ms: number): Promise<BudgetResult<T>> {
  const timer = new BudgetTimer(ms);
  try {
    return await timer.race(work);
  } finally {
    timer.clear();
  }
}

/**
 * How long before the admission budget the engine's own deadline falls: the engine then usually
 * answers with its own timeout verdict, and the gate's timer only catches an engine that overruns.
 */
export function engineReserveMs(budgetMs: number): number {
  return Math.min(250, Math.floor(budgetMs * 0.1));
}

interface Problem {
  status: number;
  at: number;
}

/** Remembers, per registry, the last answer that explains slowness: no answer, 403, 429, 5xx. */
export class RegistryProblems {
  private readonly last = new Map<string, Problem>();
  private latest: { registry: string; problem: Problem } | undefined;

  record(event: Pick<RequestEvent, 'registry' | 'status'>): void {
    const { status } = event;
    if (!(status === 0 || status === 403 || status === 429 || status >= 500)) return;
    const problem = { status, at: Date.now() };
    this.last.set(event.registry, problem);
    this.latest = { registry: event.registry, problem };
  }

  /** The last problem of `registry` seen at or after `since`, else the last of any registry, in words. */
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

/** The denial for an image whose verification did not finish within the budget. */
export function timeoutVerdict(image: string, budgetMs: number, reason: string): Verdict {
  return {
    image,
    allowed: false,
    errors: [timeoutMessage(image, budgetMs, reason)],
    warnings: [],
    policies: [],
    failure: 'timeout',
  };
}
