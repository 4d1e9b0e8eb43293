/**
 * The gate's own machinery around the engine: budget, single flight, the UPDATE shortcut's cache
 * lookups and every fail-closed path. The checkers here never produce a passing verdict: they are
 * engines that are unavailable, hang, or have an empty cache, and they record what they were asked.
 */
import { describe, expect, it } from 'vitest';
import { timeoutVerdict, withinBudget } from '../../../src/gates/admission/budget.js';
import { AdmissionError } from '../../../src/gates/admission/errors.js';
import { AdmissionGate, type GateOptions } from '../../../src/gates/admission/gate.js';
import { parseAdmissionReview } from '../../../src/gates/admission/review.js';
import { timeoutMessage } from '../../../src/policy/engine/messages.js';
import type { ImageChecker, ImageCheckRequest, Verdict } from '../../../src/policy/verdict.js';
import { RegistryTrouble } from '../../../src/registry/index.js';
import type { Deadline } from '../../../src/util/deadline.js';
import { SingleFlight } from '../../../src/util/single-flight.js';
import { DIGEST_A, DIGEST_B, podSpec, review, workload } from './reviews.js';
import { denied, verified } from './verdicts.js';

/** An engine that records its calls and answers as told: reject, hang, or return a given verdict. */
class RecordingChecker implements ImageChecker {
  readonly checks: ImageCheckRequest[] = [];
  readonly deadlines: Array<Deadline | undefined> = [];
  constructor(
    private readonly answer: 'reject' | 'hang' | ((image: string, deadline?: Deadline) => Verdict),
  ) {}

  check(request: ImageCheckRequest, options?: { deadline?: Deadline }): Promise<Verdict> {
    this.checks.push(request);
    this.deadlines.push(options?.deadline);
    if (this.answer === 'reject') return Promise.reject(new Error('policy engine failed'));
    if (this.answer === 'hang') return new Promise(() => undefined);
    return Promise.resolve(this.answer(request.image, options?.deadline));
  }
}

const OPTIONS: GateOptions = {
  budgetMs: 9000,
  digestMutation: 'pods',
  enforcement: {
    audit: false,
    enforceNamespaces: [],
    warnNamespaces: [],
    excludeNamespaces: ['kube-system'],
  },
};

function gateWith(
  checker: ImageChecker | undefined,
  options: Partial<GateOptions> = {},
  problems = new RegistryTrouble(),
) {
  return new AdmissionGate(
    { ...OPTIONS, ...options },
    () => (checker ? { checker, fingerprint: 'sha256:policies' } : undefined),
    problems,
  );
}

/** A gate whose verification and cache-lookup events are written down. */
function recordingGate(checker: ImageChecker) {
  const events: Array<{ image: string; origin: string; immediate: boolean }> = [];
  const lookups: string[] = [];
  const gate = new AdmissionGate(
    OPTIONS,
    () => ({ checker, fingerprint: 'sha256:policies' }),
    new RegistryTrouble(),
    {
      onVerification: ({ image, origin, immediate }) => events.push({ image, origin, immediate }),
      onCacheLookup: ({ source, hit }) => lookups.push(`${source}:${hit}`),
    },
  );
  return { gate, events, lookups };
}

const podReview = (images: string[], extra: Record<string, unknown> = {}) =>
  parseAdmissionReview(
    review({
      kind: 'Pod',
      operation: 'CREATE',
      object: workload('Pod', podSpec({ containers: images })),
      ...extra,
    }),
  );

describe('budget', () => {
  it('passes on what finishes in time and reports what does not', async () => {
    await expect(withinBudget(Promise.resolve(7), 1000)).resolves.toEqual({ done: true, value: 7 });
    await expect(withinBudget(new Promise(() => undefined), 20)).resolves.toEqual({ done: false });
    await expect(withinBudget(Promise.reject(new Error('boom')), 1000)).rejects.toThrow('boom');
  });

  it('words the timeout denial with the last registry problem', () => {
    const problems = new RegistryTrouble();
    const since = Date.now();
    problems.record({ registry: '127.0.0.1:5000', status: 200 });
    problems.record({ registry: '127.0.0.1:5000', status: 401 });
    expect(problems.describe('127.0.0.1:5000', since)).toBeUndefined();
    problems.record({ registry: '127.0.0.1:5000', status: 429 });
    expect(problems.describe('127.0.0.1:5000', since)).toBe('registry 127.0.0.1:5000 answered 429');
    problems.record({ registry: 'ghcr.io', status: 0 });
    expect(problems.describe('ghcr.io', since)).toBe('registry ghcr.io did not answer in time');
    expect(problems.describe('quay.io', since)).toBe('registry ghcr.io did not answer in time');
    expect(problems.describe('127.0.0.1:5000', Date.now() + 1000)).toBeUndefined();
    const verdict = timeoutVerdict('127.0.0.1:5000/app:1', 9000, 'registry 127.0.0.1:5000 answered 429');
    expect(verdict).toMatchObject({ allowed: false, failure: 'timeout' });
    expect(verdict.errors).toEqual([
      'verification of 127.0.0.1:5000/app:1 did not finish in 9 s: registry 127.0.0.1:5000 answered 429',
    ]);
    expect(timeoutMessage('x', 2500, 'r')).toBe('verification of x did not finish in 2.5 s: r');
  });
});

describe('single flight', () => {
  it('shares one run between concurrent callers of a key, and runs again afterwards', async () => {
    const flights = new SingleFlight<number>();
    let calls = 0;
    let release: (value: number) => void = () => undefined;
    const task = () => {
      calls++;
      return new Promise<number>((resolve) => {
        release = resolve;
      });
    };
    const first = flights.run('k', task);
    const second = flights.run('k', task);
    const other = flights.run('other', () => Promise.resolve(1));
    expect([first.shared, second.shared, other.shared]).toEqual([false, true, false]);
    expect(calls).toBe(1);
    release(42);
    await expect(Promise.all([first.promise, second.promise])).resolves.toEqual([42, 42]);
    await other.promise;
    expect(flights.size).toBe(0);
    const third = flights.run('k', () => Promise.reject(new Error('down')));
    await expect(third.promise).rejects.toThrow('down');
    expect(flights.run('k', () => Promise.resolve(1)).shared).toBe(false);
  });
});

describe('fail closed', () => {
  it('denies while no policies are loaded', async () => {
    const outcome = await gateWith(undefined).admit(podReview(['nginx:1.27']), 'mutate');
    expect(outcome.allowed).toBe(false);
    expect(outcome.review.response.status?.message).toBe(
      'image "nginx:1.27" in container "app-0": policies are not loaded yet',
    );
  });

  it('denies when the engine fails, the same way on both endpoints and on dry-run', async () => {
    const checker = new RecordingChecker('reject');
    const gate = gateWith(checker);
    const request = podReview(['ghcr.io/acme/web:1.0']);
    const validate = await gate.admit(request, 'validate');
    const mutate = await gate.admit(request, 'mutate');
    const dryRun = await gate.admit({ ...request, dryRun: true }, 'mutate');
    for (const outcome of [validate, mutate, dryRun]) {
      expect(outcome.review.response).toEqual({
        uid: request.uid,
        allowed: false,
        status: {
          status: 'Failure',
          code: 403,
          reason: 'Forbidden',
          message:
            'image "ghcr.io/acme/web:1.0" in container "app-0": verification of ghcr.io/acme/web:1.0 failed: policy engine failed',
        },
      });
      expect(outcome.denialReasons).toEqual(['engine-error']);
    }
  });

  it('denies an invalid reference without asking the engine', async () => {
    const checker = new RecordingChecker('reject');
    const outcome = await gateWith(checker).admit(podReview(['Ghcr.io/UPPER/case:1']), 'validate');
    expect(outcome.allowed).toBe(false);
    expect(outcome.message).toMatch(
      /invalid reference "Ghcr\.io\/UPPER\/case:1": repository .* must be lowercase/,
    );
    expect(outcome.denialReasons).toEqual(['invalid-reference']);
    expect(checker.checks).toEqual([]);
  });

  it('answers within the budget when the engine hangs, naming the image and the last registry problem', async () => {
    const problems = new RegistryTrouble();
    const checker = new RecordingChecker('hang');
    const gate = gateWith(checker, { budgetMs: 300 }, problems);
    const request = podReview(['127.0.0.1:5000/team/app:v1', 'ghcr.io/acme/side:1']);
    const pending = gate.admit(request, 'mutate');
    // What the engine's RegistryClient reports through its onRequest hook while it retries.
    problems.record({ registry: '127.0.0.1:5000', status: 429 });
    const outcome = await pending;
    expect(outcome.allowed).toBe(false);
    expect(outcome.message).toBe(
      'image "127.0.0.1:5000/team/app:v1" in container "app-0": verification of 127.0.0.1:5000/team/app:v1 did not finish in 300 ms: registry 127.0.0.1:5000 answered 429; ' +
        'image "ghcr.io/acme/side:1" in container "app-1": verification of ghcr.io/acme/side:1 did not finish in 300 ms: registry 127.0.0.1:5000 answered 429',
    );
    expect(outcome.denialReasons).toEqual(['timeout']);
    // Both images were asked for at once, with a deadline that falls before the budget ends.
    expect(checker.checks.map((request) => request.image)).toEqual([
      '127.0.0.1:5000/team/app:v1',
      'ghcr.io/acme/side:1',
    ]);
    const deadline = checker.deadlines[0] as Deadline;
    expect(deadline.budgetMs).toBeLessThan(300);
    expect(checker.deadlines[1]).toBe(deadline);
  });

  it('says so when nothing explains the timeout', async () => {
    const outcome = await gateWith(new RecordingChecker('hang'), { budgetMs: 100 }).admit(
      podReview(['ghcr.io/acme/web:1.0']),
      'validate',
    );
    expect(outcome.message).toMatch(/did not finish in 100 ms: the policy engine did not answer$/);
  });

  it("rewords the engine's own timeout verdict in the same shape", async () => {
    const problems = new RegistryTrouble();
    // A problem from before this request says nothing about it.
    problems.record({ registry: 'ghcr.io', status: 500 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const checker = new RecordingChecker((image) => ({
      ...denied(image, 'timeout'),
      errors: ['deadline exceeded while fetching signatures'],
    }));
    const gate = gateWith(checker, {}, problems);
    const quiet = await gate.admit(podReview(['ghcr.io/acme/web:1.0']), 'validate');
    expect(quiet.message).toMatch(/did not finish in 9 s: deadline exceeded while fetching signatures$/);
    // The engine's own wording (its deadline falls before the budget) is not repeated inside the gate's.
    const worded = new RecordingChecker((image, deadline) => ({
      ...denied(image, 'timeout'),
      errors: [
        timeoutMessage(
          image,
          (deadline as Deadline).budgetMs,
          'the deadline passed while waiting for registry ghcr.io',
        ),
      ],
    }));
    const once = await gateWith(worded, {}, new RegistryTrouble()).admit(
      podReview(['ghcr.io/acme/web:1.0']),
      'validate',
    );
    expect(once.message).toBe(
      'image "ghcr.io/acme/web:1.0" in container "app-0": verification of ghcr.io/acme/web:1.0 did not finish in 9 s: the deadline passed while waiting for registry ghcr.io',
    );
    const pending = gate.admit(podReview(['ghcr.io/acme/web:1.0']), 'validate');
    problems.record({ registry: 'ghcr.io', status: 503 });
    const outcome = await pending;
    expect(outcome.message).toBe(
      'image "ghcr.io/acme/web:1.0" in container "app-0": verification of ghcr.io/acme/web:1.0 did not finish in 9 s: registry ghcr.io answered 503',
    );
  });

  it('refuses a verdict about another digest than the one written', async () => {
    const checker = new RecordingChecker((image) => ({
      ...denied(image),
      allowed: true,
      errors: [],
      digest: DIGEST_B,
    }));
    const outcome = await gateWith(checker).admit(podReview([`ghcr.io/acme/web:1.0@${DIGEST_A}`]), 'mutate');
    expect(outcome.allowed).toBe(false);
    expect(outcome.message).toContain(
      `the policy engine answered for ${DIGEST_B}, but the image names ${DIGEST_A}`,
    );
    expect(outcome.review.response.patch).toBeUndefined();
  });

  it('throws MALFORMED_REVIEW for a pod template of the wrong shape', async () => {
    const object = workload('Pod', podSpec({ containers: ['a'] }));
    (object.spec as Record<string, unknown>).initContainers = { name: 'x' };
    const request = parseAdmissionReview(review({ kind: 'Pod', operation: 'CREATE', object }));
    await expect(gateWith(new RecordingChecker('reject')).admit(request, 'validate')).rejects.toBeInstanceOf(
      AdmissionError,
    );
  });
});

describe('sharing and the UPDATE shortcut', () => {
  it('checks each distinct image once per request and once across concurrent requests', async () => {
    const checker = new RecordingChecker('hang');
    const gate = gateWith(checker, { budgetMs: 150 });
    const images = ['ghcr.io/acme/web:1.0', 'ghcr.io/acme/web:1.0', 'ghcr.io/acme/side:1'];
    const outcomes = await Promise.all([
      gate.admit(podReview(images), 'mutate'),
      gate.admit(podReview(images), 'mutate'),
      gate.admit(podReview(['ghcr.io/acme/web:1.0']), 'validate'),
    ]);
    expect(outcomes.every((outcome) => !outcome.allowed)).toBe(true);
    expect(checker.checks.map((request) => request.image).sort()).toEqual([
      'ghcr.io/acme/side:1',
      'ghcr.io/acme/web:1.0',
    ]);
    expect(outcomes[0]?.images.map((image) => image.locations.length)).toEqual([2, 1]);
  });

  it('answers an image an UPDATE kept from the verdict cache as the UPDATE shortcut, never from annotations', async () => {
    const web = 'ghcr.io/acme/web:1.0';
    const cachedWeb = 'ghcr.io/acme/web:1.1';
    // web:1.0 is not in the cache (the engine verifies it); web:1.1 is; side:2 is new.
    const checker = new RecordingChecker((image) =>
      image === cachedWeb ? { ...verified(image, DIGEST_A), cached: true } : denied(image),
    );
    const containers = (side: string) => [web, cachedWeb, side];
    const old = workload('Deployment', podSpec({ containers: containers('ghcr.io/acme/side:1') }), {
      annotations: { 'vouch.dev/verified': web },
    });
    const next = workload('Deployment', podSpec({ containers: containers('ghcr.io/acme/side:2') }), {
      annotations: { 'vouch.dev/verified': web },
    });
    const request = parseAdmissionReview(
      review({ kind: 'Deployment', operation: 'UPDATE', object: next, oldObject: old }),
    );
    const { gate, lookups } = recordingGate(checker);
    const outcome = await gate.admit(request, 'mutate');
    // Every image goes to the engine once; only its cache decides, whatever the annotation claims.
    expect(checker.checks.map((request) => request.image).sort()).toEqual([
      'ghcr.io/acme/side:2',
      web,
      cachedWeb,
    ]);
    expect(outcome.images.map((image) => [image.image, image.origin, image.decision.allowed])).toEqual([
      [web, 'check', false],
      [cachedWeb, 'unchanged-cache', true],
      ['ghcr.io/acme/side:2', 'check', false],
    ]);
    expect(lookups.sort()).toEqual(['check:false', 'unchanged-update:false', 'unchanged-update:true']);
    expect(outcome.allowed).toBe(false);
    // The policy engine sees the object the image came from.
    expect(checker.checks[0]?.resource?.kind).toBe('Deployment');
    expect(checker.checks[0]?.resource?.metadata?.name).toBe('web');
  });

  it('gives the engine a deadline that never ends after the admission budget', async () => {
    const checker = new RecordingChecker('reject');
    const gate = gateWith(checker, { budgetMs: 2000 });
    const starts: number[] = [];
    for (const image of ['ghcr.io/acme/a:1', 'ghcr.io/acme/b:1', 'ghcr.io/acme/c:1']) {
      starts.push(Date.now());
      await gate.admit(podReview([image]), 'validate');
      await new Promise((resolve) => setTimeout(resolve, 6));
    }
    checker.deadlines.forEach((deadline, index) => {
      expect(deadline?.expiresAt).toBeLessThanOrEqual((starts[index] as number) + 2000);
      expect(deadline?.budgetMs).toBeLessThan(2000);
    });
    // Admissions close together share one deadline (one timer), later ones get a new one.
    expect(new Set(checker.deadlines).size).toBeGreaterThan(1);
  });

  it('does not count a cached verdict on CREATE as the UPDATE shortcut', async () => {
    const image = 'ghcr.io/acme/web:1.0';
    const checker = new RecordingChecker(() => ({ ...verified(image, DIGEST_A), cached: true }));
    const { gate, lookups } = recordingGate(checker);
    const outcome = await gate.admit(podReview([image]), 'mutate');
    expect(outcome.images[0]?.origin).toBe('check');
    expect(lookups).toEqual(['check:true']);
  });
});

/** An engine whose in-process cache holds some verdicts (`peek`); everything else goes to `check`. */
class PeekingChecker extends RecordingChecker {
  readonly peeks: string[] = [];
  constructor(private readonly held: Map<string, Verdict>) {
    super((image) => denied(image));
  }

  peek(request: ImageCheckRequest): Verdict | undefined {
    this.peeks.push(request.image);
    return this.held.get(request.image);
  }
}

describe('verdicts held in memory (ImageChecker.peek)', () => {
  const web = 'ghcr.io/acme/web:1.0';
  const side = 'ghcr.io/acme/side:1';

  it('answers from memory without calling check, and pins the digest it names', async () => {
    const checker = new PeekingChecker(new Map([[web, verified(web, DIGEST_A)]]));
    const { gate, events, lookups } = recordingGate(checker);
    const outcome = await gate.admit(podReview([web]), 'mutate');
    expect(outcome.allowed).toBe(true);
    expect(checker.checks).toEqual([]);
    expect(outcome.patch).toEqual([
      { op: 'replace', path: '/spec/containers/0/image', value: `${web}@${DIGEST_A}` },
    ]);
    expect(events).toEqual([{ image: web, origin: 'check', immediate: true }]);
    expect(lookups).toEqual(['check:true']);
  });

  it('checks only what memory does not hold, keeping the images in order', async () => {
    const checker = new PeekingChecker(new Map([[side, verified(side, DIGEST_B)]]));
    const outcome = await recordingGate(checker).gate.admit(podReview([web, side]), 'validate');
    expect(checker.checks.map((request) => request.image)).toEqual([web]);
    expect(outcome.images.map((image) => [image.image, image.decision.allowed])).toEqual([
      [web, false],
      [side, true],
    ]);
    expect(outcome.allowed).toBe(false);
  });

  it('refuses a remembered verdict about another digest than the one written', async () => {
    const pinned = `${web}@${DIGEST_A}`;
    const checker = new PeekingChecker(new Map([[pinned, verified(pinned, DIGEST_B)]]));
    const outcome = await recordingGate(checker).gate.admit(podReview([pinned]), 'validate');
    expect(outcome.allowed).toBe(false);
    expect(outcome.images[0]?.origin).toBe('engine-error');
    expect(outcome.message).toContain(`answered for ${DIGEST_B}, but the image names ${DIGEST_A}`);
  });

  it('serves an UPDATE that kept its image from memory, as the UPDATE shortcut', async () => {
    const checker = new PeekingChecker(new Map([[web, verified(web, DIGEST_A)]]));
    const object = workload('Deployment', podSpec({ containers: [web] }));
    const request = parseAdmissionReview(
      review({ kind: 'Deployment', operation: 'UPDATE', object, oldObject: object, dryRun: true }),
    );
    const { gate, lookups } = recordingGate(checker);
    const outcome = await gate.admit(request, 'mutate');
    expect(outcome.allowed).toBe(true);
    expect(outcome.images[0]?.origin).toBe('unchanged-cache');
    expect(checker.checks).toEqual([]);
    expect(lookups).toEqual(['unchanged-update:true']);
  });

  it('never peeks at an invalid reference (it is denied as invalid)', async () => {
    const checker = new PeekingChecker(new Map());
    const outcome = await recordingGate(checker).gate.admit(podReview(['Ghcr.io/UPPER/case:1']), 'validate');
    expect(checker.peeks).toEqual([]);
    expect(outcome.images[0]?.origin).toBe('invalid-reference');
  });
});
