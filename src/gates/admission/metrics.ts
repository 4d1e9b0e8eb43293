/**
 * Prometheus metrics of the webhook, all prefixed `vouch_`, on a registry of their own (so that two
 * servers in one process, as in tests, do not collide).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { CACHE_NAMESPACES, type CacheStats } from '../../cache/index.js';
import type { RequestEvent } from '../../registry/index.js';
import type { GateEvents } from './gate.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type AdmissionVerdictLabel = 'allowed' | 'denied' | 'warned' | 'skipped';

/**
 * prom-client's child per set of label values, kept: finding it by its labels hashes and validates
 * them on every event, which costs more than the observation (metrics are never reset here).
 */
class Children<C> {
  private readonly known = new Map<string, C>();

  constructor(private readonly make: (...values: string[]) => C) {}

  get(...values: string[]): C {
    const key = values.join('\u0000');
    let child = this.known.get(key);
    if (child === undefined) {
      child = this.make(...values);
      this.known.set(key, child);
    }
    return child;
  }
}

export class WebhookMetrics {
  readonly registry = new Registry();
  readonly admissionDuration = new Histogram({
    name: 'vouch_admission_duration_seconds',
    help: 'Time to answer an AdmissionReview, by operation and verdict',
    labelNames: ['operation', 'verdict'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly shed = new Counter({
    name: 'vouch_admission_shed_total',
    help: 'Large AdmissionReviews refused with HTTP 429 before being read, because enough were in progress',
    registers: [this.registry],
  });
  readonly malformed = new Counter({
    name: 'vouch_admission_malformed_total',
    help: 'Requests answered 400 because the AdmissionReview was malformed or too large',
    registers: [this.registry],
  });
  readonly verificationDuration = new Histogram({
    name: 'vouch_verification_duration_seconds',
    help: 'Time to a verdict for one image that was not in the in-process cache, by where it came from and whether it allowed',
    labelNames: ['origin', 'result'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly registryRequests = new Counter({
    name: 'vouch_registry_requests_total',
    help: 'Registry requests made by the policy engine, by registry and HTTP status (0: no answer)',
    labelNames: ['registry', 'status'] as const,
    registers: [this.registry],
  });
  /** Cache lookups since the last scrape, added to the counters when they are read (one per image is too many to count one by one). */
  private readonly lookups = {
    hit: { check: 0, 'unchanged-update': 0 },
    miss: { check: 0, 'unchanged-update': 0 },
  };
  readonly cacheHits = new Counter({
    name: 'vouch_cache_hits_total',
    help: 'Verdicts answered from the verdict cache',
    labelNames: ['source'] as const,
    registers: [this.registry],
    collect: () => this.flushLookups(),
  });
  readonly cacheMisses = new Counter({
    name: 'vouch_cache_misses_total',
    help: 'Verdict cache lookups that found nothing',
    labelNames: ['source'] as const,
    registers: [this.registry],
    collect: () => this.flushLookups(),
  });
  readonly timeouts = new Counter({
    name: 'vouch_timeouts_total',
    help: 'Images whose verification did not finish within the admission budget',
    registers: [this.registry],
  });
  readonly denials = new Counter({
    name: 'vouch_denials_total',
    help: 'Denied admissions, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly warnedAdmissions = new Counter({
    name: 'vouch_warned_admissions_total',
    help: 'Admissions allowed with warnings about failed checks, by namespace',
    labelNames: ['namespace'] as const,
    registers: [this.registry],
  });
  /** Where the cache figures come from (`watchCache`); read when /metrics is scraped. */
  private cacheStats: (() => CacheStats) | undefined;
  private readonly shownForged = { verdict: 0, tag: 0, artefact: 0 };
  readonly cacheForged = new Counter({
    name: 'vouch_cache_forged_total',
    help: 'Cache entries refused because they failed their HMAC check, did not hash to their digest, or were larger than any vouch writes, by namespace',
    labelNames: ['namespace'] as const,
    registers: [this.registry],
    collect: () => this.collectCache(),
  });
  readonly policyReloads = new Counter({
    name: 'vouch_policy_reloads_total',
    help: 'Policy (re)loads, by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly policyReloadFailing = new Gauge({
    name: 'vouch_policy_reload_failing',
    help: 'Whether the policy files on disk are broken and the last good policies are in force (1) or not (0)',
    registers: [this.registry],
  });
  readonly policyLoadedTimestamp = new Gauge({
    name: 'vouch_policy_loaded_timestamp_seconds',
    help: 'When the policies in force were loaded',
    registers: [this.registry],
  });

  private readonly admissionChildren = new Children((operation, verdict) =>
    this.admissionDuration.labels({ operation, verdict }),
  );
  private readonly verificationChildren = new Children((origin, result) =>
    this.verificationDuration.labels({ origin, result }),
  );
  private readonly registryChildren = new Children((registry, status) =>
    this.registryRequests.labels({ registry, status }),
  );

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'vouch_' });
  }

  /** Hook for the engine's RegistryClient (`onRequest`). */
  recordRegistryRequest(event: Pick<RequestEvent, 'registry' | 'status'>): void {
    this.registryChildren.get(event.registry, String(event.status)).inc();
  }

  recordAdmission(operation: string, verdict: AdmissionVerdictLabel, seconds: number): void {
    this.admissionChildren.get(operation, verdict).observe(seconds);
  }

  /** The gate's events, counted. */
  gateEvents(): GateEvents {
    return {
      onVerification: ({ origin, verdict, durationMs, shared, immediate }) => {
        if (origin === 'timeout') this.timeouts.inc();
        // Verdicts answered at once from memory are counted as cache hits, not timed.
        if (shared || immediate) return;
        this.verificationChildren
          .get(origin, verdict.allowed ? 'allowed' : 'denied')
          .observe(durationMs / 1000);
      },
      onCacheLookup: ({ source, hit }) => {
        (hit ? this.lookups.hit : this.lookups.miss)[source]++;
      },
    };
  }

  /** Reports the cache's own counts (forged entries) on every scrape. */
  watchCache(stats: () => CacheStats): void {
    this.cacheStats = stats;
    // Every namespace shows, at 0, from the first scrape.
    for (const namespace of CACHE_NAMESPACES) this.cacheForged.inc({ namespace }, 0);
  }

  private collectCache(): void {
    const stats = this.cacheStats?.();
    if (stats === undefined) return;
    // The cache counts since it was opened: the counter is set to that, never moved back.
    for (const namespace of CACHE_NAMESPACES) {
      const forged = stats.namespaces[namespace].forged;
      const shown = this.shownForged[namespace];
      if (forged > shown) {
        this.cacheForged.inc({ namespace }, forged - shown);
        this.shownForged[namespace] = forged;
      }
    }
  }

  private flushLookups(): void {
    for (const [counts, counter] of [
      [this.lookups.hit, this.cacheHits],
      [this.lookups.miss, this.cacheMisses],
    ] as const) {
      for (const source of ['check', 'unchanged-update'] as const) {
        if (counts[source] === 0) continue;
        counter.inc({ source }, counts[source]);
        counts[source] = 0;
      }
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
