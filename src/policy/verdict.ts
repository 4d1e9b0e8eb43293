/**
 * The one verdict type every gate uses (CLI, build, promotion, admission). It is plain data so that it
 * can be cached, serialised to JSON and rendered the same way everywhere.
 */
import type { Deadline } from '../util/deadline.js';
import type { AuthorityOutcome, FailureKind } from '../verify/outcome.js';

export type {
  AuthorityOutcome,
  FailureKind,
  SignatureOutcome,
  TransparencyLogOutcome,
} from '../verify/outcome.js';

export interface PolicyOutcome {
  name: string;
  mode: 'enforce' | 'warn';
  passed: boolean;
  /** policy-controller-shaped message when it failed: `failed policy: <name>: …`. */
  message?: string;
  authorities: AuthorityOutcome[];
  /** Set when it failed, to say what kind (a CEL condition: `policy`; else from its authorities). */
  failure?: FailureKind;
}

export interface Verdict {
  /** The image exactly as it was given. */
  image: string;
  /** `registry/repository[:tag]@sha256:…` of what was verified; absent when no digest was needed or known. */
  verifiedReference?: string;
  digest?: string;
  allowed: boolean;
  /** Failures that deny, in policy-controller's message shapes. */
  errors: string[];
  /** Failures that only warn (`mode: warn`, no-match warn, audit). */
  warnings: string[];
  policies: PolicyOutcome[];
  /** Set when the verdict is a failure, to say what kind. */
  failure?: FailureKind;
  /** True when this verdict came from a cache. */
  cached?: boolean;
}

/** A verdict that denies `image` for one reason, before any policy was evaluated. */
export function denial(image: string, message: string, failure?: FailureKind): Verdict {
  return {
    image,
    allowed: false,
    errors: [message],
    warnings: [],
    policies: [],
    ...(failure !== undefined && { failure }),
  };
}

/** The Kubernetes object an image came from, for policies that match on it or read its spec. */
export interface ResourceContext {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown>;
  spec?: unknown;
}

export interface ImageCheckRequest {
  /** The image exactly as written (tag, digest, or `repo:tag@sha256:…`). */
  image: string;
  resource?: ResourceContext;
}

/**
 * What every gate calls: the policy engine behind one interface. `check` resolves a tag once (unless
 * only `static` policies cover the image), verifies by digest and returns the verdict; when the verdict
 * cache holds the digest's verdict it answers from there (and the verdict's `cached` flag says so).
 */
export interface ImageChecker {
  check(request: ImageCheckRequest, options?: { deadline?: Deadline }): Promise<Verdict>;
  /**
   * The verdict `check` would answer from its cache, when that cache is in this process and can say at
   * once; undefined otherwise (then `check` decides). Lets a webhook answer warm admissions without
   * any asynchronous work.
   */
  peek?(request: ImageCheckRequest): Verdict | undefined;
}
