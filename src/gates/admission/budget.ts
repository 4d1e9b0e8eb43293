/**
 * Answering on time: every admission has one budget; verification that cannot finish in it ends in a
 * denial naming the image and the last thing that went wrong with its registry.
 */
import { timeoutMessage } from '../../policy/engine/messages.js';
import { denial, type Verdict } from '../../policy/verdict.js';

export type BudgetResult<T> = { done: true; value: T } | { done: false };

/**
 * One timer for one admission: the work for each of its images races the same expiry, so an
 * admission costs one timer however many images it has.
 */
export class BudgetTimer {
  readonly expired: Promise<{ done: false }>;
  /** Whether the budget has passed (then nothing new should start). */
  fired = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.expired = new Promise((resolve) => {
      this.timer = setTimeout(
        () => {
          this.fired = true;
          resolve({ done: false });
        },
        Math.max(0, ms),
      );
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

/** The denial for an image whose verification did not finish within the budget. */
export function timeoutVerdict(image: string, budgetMs: number, reason: string): Verdict {
  return denial(image, timeoutMessage(image, budgetMs, reason), 'timeout');
}
