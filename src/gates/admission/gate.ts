/**
 * The admission gate: from an AdmissionRequest to an AdmissionReview answer. Each step is a function
 * over plain data (skip rules, image extraction, the UPDATE shortcut, the decision per namespace, the
 * patch); this class only runs them in order, with one budget and one verification per image at a time.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { LRUCache } from 'lru-cache';
import { describeError } from '../../errors.js';
import { timeoutMessage } from '../../policy/engine/messages.js';
import {
  denial,
  type ImageChecker,
  type ImageCheckRequest,
  type ResourceContext,
  type Verdict,
} from '../../policy/verdict.js';
import { type ImageReference, parseReference } from '../../reference/index.js';
import type { RegistryTrouble } from '../../registry/index.js';
import { Deadline } from '../../util/deadline.js';
import { SingleFlight } from '../../util/single-flight.js';
import { type BudgetResult, BudgetTimer, engineReserveMs, timeoutVerdict } from './budget.js';
import {
  decide,
  type EnforcementConfig,
  type EnforcementMode,
  type ImageDecision,
  NamespaceRules,
} from './enforcement.js';
import { IMAGES_IN_FLIGHT, runBounded, tooManyImages } from './limits.js';
import { type DigestMutation, mutatesKind, type PinCandidate, planPatch } from './mutation.js';
import {
  type AdmissionRequest,
  type AdmissionReviewResponse,
  buildAdmissionReview,
  type JsonPatchOperation,
  type KubeObject,
  type ResponseInput,
} from './review.js';
import {
  describeLocation,
  extractImages,
  type ImageLocation,
  valueAtPointer,
  type WorkloadKind,
  workloadKind,
} from './workloads.js';

/** The policies in force: a checker and the fingerprint that identifies them. */
export interface ActivePolicies {
  checker: ImageChecker;
  /** Changes whenever the policies (or their trust material) change; part of the single-flight key. */
  fingerprint: string;
  /** True when some policy reads the resource (CEL over spec/metadata): verdicts are then per object. */
  resourceSensitive?: boolean;
}

export interface GateOptions {
  /** Every admission is answered within this many milliseconds. */
  budgetMs: number;
  digestMutation: DigestMutation;
  enforcement: EnforcementConfig;
}

/**
 * Where an image's verdict came from. `check`: the engine (possibly from its cache); `unchanged-cache`:
 * an UPDATE that kept the image, answered from the cache with no registry work; the others are
 * verdicts the gate made itself, all denials.
 */
export type ImageOrigin = 'check' | 'unchanged-cache' | 'timeout' | 'engine-error' | 'invalid-reference';

/** One image's verdict and where it came from. */
interface Evaluation {
  verdict: Verdict;
  origin: ImageOrigin;
  /** True when this request joined a verification another request had started. */
  shared: boolean;
}

export interface EvaluatedImage {
  image: string;
  locations: ImageLocation[];
  verdict: Verdict;
  origin: ImageOrigin;
  decision: ImageDecision;
  /** True when this request joined a verification another request had started. */
  shared: boolean;
  durationMs: number;
}

export interface GateEvents {
  onVerification?(event: {
    image: string;
    origin: ImageOrigin;
    verdict: Verdict;
    durationMs: number;
    shared: boolean;
    /** Answered at once from the engine's in-process cache: nothing ran. */
    immediate: boolean;
  }): void;
  onCacheLookup?(event: { source: 'check' | 'unchanged-update'; hit: boolean }): void;
}

export type Endpoint = 'validate' | 'mutate';

export interface AdmissionOutcome {
  review: AdmissionReviewResponse;
  allowed: boolean;
  /** Allowed although something failed (warnings from failures). */
  warned: boolean;
  /** Why the request was admitted without checks, when it was. */
  skipped?: string;
  mode?: EnforcementMode;
  images: EvaluatedImage[];
  /** The patch computed (the same on both endpoints; only `/mutate` sends it). */
  patch: JsonPatchOperation[];
  /** Stable reasons of the denials (FailureKind or gate origin), for metrics. */
  denialReasons: string[];
  message?: string;
}

/** Subresources that never carry images (anything else but `ephemeralcontainers` is skipped too, and logged). */
const IMAGELESS_SUBRESOURCES = new Set(['status', 'scale']);

/**
 * Why a request needs no image checks, or undefined when it does. Order matters only for the reason
 * reported; every rule here admits.
 */
export function skipReason(request: AdmissionRequest, rules: NamespaceRules): string | undefined {
  if (request.operation === 'DELETE' || request.operation === 'CONNECT')
    return `${request.operation} brings no new image`;
  if (request.subResource !== undefined) {
    if (IMAGELESS_SUBRESOURCES.has(request.subResource))
      return `subresource ${request.subResource} carries no images`;
    if (
      !(
        request.subResource === 'ephemeralcontainers' &&
        request.kind.group === '' &&
        request.kind.kind === 'Pod'
      )
    )
      return `subresource ${request.subResource} is not checked`;
  }
  const namespace = namespaceOf(request);
  if (rules.isExcluded(namespace)) return `namespace ${namespace} is excluded`;
  if (!workloadKind(request.kind.group, request.kind.kind))
    return `kind ${formatKind(request)} carries no pod template vouch knows`;
  return undefined;
}

/**
 * The one admission of an object being deleted that needs no check: an UPDATE that changes no image
 * (a controller removing its finalizer must not be blocked by a registry outage). A CREATE carrying
 * `deletionTimestamp` is checked like any CREATE: the API server clears the field only after mutating
 * admission, so honouring it would admit an unverified, unpinned image. Any image an UPDATE changes is
 * checked like any UPDATE's.
 */
export function deletionSkipReason(
  request: AdmissionRequest,
  locations: readonly ImageLocation[],
  changed: ReadonlyMap<ImageLocation, boolean>,
): string | undefined {
  if (request.operation !== 'UPDATE' || !request.object?.metadata?.deletionTimestamp) return undefined;
  if (!locations.every((location) => changed.get(location) === false)) return undefined;
  return 'object is being deleted and the update changes no image';
}

/** A request denied as a whole before any image of it was checked (`reason`: its stable reason, for metrics). */
function deniedUnchecked(
  request: AdmissionRequest,
  mode: EnforcementMode,
  message: string,
  reason: string,
): AdmissionOutcome {
  return {
    review: buildAdmissionReview({ uid: request.uid, allowed: false, message }),
    allowed: false,
    warned: false,
    mode,
    images: [],
    patch: [],
    denialReasons: [reason],
    message,
  };
}

function admittedUnchecked(request: AdmissionRequest, skipped: string): AdmissionOutcome {
  return {
    review: buildAdmissionReview({ uid: request.uid, allowed: true }),
    allowed: true,
    warned: false,
    skipped,
    images: [],
    patch: [],
    denialReasons: [],
  };
}

export function namespaceOf(request: AdmissionRequest): string | undefined {
  return request.namespace ?? request.object?.metadata?.namespace ?? undefined;
}

function formatKind(request: AdmissionRequest): string {
  const { group, version, kind } = request.kind;
  return `${group ? `${group}/` : ''}${version}/${kind}`;
}

/**
 * For an UPDATE: whether each location's image string is the same at the same place in the old object.
 * (On CREATE there is no old object and everything is new.)
 */
export function changedLocations(
  locations: readonly ImageLocation[],
  oldObject: unknown,
): Map<ImageLocation, boolean> {
  const changed = new Map<ImageLocation, boolean>();
  // Everything is new (CREATE): an empty map says so, as `changed.get(location) !== false`.
  if (oldObject === undefined) return changed;
  for (const location of locations) {
    changed.set(location, valueAtPointer(oldObject, location.pointer) !== location.image);
  }
  return changed;
}

/**
 * Image strings that are the same at every place they appear as in the old object: only these may be
 * answered from the verdict cache alone. What the object's annotations claim plays no part.
 */
export function unchangedImages(
  locations: readonly ImageLocation[],
  changed: ReadonlyMap<ImageLocation, boolean>,
): Set<string> {
  const unchanged = new Set<string>();
  if (changed.size === 0) return unchanged;
  for (const [image, group] of groupByImage(locations)) {
    if (group.every((location) => changed.get(location) === false)) unchanged.add(image);
  }
  return unchanged;
}

/** Locations grouped by image string, first appearance first: each distinct string is checked once. */
export function groupByImage(locations: readonly ImageLocation[]): Map<string, ImageLocation[]> {
  const groups = new Map<string, ImageLocation[]>();
  for (const location of locations) {
    const group = groups.get(location.image);
    if (group) group.push(location);
    else groups.set(location.image, [location]);
  }
  return groups;
}

/** `image "x" in container "app"`, with how many other places name the same image. */
export function describeImage(image: string, locations: readonly ImageLocation[]): string {
  const first = locations[0];
  const where = first ? ` in ${describeLocation(first)}` : '';
  const more = locations.length > 1 ? ` (and ${locations.length - 1} more)` : '';
  return `image ${JSON.stringify(image)}${where}${more}`;
}

/** The decision of a request made of several images: all must be allowed. */
export function combineDecisions(images: readonly EvaluatedImage[]): {
  allowed: boolean;
  message?: string;
  warnings: string[];
  warned: boolean;
} {
  const denied = images.filter((image) => !image.decision.allowed);
  const warnings = images.flatMap((image) =>
    image.decision.warnings.map((warning) => `image ${JSON.stringify(image.image)}: ${warning}`),
  );
  if (denied.length) {
    const message = denied
      .map((image) => `${describeImage(image.image, image.locations)}: ${image.decision.denials.join('; ')}`)
      .join('; ');
    return { allowed: false, message, warnings, warned: false };
  }
  return { allowed: true, warnings, warned: images.some((image) => image.decision.warned) };
}

/** Every place an image was found, with what pinning it needs to know. */
function pinCandidates(
  images: readonly EvaluatedImage[],
  changed: ReadonlyMap<ImageLocation, boolean>,
): PinCandidate[] {
  const candidates: PinCandidate[] = [];
  for (const image of images)
    for (const location of image.locations) {
      const candidate: PinCandidate = {
        location,
        changed: changed.get(location) !== false,
        decision: image.decision,
      };
      if (image.verdict.digest !== undefined) candidate.digest = image.verdict.digest;
      candidates.push(candidate);
    }
  return candidates;
}

/** The stable reason of a denial: what the gate itself concluded, else the verdict's failure kind. */
export function denialReason(image: EvaluatedImage): string {
  if (image.origin !== 'check' && image.origin !== 'unchanged-cache') return image.origin;
  return image.verdict.failure ?? 'unknown';
}

export interface CheckContext {
  namespace?: string;
  resource?: ResourceContext;
  /** Image strings that are unchanged at every place they appear (UPDATE): a cached verdict is the UPDATE shortcut. */
  unchanged?: ReadonlySet<string>;
}

/**
 * Admissions arriving within this many milliseconds share one engine deadline (never a later one than
 * their own). Each deadline is an AbortSignal.timeout holding a timer for the whole budget; one per
 * request costs tens of microseconds and, at thousands of admissions per second, dominates the
 * warm path.
 */
const DEADLINE_SHARING_MS = 10;

/** The same image strings come back all the time; parsing each once keeps the warm path short. */
const PARSED_REFERENCES = 4096;

export class AdmissionGate {
  readonly rules: NamespaceRules;
  private readonly flights = new SingleFlight<Verdict>();
  private readonly references = new LRUCache<string, ImageReference | Error>({ max: PARSED_REFERENCES });
  private sharedDeadline: Deadline | undefined;

  constructor(
    private readonly options: GateOptions,
    private readonly policies: () => ActivePolicies | undefined,
    private readonly problems: RegistryTrouble,
    private readonly events: GateEvents = {},
  ) {
    this.rules = new NamespaceRules(options.enforcement);
  }

  get budgetMs(): number {
    return this.options.budgetMs;
  }

  /**
   * Answers one AdmissionRequest. Throws AdmissionError('MALFORMED_REVIEW') only for an object whose
   * pod template has the wrong shape; every other problem ends in a denial inside the review.
   */
  async admit(request: AdmissionRequest, endpoint: Endpoint): Promise<AdmissionOutcome> {
    const skipped = skipReason(request, this.rules);
    if (skipped !== undefined) return admittedUnchecked(request, skipped);
    const kind = workloadKind(request.kind.group, request.kind.kind) as WorkloadKind;
    const object = request.object as KubeObject;
    const locations = extractImages(kind, object);
    const changed = changedLocations(
      locations,
      request.operation === 'UPDATE' ? request.oldObject : undefined,
    );
    const deleting = deletionSkipReason(request, locations, changed);
    if (deleting !== undefined) return admittedUnchecked(request, deleting);
    const namespace = namespaceOf(request);
    const mode = this.rules.modeFor(namespace);
    const crowded = tooManyImages(locations, request.kind.kind);
    if (crowded !== undefined) return deniedUnchecked(request, mode, crowded, 'too-many-images');
    const unchanged = unchangedImages(locations, changed);
    const context: CheckContext = { resource: resourceContext(object), unchanged };
    if (namespace !== undefined) context.namespace = namespace;
    const images = await this.checkImages(locations, context);

    const combined = combineDecisions(images);
    const patch =
      combined.allowed && mutatesKind(this.options.digestMutation, kind)
        ? planPatch(kind, this.options.digestMutation, pinCandidates(images, changed))
        : [];
    const response: ResponseInput = {
      uid: request.uid,
      allowed: combined.allowed,
      warnings: combined.warnings,
    };
    if (combined.message !== undefined) response.message = combined.message;
    if (endpoint === 'mutate') response.patch = patch;
    const outcome: AdmissionOutcome = {
      review: buildAdmissionReview(response),
      allowed: combined.allowed,
      warned: combined.warned,
      mode,
      images,
      patch,
      denialReasons: combined.allowed
        ? []
        : [...new Set(images.filter((image) => !image.decision.allowed).map(denialReason))],
    };
    if (combined.message !== undefined) outcome.message = combined.message;
    return outcome;
  }

  /**
   * Checks every distinct image of `locations` concurrently within one budget and decides each under
   * the namespace's enforcement mode. Shared by the webhook and `vouch audit`.
   */
  async checkImages(locations: readonly ImageLocation[], context: CheckContext): Promise<EvaluatedImage[]> {
    const groups = groupByImage(locations);
    if (groups.size === 0) return [];
    const mode = this.rules.modeFor(context.namespace);
    const started = Date.now();
    const active = this.policies();
    const evaluated = (image: string, group: ImageLocation[], result: Evaluation): EvaluatedImage => ({
      image,
      locations: group,
      verdict: result.verdict,
      origin: result.origin,
      shared: result.shared,
      decision: decide(result.verdict, mode),
      durationMs: Date.now() - started,
    });

    // Verdicts the engine holds in this process are taken at once: no timer, deadline or flight.
    const results = new Array<EvaluatedImage>(groups.size);
    const rest: Array<[number, string, ImageLocation[]]> = [];
    let index = 0;
    for (const [image, group] of groups) {
      const peeked = active ? this.peek(image, context, active, started) : undefined;
      if (peeked) results[index] = evaluated(image, group, peeked);
      else rest.push([index, image, group]);
      index++;
    }
    if (rest.length === 0) return results;

    const engineDeadline = this.engineDeadline(started);
    const timer = new BudgetTimer(this.options.budgetMs);
    try {
      // A few at a time: one object's images never fill the registry client's queue for everyone else.
      await runBounded(
        rest,
        IMAGES_IN_FLIGHT,
        () => timer.fired,
        async ([index, image, group]) => {
          const result = await this.evaluate(image, context, active, engineDeadline, timer, started);
          results[index] = evaluated(image, group, result);
        },
        ([index, image, group]) => {
          results[index] = evaluated(image, group, this.notStarted(image, started));
        },
      );
      return results;
    } finally {
      timer.clear();
    }
  }

  /** The timeout denial of an image whose turn never came before the budget passed. */
  private notStarted(image: string, started: number): Evaluation {
    let registry: string | undefined;
    try {
      registry = this.parse(image).registry;
    } catch {
      registry = undefined;
    }
    const reason =
      (registry !== undefined ? this.problems.describe(registry, started) : undefined) ??
      "the object's other images took the whole budget";
    const verdict = timeoutVerdict(image, this.options.budgetMs, reason);
    this.events.onVerification?.({
      image,
      origin: 'timeout',
      verdict,
      durationMs: Date.now() - started,
      shared: false,
      immediate: false,
    });
    return { verdict, origin: 'timeout', shared: false };
  }

  /** The engine's cached verdict when it can give it at once (`ImageChecker.peek`), else undefined. */
  private peek(
    image: string,
    context: CheckContext,
    active: ActivePolicies,
    started: number,
  ): Evaluation | undefined {
    if (active.checker.peek === undefined) return undefined;
    let writtenDigest: string | undefined;
    try {
      writtenDigest = this.parse(image).digest;
    } catch {
      return undefined; // denied as invalid on the ordinary path
    }
    const request: ImageCheckRequest = { image };
    if (context.resource !== undefined) request.resource = context.resource;
    const verdict = active.checker.peek(request);
    if (verdict === undefined) return undefined;
    const { verdict: consistent, origin } = this.takeAnswer(image, verdict, writtenDigest, context, {
      fromCache: true,
    });
    this.events.onVerification?.({
      image,
      origin,
      verdict: consistent,
      durationMs: Date.now() - started,
      shared: false,
      immediate: true,
    });
    return { verdict: consistent, origin, shared: false };
  }

  /**
   * An engine verdict as the gate takes it, from memory (`peek`) or from `check`: counted as a cache
   * lookup, refused when it names another digest than the one written, and named by where it came
   * from. An UPDATE that kept the image and is answered from the verdict cache (then `check` made no
   * registry request) is the UPDATE shortcut.
   */
  private takeAnswer(
    image: string,
    verdict: Verdict,
    writtenDigest: string | undefined,
    context: CheckContext,
    how: { fromCache: boolean; counted?: boolean },
  ): { verdict: Verdict; origin: ImageOrigin } {
    const unchanged = context.unchanged?.has(image) === true;
    if (!how.counted)
      this.events.onCacheLookup?.({ source: unchanged ? 'unchanged-update' : 'check', hit: how.fromCache });
    const consistent = checkConsistency(verdict, writtenDigest);
    if (consistent !== verdict) return { verdict: consistent, origin: 'engine-error' };
    return { verdict, origin: unchanged && how.fromCache ? 'unchanged-cache' : 'check' };
  }

  /** A deadline for the engine that falls a little before this admission's budget ends. */
  private engineDeadline(now: number): Deadline {
    const engineBudget = this.options.budgetMs - engineReserveMs(this.options.budgetMs);
    const wanted = now + engineBudget;
    const shared = this.sharedDeadline;
    if (shared && shared.expiresAt <= wanted && shared.expiresAt > wanted - DEADLINE_SHARING_MS)
      return shared;
    const deadline = Deadline.after(engineBudget);
    // Every registry request and cache call of every admission sharing it listens to its signal.
    setMaxListeners(0, deadline.signal);
    this.sharedDeadline = deadline;
    return deadline;
  }

  private parse(image: string): ImageReference {
    let parsed = this.references.get(image);
    if (parsed === undefined) {
      try {
        parsed = parseReference(image);
      } catch (error) {
        parsed = error instanceof Error ? error : new Error(String(error));
      }
      this.references.set(image, parsed);
    }
    if (parsed instanceof Error) throw parsed;
    return parsed;
  }

  private async evaluate(
    image: string,
    context: CheckContext,
    active: ActivePolicies | undefined,
    engineDeadline: Deadline,
    timer: BudgetTimer,
    started: number,
  ): Promise<Evaluation> {
    const finish = (verdict: Verdict, origin: ImageOrigin, shared = false): Evaluation => {
      this.events.onVerification?.({
        image,
        origin,
        verdict,
        durationMs: Date.now() - started,
        shared,
        immediate: false,
      });
      return { verdict, origin, shared };
    };
    const budgetMs = this.options.budgetMs;

    let registry: string;
    let writtenDigest: string | undefined;
    try {
      const ref = this.parse(image);
      registry = ref.registry;
      writtenDigest = ref.digest;
    } catch (error) {
      return finish(denial(image, describeError(error), 'invalid'), 'invalid-reference');
    }
    if (!active) return finish(denial(image, 'policies are not loaded yet'), 'engine-error');

    const request: ImageCheckRequest = {
      image,
      ...(context.resource !== undefined && { resource: context.resource }),
    };

    const key = flightKey(active, request);
    const { promise, shared } = this.flights.run(key, () =>
      active.checker.check(request, { deadline: engineDeadline }),
    );
    let outcome: BudgetResult<Verdict>;
    try {
      outcome = await timer.race(promise);
    } catch (error) {
      return finish(
        denial(image, `verification of ${image} failed: ${describeError(error)}`),
        'engine-error',
        shared,
      );
    }
    if (!outcome.done) {
      const reason = this.problems.describe(registry, started) ?? 'the policy engine did not answer';
      return finish(timeoutVerdict(image, budgetMs, reason), 'timeout', shared);
    }
    const verdict = outcome.value;
    // A joined verification was counted by the request that started it.
    const answer = this.takeAnswer(image, verdict, writtenDigest, context, {
      fromCache: verdict.cached === true,
      counted: shared,
    });
    if (verdict.failure === 'timeout' && !verdict.allowed) {
      // The engine words its timeout with its own, slightly shorter deadline; keep only its reason, so
      // the answer names the admission's budget once.
      const engineWords = timeoutMessage(image, engineDeadline.budgetMs, '');
      const reasons = verdict.errors.map((error) =>
        error.startsWith(engineWords) ? error.slice(engineWords.length) : error,
      );
      const reason = this.problems.describe(registry, started) ?? (reasons.join('; ') || 'deadline passed');
      return finish({ ...verdict, errors: [timeoutMessage(image, budgetMs, reason)] }, 'timeout', shared);
    }
    return finish(answer.verdict, answer.origin, shared);
  }
}

/** An image written with a digest is about that digest: a verdict naming another one is refused. */
function checkConsistency(verdict: Verdict, writtenDigest: string | undefined): Verdict {
  if (writtenDigest === undefined || verdict.digest === undefined || verdict.digest === writtenDigest)
    return verdict;
  return denial(
    verdict.image,
    `the policy engine answered for ${verdict.digest}, but the image names ${writtenDigest}`,
  );
}

function flightKey(active: ActivePolicies, request: ImageCheckRequest): string {
  const base = `${active.fingerprint}\u0000${request.image}`;
  if (!active.resourceSensitive || request.resource === undefined) return base;
  const resource = createHash('sha256').update(JSON.stringify(request.resource)).digest('hex');
  return `${base}\u0000${resource}`;
}

/** What policies may read of the object an image came from. */
export function resourceContext(object: KubeObject): ResourceContext {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: object.metadata as Record<string, unknown> | undefined,
    spec: (object as Record<string, unknown>).spec,
  };
}
