/**
 * The policy engine behind every gate (`ImageChecker`): from an image as written to a verdict about
 * a digest.
 *
 * 1. Parse the image (invalid → `failure: 'invalid'`) and match the policies on what is written.
 * 2. An image covered only by `static` policies, whose digest could not bring in another policy, is
 *    decided at once: no registry request, not even a resolve.
 * 3. Otherwise a tag is resolved once (answers kept briefly in the TagCache) and everything after is
 *    about that digest; the policies are matched again on the digest form.
 * 4. The verdict is looked up in the verdict cache under (fingerprint of the matching policies and
 *    their trust material, repository, digest); on a miss it is evaluated — once for concurrent checks
 *    of the same key — and stored under the cache's rules (registry and timeout failures never).
 */

import { LRUCache } from 'lru-cache';
import {
  type CacheBackend,
  type CacheStats,
  MemoryCache,
  TagCache,
  VerdictCache,
  type VerdictKey,
  type VerdictTtls,
} from '../../cache/index.js';
import { describeError } from '../../errors.js';
import {
  formatReference,
  type ImageReference,
  InvalidReferenceError,
  parseReference,
  repositoryName,
  withDigest,
} from '../../reference/index.js';
import {
  isNotFound,
  RegistryError,
  RegistryTrouble,
  type RequestEvent,
  registryFailureKind,
} from '../../registry/index.js';
import { Deadline } from '../../util/deadline.js';
import { SingleFlight } from '../../util/single-flight.js';
import { canonicalHash, policyFingerprint } from '../fingerprint.js';
import { digestMayAddPolicies, matchPolicies } from '../match.js';
import type { CompiledPolicy, NoMatchPolicy, PolicySet } from '../model.js';
import {
  denial,
  type ImageChecker,
  type ImageCheckRequest,
  type ResourceContext,
  type Verdict,
} from '../verdict.js';
import type { RegistryClients } from './artefacts.js';
import { resourceView } from './cel-input.js';
import { evaluate } from './evaluate.js';
import { invalidReference, timeoutMessage } from './messages.js';
import { isStaticOnly, policyUsesEmbeddedRoot } from './prepare.js';
import { embeddedRootFingerprint } from './trust.js';

export interface PolicyEngineOptions {
  policySet: PolicySet;
  clients: RegistryClients;
  /** Where verdicts and tag answers are kept (default: an in-memory LRU). The engine does not close it. */
  cache?: CacheBackend;
  /** The no-match policy when the policy files do not choose one (builds: `warn`). */
  noMatchDefault?: NoMatchPolicy;
  /** The deadline of a check made without one (default 30 s). */
  timeoutMs?: number;
  verdictTtls?: Partial<VerdictTtls>;
  tagTtlMs?: number;
  /** Where registry problems are remembered (shared with a gate that explains its own timeouts). */
  trouble?: RegistryTrouble;
}

/** Bumped when the engine's evaluation changes meaning, so that verdicts cached by an older vouch stop matching. */
const ENGINE_VERSION = 'vouch-engine/1';

/** Image strings whose parsing and policy matching are remembered per engine. */
const REMEMBERED_IMAGES = 4096;

/** An image as written (or with its resolved digest), parsed and matched against the policy set. */
interface MatchedImage {
  reference: ImageReference;
  policies: CompiledPolicy[];
  /** Cache identity of `policies`. */
  fingerprint: string;
  /** Tag only, and only `static` policies can ever apply (not even once the digest is known). */
  decidedByTag: boolean;
  /** `registry/repository:tag`, the TagCache key (tag-only images). */
  tagKey?: string;
  /** Tag-only images: the digest form last matched (a tag points at one digest for a while). */
  lastDigest?: MatchedImage;
}

export class PolicyEngine implements ImageChecker {
  /** The policy set in force, with the no-match default applied. */
  readonly policySet: PolicySet;
  /** Identifies the policies and trust material in force (changes whenever a verdict could). */
  readonly fingerprint: string;
  /** Some verdict depends on the resource the image came from (a `match` rule, or CEL over the resource). */
  readonly resourceSensitive: boolean;
  readonly trouble: RegistryTrouble;
  private readonly clients: RegistryClients;
  private readonly backend: CacheBackend;
  private readonly verdicts: VerdictCache<Verdict>;
  private readonly tags: TagCache;
  private readonly timeoutMs: number;
  private readonly flights = new SingleFlight<Verdict>();
  private readonly fingerprints = new Map<string, string>();
  /**
   * Matching depends only on the image string unless some policy has `match` rules; then nothing is
   * remembered. Otherwise a warm check would spend most of its time parsing and formatting names.
   */
  private readonly matched: LRUCache<string, MatchedImage> | undefined;
  /** What `peek` found per image string, and until when (only when no verdict depends on the resource). */
  private readonly held: Map<string, { verdict: Verdict; until: number }> | undefined;

  constructor(options: PolicyEngineOptions) {
    const set = options.policySet;
    this.policySet =
      set.noMatchPolicyConfigured || options.noMatchDefault === undefined
        ? set
        : { ...set, noMatchPolicy: options.noMatchDefault };
    this.clients = options.clients;
    this.backend = options.cache ?? new MemoryCache();
    this.verdicts = new VerdictCache<Verdict>(this.backend, options.verdictTtls);
    this.tags = new TagCache(this.backend, options.tagTtlMs);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.trouble = options.trouble ?? new RegistryTrouble();
    this.fingerprint = this.fingerprintOf(this.policySet.policies);
    this.resourceSensitive = this.policySet.policies.some(
      (policy) => policy.dependsOnResource || policy.match.length > 0,
    );
    this.matched = this.policySet.policies.some((policy) => policy.match.length > 0)
      ? undefined
      : new LRUCache<string, MatchedImage>({ max: REMEMBERED_IMAGES });
    this.held = this.resourceSensitive ? undefined : new Map();
  }

  /** Give this every registry request event: timeouts then say what the registry last did wrong. */
  recordRequest(event: RequestEvent): void {
    this.trouble.record(event);
  }

  stats(): { cache: CacheStats; registryRequests: number } {
    return { cache: this.backend.stats(), registryRequests: this.clients.totalRequests() };
  }

  async check(request: ImageCheckRequest, options: { deadline?: Deadline } = {}): Promise<Verdict> {
    const deadline = options.deadline ?? Deadline.after(this.timeoutMs);
    const started = Date.now();
    const { resource } = request;
    const written = this.match(request.image, resource);
    if (!written.ok) return written.verdict;
    let { reference, policies, fingerprint } = written.image;

    if (reference.digest === undefined) {
      if (written.image.decidedByTag) return this.evaluate(request, reference, policies, deadline);
      const resolved = await this.resolve(request.image, written.image, deadline, started);
      if (!resolved.ok) return resolved.verdict;
      ({ reference, policies, fingerprint } = this.matchDigest(written.image, resolved.digest, resource));
    }
    if (policies.length === 0 || this.staticOnly(policies))
      return this.evaluate(request, reference, policies, deadline);

    const variant = this.variantOf(policies, resource);
    if (variant === null) return this.evaluate(request, reference, policies, deadline);
    const key = verdictKey(fingerprint, reference, variant);
    const hit = await this.verdicts.get(key, { deadline });
    if (hit) return present(hit, request.image, reference);

    const { promise, shared } = this.flights.run(VerdictCache.key(key), async () => {
      const verdict = await this.evaluate(request, reference, policies, deadline);
      await this.verdicts.put(key, verdict, { deadline });
      return verdict;
    });
    const verdict = await promise;
    // Another caller's deadline passed; ours has not: check again rather than pass on its timeout.
    if (shared && verdict.failure === 'timeout' && !deadline.expired)
      return this.evaluate(request, reference, policies, deadline);
    return present(verdict, request.image, reference);
  }

  /**
   * The verdict `check` would give from the cache, found without waiting (a memory cache); undefined
   * when it is not there, cannot be looked up at once, or needs no cache (static policies, no match,
   * invalid references: `check` answers those). When verdicts do not depend on the resource, the
   * answer is remembered per image string until the first of the cache entries it came from expires,
   * so that a warm admission costs one lookup per image.
   */
  peek(request: ImageCheckRequest): Verdict | undefined {
    const held = this.held?.get(request.image);
    if (held !== undefined) {
      if (held.until > Date.now()) {
        this.backend.metrics.add('verdict', 'hits');
        return held.verdict;
      }
      this.held?.delete(request.image);
    }
    const { resource } = request;
    const written = this.match(request.image, resource);
    if (!written.ok) return undefined;
    let { reference, policies, fingerprint } = written.image;
    let until = Number.POSITIVE_INFINITY;
    if (reference.digest === undefined) {
      if (written.image.decidedByTag) return undefined;
      const known = this.tags.peek(written.image.tagKey as string);
      if (known === undefined) return undefined;
      until = known.expiresAt;
      ({ reference, policies, fingerprint } = this.matchDigest(written.image, known.value.digest, resource));
    }
    if (policies.length === 0 || this.staticOnly(policies)) return undefined;
    const variant = this.variantOf(policies, resource);
    if (variant === null) return undefined;
    const hit = this.verdicts.peek(verdictKey(fingerprint, reference, variant));
    if (hit === undefined) return undefined;
    const verdict = present(hit.value, request.image, reference);
    if (this.held !== undefined) {
      if (this.held.size >= REMEMBERED_IMAGES) this.held.delete(this.held.keys().next().value as string);
      this.held.set(request.image, { verdict, until: Math.min(until, hit.expiresAt) });
    }
    return verdict;
  }

  /** The image as written, parsed and matched (remembered when matching ignores the resource). */
  private match(
    image: string,
    resource: ResourceContext | undefined,
  ): { ok: true; image: MatchedImage } | { ok: false; verdict: Verdict } {
    const known = this.matched?.get(image);
    if (known !== undefined) return { ok: true, image: known };
    const parsed = this.parse(image);
    if (!parsed.ok) return parsed;
    const matched = this.matchReference(parsed.reference, resource);
    this.matched?.set(image, matched);
    return { ok: true, image: matched };
  }

  /** The image with the digest its tag resolved to, matched again (globs may name the digest form). */
  private matchDigest(
    written: MatchedImage,
    digest: string,
    resource: ResourceContext | undefined,
  ): MatchedImage {
    const last = written.lastDigest;
    if (last !== undefined && last.reference.digest === digest) return last;
    const matched = this.matchReference(withDigest(written.reference, digest), resource);
    // Only a remembered (resource-independent) match may remember its digest form.
    if (this.matched !== undefined) written.lastDigest = matched;
    return matched;
  }

  private matchReference(reference: ImageReference, resource: ResourceContext | undefined): MatchedImage {
    const input = { image: reference, ...(resource !== undefined && { resource }) };
    const policies = matchPolicies(this.policySet, input);
    const tagOnly = reference.digest === undefined;
    return {
      reference,
      policies,
      fingerprint: this.fingerprintOf(policies),
      decidedByTag: tagOnly && this.staticOnly(policies) && !digestMayAddPolicies(this.policySet, input),
      ...(tagOnly && { tagKey: formatReference(reference) }),
    };
  }

  private parse(image: string): { ok: true; reference: ImageReference } | { ok: false; verdict: Verdict } {
    try {
      return { ok: true, reference: parseReference(image) };
    } catch (error) {
      if (!(error instanceof InvalidReferenceError)) throw error;
      return { ok: false, verdict: denial(image, invalidReference(image, error.message), 'invalid') };
    }
  }

  private staticOnly(policies: readonly CompiledPolicy[]): boolean {
    return policies.every(isStaticOnly);
  }

  private evaluate(
    request: ImageCheckRequest,
    reference: ImageReference,
    policies: readonly CompiledPolicy[],
    deadline: Deadline,
  ): Promise<Verdict> {
    return evaluate(
      this.policySet,
      { image: request.image, reference },
      {
        deadline,
        clients: this.clients,
        policies,
        trouble: this.trouble,
        ...(request.resource !== undefined && { resource: request.resource }),
      },
    );
  }

  /** A tag's digest: from the TagCache, else one request to the registry (then remembered briefly). */
  private async resolve(
    image: string,
    written: MatchedImage,
    deadline: Deadline,
    started: number,
  ): Promise<{ ok: true; digest: string } | { ok: false; verdict: Verdict }> {
    const { reference } = written;
    const key = written.tagKey ?? formatReference(reference);
    const known = await this.tags.get(key, { deadline });
    if (known !== undefined) return { ok: true, digest: known.digest };
    try {
      const resolved = await this.clients.default.resolve(reference, { deadline });
      // Remembered on the side: verification need not wait for a (Redis) write that never fails it.
      this.tags
        .put(key, { digest: resolved.digest, mediaType: resolved.mediaType }, { deadline })
        .catch(() => undefined);
      return { ok: true, digest: resolved.digest };
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      const kind = registryFailureKind(error);
      if (kind === 'timeout' || deadline.expired) {
        const reason =
          this.trouble.describe(reference.registry, started) ?? `resolving the tag: ${describeError(error)}`;
        return {
          ok: false,
          verdict: denial(image, timeoutMessage(image, deadline.budgetMs, reason), 'timeout'),
        };
      }
      if (isNotFound(error))
        return {
          ok: false,
          verdict: denial(image, `image tag not found: ${image}: ${describeError(error)}`, 'invalid'),
        };
      return {
        ok: false,
        verdict: denial(
          image,
          `registry failure while resolving ${image}: ${describeError(error)}`,
          'registry',
        ),
      };
    }
  }

  /** The cache identity of the policies a verdict depends on, with their trust material and the engine version. */
  private fingerprintOf(policies: readonly CompiledPolicy[]): string {
    const key = policies.map((policy) => policy.fingerprint).join(',');
    let fingerprint = this.fingerprints.get(key);
    if (fingerprint === undefined) {
      const extra = [ENGINE_VERSION];
      if (policies.some(policyUsesEmbeddedRoot)) extra.push(embeddedRootFingerprint());
      fingerprint = policyFingerprint(this.policySet, policies, extra);
      this.fingerprints.set(key, fingerprint);
    }
    return fingerprint;
  }

  /**
   * What else a verdict depends on: a hash of the parts of the resource the policies' CEL reads;
   * undefined when nothing; null when it cannot be hashed (then the verdict is not cached).
   */
  private variantOf(
    policies: readonly CompiledPolicy[],
    resource: ResourceContext | undefined,
  ): string | undefined | null {
    if (!policies.some((policy) => policy.dependsOnResource)) return undefined;
    const view = resourceView(policies, resource);
    if (view === undefined) return undefined;
    try {
      return canonicalHash(view);
    } catch {
      return null;
    }
  }
}

/**
 * What a verdict is about: the policies, the repository (signatures live per repository, so a verdict
 * for one never answers for another holding the same digest) and the digest.
 */
function verdictKey(fingerprint: string, reference: ImageReference, variant: string | undefined): VerdictKey {
  return {
    fingerprint,
    repository: repositoryName(reference),
    digest: reference.digest as string,
    ...(variant !== undefined && { variant }),
  };
}

/** A verdict (cached, or evaluated for another caller) as this caller's image names it. */
function present(verdict: Verdict, image: string, reference: ImageReference): Verdict {
  if (verdict.image === image) return verdict;
  const digest = reference.digest;
  return {
    ...verdict,
    image,
    ...(digest !== undefined &&
      verdict.digest !== undefined && { verifiedReference: formatReference(withDigest(reference, digest)) }),
  };
}
