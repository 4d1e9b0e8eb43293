/**
 * The selection loop: the newest candidate whose signature verifies under policy and which can be
 * pulled. Candidates are verified newest first, a few at a time; as soon as one passes, no older
 * candidate is started and the older ones in flight are cancelled, and once every newer candidate is
 * known to be rejected, the winner is checked for pullability and the loop stops — no request more.
 *
 * What is written afterwards is the digest the verdict names (the digest that was verified), never a
 * fresh resolve of the tag: a tag moved after verification cannot slip unverified content into Git.
 *
 * Requests: the loop itself makes none for a rejected candidate (only the checker does) and, for the
 * winner, one manifest GET plus one per platform manifest of an index.
 */
import { describeError } from '../../errors.js';
import type { ImageChecker, Verdict } from '../../policy/verdict.js';
import { isDigest, parseReference } from '../../reference/index.js';
import type { RegistryClient, Repository } from '../../registry/index.js';
import { Deadline } from '../../util/deadline.js';
import { checkPullable } from './pullable.js';

export type RejectionReason =
  | 'unsigned' // no signature found for any authority
  | 'wrong-signer' // signatures exist, none verifies under policy
  | 'not-verified' // the verdict denies for a signature reason it does not detail
  | 'denied' // a static, no-match or policy-level condition denies it
  | 'not-pullable' // the manifest or a platform manifest cannot be fetched
  | 'registry' // the registry failed while verifying
  | 'timeout'
  | 'invalid' // the verdict or reference is unusable (for instance an allowed verdict without digest)
  | 'error'; // the checker threw

export interface RejectedCandidate {
  tag: string;
  digest?: string;
  reason: RejectionReason;
  message: string;
}

export interface ChosenCandidate {
  tag: string;
  /** The digest the verdict verified: the one to write. */
  digest: string;
  verifiedReference?: string;
  /** Warnings of the verdict (`mode: warn` policies and the like). */
  warnings: string[];
}

export interface Selection {
  chosen?: ChosenCandidate;
  /** Every candidate newer than the chosen one (all of them when none was chosen), newest first. */
  rejected: RejectedCandidate[];
  /** Candidates whose verdict was obtained. */
  examined: number;
}

export interface SelectOptions {
  /** The repository as written in the ImageRepository (`ghcr.io/org/app`); the checker gets `image:tag`. */
  image: string;
  repository: Repository;
  /** Tags, newest first. */
  candidates: readonly string[];
  checker: ImageChecker;
  registry: Pick<RegistryClient, 'getManifest'>;
  /** Candidates verified at once (default 4). */
  concurrency?: number;
  /** Deadline for one candidate's verification, and for the pullability check. */
  timeoutMs: number;
  onProgress?: (event: { tag: string; examined: number; total: number }) => void;
}

type Outcome =
  | { kind: 'allowed'; chosen: ChosenCandidate }
  | { kind: 'rejected'; rejection: RejectedCandidate };

function reasonOf(verdict: Verdict): RejectionReason {
  switch (verdict.failure) {
    case 'signature': {
      // Only the policies that deny: a policy that passed may well have found signatures.
      const authorities = verdict.policies
        .filter((policy) => !policy.passed && policy.mode === 'enforce')
        .flatMap((policy) => policy.authorities.filter((authority) => authority.type !== 'static'));
      if (!authorities.length) return 'not-verified';
      return authorities.every((authority) => authority.signatures.length === 0)
        ? 'unsigned'
        : 'wrong-signer';
    }
    case 'static':
    case 'no-match':
    case 'policy':
      return 'denied';
    case 'registry':
      return 'registry';
    case 'timeout':
      return 'timeout';
    case 'invalid':
      return 'invalid';
    default:
      return 'not-verified';
  }
}

function outcomeOf(tag: string, verdict: Verdict, repository: Repository): Outcome {
  const rejected = (reason: RejectionReason, message: string): Outcome => ({
    kind: 'rejected',
    rejection: { tag, ...(verdict.digest !== undefined && { digest: verdict.digest }), reason, message },
  });
  if (!verdict.allowed)
    return rejected(
      reasonOf(verdict),
      verdict.errors.join('; ') || `not verified (${verdict.failure ?? 'no reason given'})`,
    );
  if (verdict.digest === undefined || !isDigest(verdict.digest))
    return rejected(
      'invalid',
      'the verdict allows the image but names no verified digest, so nothing can be written',
    );
  if (verdict.verifiedReference !== undefined) {
    let verified: ReturnType<typeof parseReference> | undefined;
    try {
      verified = parseReference(verdict.verifiedReference);
    } catch {
      verified = undefined;
    }
    if (
      !verified ||
      verified.registry !== repository.registry ||
      verified.repository !== repository.repository ||
      (verified.digest !== undefined && verified.digest !== verdict.digest)
    )
      return rejected(
        'invalid',
        `the verdict verified ${verdict.verifiedReference}, which is not this image`,
      );
  }
  return {
    kind: 'allowed',
    chosen: {
      tag,
      digest: verdict.digest,
      ...(verdict.verifiedReference !== undefined && { verifiedReference: verdict.verifiedReference }),
      warnings: verdict.warnings,
    },
  };
}

export async function selectNewestVerified(options: SelectOptions): Promise<Selection> {
  const { candidates } = options;
  const total = candidates.length;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const outcomes: (Outcome | undefined)[] = new Array(total);
  const running = new Map<
    number,
    { controller: AbortController; settled: Promise<{ index: number; outcome: Outcome }> }
  >();
  const abandoned: Promise<unknown>[] = [];
  let examined = 0;
  /** Candidates at or after this index are not started: a newer one already passed verification. */
  let bound = total;
  /** Every candidate before this index is rejected. */
  let cursor = 0;

  const verify = async (index: number, signal: AbortSignal): Promise<Outcome> => {
    const tag = candidates[index] as string;
    options.onProgress?.({ tag, examined, total });
    try {
      const verdict = await options.checker.check(
        { image: `${options.image}:${tag}` },
        { deadline: Deadline.after(options.timeoutMs, signal) },
      );
      return outcomeOf(tag, verdict, options.repository);
    } catch (error) {
      return { kind: 'rejected', rejection: { tag, reason: 'error', message: describeError(error) } };
    }
  };
  const start = (index: number) => {
    const controller = new AbortController();
    const settled = verify(index, controller.signal).then((outcome) => ({ index, outcome }));
    running.set(index, { controller, settled });
  };
  /** Cancels candidates older than `index` that are in flight; they may be started again later. */
  const abandonOlderThan = (index: number) => {
    for (const [other, entry] of running) {
      if (other <= index) continue;
      entry.controller.abort();
      running.delete(other);
      abandoned.push(entry.settled.catch(() => undefined));
    }
  };
  const rejectedBefore = (end: number): RejectedCandidate[] =>
    outcomes.slice(0, end).flatMap((outcome) => (outcome?.kind === 'rejected' ? [outcome.rejection] : []));

  try {
    for (;;) {
      while (cursor < total && outcomes[cursor]?.kind === 'rejected') cursor++;
      if (cursor >= total) return { rejected: rejectedBefore(total), examined };
      const current = outcomes[cursor];
      if (current?.kind === 'allowed') {
        // Every newer candidate is rejected: this is the newest that verifies. Pullable too?
        abandonOlderThan(cursor);
        const pull = await checkPullable(options.registry, options.repository, current.chosen.digest, {
          deadline: Deadline.after(options.timeoutMs),
        });
        if (pull.pullable) return { chosen: current.chosen, rejected: rejectedBefore(cursor), examined };
        outcomes[cursor] = {
          kind: 'rejected',
          rejection: {
            tag: current.chosen.tag,
            digest: current.chosen.digest,
            reason: 'not-pullable',
            message: pull.message,
          },
        };
        bound = total;
        continue;
      }
      for (let index = cursor; index < bound && running.size < concurrency; index++)
        if (outcomes[index] === undefined && !running.has(index)) start(index);
      if (running.size === 0) throw new Error('selection loop has nothing to wait for');
      const { index, outcome } = await Promise.race([...running.values()].map((entry) => entry.settled));
      running.delete(index);
      outcomes[index] = outcome;
      examined++;
      if (outcome.kind === 'allowed') {
        bound = Math.min(bound, index + 1);
        abandonOlderThan(index);
      }
    }
  } finally {
    for (const entry of running.values()) {
      entry.controller.abort();
      abandoned.push(entry.settled.catch(() => undefined));
    }
    await Promise.all(abandoned);
  }
}
