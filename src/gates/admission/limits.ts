/**
 * How much of the webhook one admission may take. The webhook answers the whole cluster from one event
 * loop, one heap and one registry client: an object naming thousands of images must not hold the loop,
 * nor fill the registry client's queue so that every other admission waits behind it (a Pod with 5,000
 * distinct images once took 12 s with the loop stalled for 7 s, and a review sent meanwhile was
 * denied), and a burst of maximum-size reviews must not take more memory than the Deployment gives
 * (sixteen at once killed a process with a 384 MB heap).
 */

/**
 * Distinct images one object may name. No real workload comes near it (containers, init and ephemeral
 * containers and image volumes together); an object over it is denied at once, unverified, instead of
 * costing registry requests that would all be wasted on a denial anyway. Counted on the image strings,
 * never on the cache, so that a dry-run gets the answer the real request gets.
 */
export const MAX_DISTINCT_IMAGES = 100;

/**
 * Images of one admission verified at once: the registry client's own per-registry limit, so that
 * another admission's requests never queue behind more than one round of this one's.
 */
export const IMAGES_IN_FLIGHT = 16;

/** The denial of an object that names more distinct images than are checked, or undefined. */
export function tooManyImages(images: readonly { image: string }[], kind: string): string | undefined {
  // The usual object pays one comparison; a crowded one is counted only until it is over the limit.
  if (images.length <= MAX_DISTINCT_IMAGES) return undefined;
  const distinct = new Set<string>();
  for (const { image } of images) {
    distinct.add(image);
    if (distinct.size > MAX_DISTINCT_IMAGES)
      return `the ${kind} names more than ${MAX_DISTINCT_IMAGES} distinct images (${images.length} images in all); vouch checks at most ${MAX_DISTINCT_IMAGES} for one object, so it is denied unverified`;
  }
  return undefined;
}

/**
 * Runs `task` over `items` with at most `limit` at once. Once `stopped()` says so, the items not yet
 * started are given to `skip` instead: nothing new starts after the budget has passed.
 */
export async function runBounded<T>(
  items: readonly T[],
  limit: number,
  stopped: () => boolean,
  task: (item: T) => Promise<void>,
  skip: (item: T) => void,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      if (stopped()) skip(item);
      else await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Reviews with a body over this many bytes are large (a Pod or controller is a few KiB; the API
 * server sends at most 3 MiB). Reading and parsing one takes tens of milliseconds of the event loop
 * and some ten times its size in memory.
 */
export const LARGE_REVIEW_BYTES = 512 * 1024;

/** Large reviews read and answered at once; more are refused (HTTP 429) before their body is read. */
export const LARGE_REVIEWS_AT_ONCE = 2;

/**
 * Admission control for large reviews, decided from `Content-Length` before the body is read: a review
 * of unknown length counts as large. Small reviews are never refused here.
 */
export class LargeReviews {
  private active = 0;

  constructor(
    readonly limit = LARGE_REVIEWS_AT_ONCE,
    readonly thresholdBytes = LARGE_REVIEW_BYTES,
  ) {}

  /**
   * `small`: go ahead; a function: go ahead, holding a slot until the function is called (once is
   * enough; later calls do nothing); `busy`: refuse.
   */
  enter(contentLength: string | undefined): 'small' | 'busy' | (() => void) {
    const length = contentLength === undefined ? Number.NaN : Number(contentLength);
    if (Number.isFinite(length) && length <= this.thresholdBytes) return 'small';
    if (this.active >= this.limit) return 'busy';
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
    };
  }

  /** Why a review was refused, for the 429 answer. */
  busyMessage(): string {
    return `vouch is already answering ${this.limit} AdmissionReviews over ${this.thresholdBytes / 1024} KiB; retry`;
  }
}
