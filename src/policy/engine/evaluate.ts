/**
 * `evaluate(policySet, target, context) → Verdict`: policy-controller's semantics over one image.
 *
 * - Every policy whose globs match the image (tag form and digest form) must pass; they run
 *   concurrently and every failing one is reported.
 * - Within a policy any one authority passing is enough; authorities run concurrently and share one
 *   set of fetched artefacts per (signature repository, tag prefix, credentials).
 * - A policy-level CEL condition runs only when at least one authority passed.
 * - `mode: warn` turns a policy's failure into a warning; no policy matching gives `no-match-policy`.
 * - One deadline bounds everything; when it passes the verdict is a `timeout` denial naming the image,
 *   the budget and the last registry problem.
 * - Policies whose authorities are all `static` need no registry request (and no digest).
 */
import { describeError } from '../../errors.js';
import { formatReference, type ImageReference, withDigest } from '../../reference/index.js';
import { type RegistryTrouble, registryFailureKind } from '../../registry/index.js';
import type { Deadline } from '../../util/deadline.js';
import { verifyAttestations } from '../../verify/attestations.js';
import { isCelError } from '../../verify/errors.js';
import type { AuthorityOutcome, FailureKind } from '../../verify/outcome.js';
import { verifySignatures } from '../../verify/signatures.js';
import type { CompiledPolicy, NoMatchPolicy, PolicySet } from '../model.js';
import { denial, type PolicyOutcome, type ResourceContext, type Verdict } from '../verdict.js';
import { ArtefactPool, type RegistryClients } from './artefacts.js';
import type { PreparedAuthority } from './authorities.js';
import {
  type AuthorityMatch,
  fetchConfigs,
  policyAttestation,
  policyLevelInput,
  policySignature,
  staticMatch,
} from './cel-input.js';
import {
  authorityFailure,
  celPolicyFailure,
  NO_MATCHING_POLICIES,
  noMatchingAttestations,
  policyFailure,
  staticFailure,
  timeoutMessage,
} from './messages.js';
import { isStaticOnly, type PreparedPolicy, preparedPolicySet } from './prepare.js';

export interface EvaluationTarget {
  /** The image exactly as given (it becomes `Verdict.image`). */
  image: string;
  /** The image parsed; it must carry the digest to verify unless only static policies match. */
  reference: ImageReference;
}

export interface EvaluationContext {
  deadline: Deadline;
  /** Needed whenever a matching policy is not static-only. */
  clients?: RegistryClients;
  /** The object the image came from (policy `match` rules, CEL `spec` / `metadata`). */
  resource?: ResourceContext;
  /** The policies that match the image (the engine matches, and remembers, before it evaluates). */
  policies: readonly CompiledPolicy[];
  /** Registry problems seen by the clients, for the words of a timeout. */
  trouble?: RegistryTrouble;
}

/**
 * Which failure kind describes a set of failures: what is about the registry or the clock first (the
 * outcome might change on retry, and must never be cached or warned away), then what is about the
 * image, and a broken authority last.
 */
const FAILURE_PRIORITY: readonly FailureKind[] = [
  'timeout',
  'registry',
  'signature',
  'policy',
  'static',
  'no-match',
  'invalid',
];

export function dominantFailure(kinds: readonly (FailureKind | undefined)[]): FailureKind | undefined {
  for (const kind of FAILURE_PRIORITY) if (kinds.includes(kind)) return kind;
  return undefined;
}

interface AuthorityResult {
  outcome: AuthorityOutcome;
  /** Set when the authority passed: its entry in the CEL input's `authorityMatches`. */
  match?: AuthorityMatch;
}

interface Subject {
  reference: ImageReference;
  /** `registry/repository@sha256:…`, as authority messages name the image. */
  named: string;
  pool?: ArtefactPool;
  clients?: RegistryClients;
  deadline: Deadline;
  resource?: ResourceContext;
  /** Verify-layer outcomes by authority identity (and attestation), shared by identical authorities. */
  checked: Map<string, Promise<AuthorityOutcome>>;
}

export async function evaluate(
  policySet: PolicySet,
  target: EvaluationTarget,
  context: EvaluationContext,
): Promise<Verdict> {
  const { reference } = target;
  const prepared = preparedPolicySet(policySet);
  const { policies } = context;
  const byDigest = reference.digest !== undefined;
  const verified = byDigest
    ? {
        verifiedReference: formatReference(withDigest(reference, reference.digest as string)),
        digest: reference.digest as string,
      }
    : {};

  if (policies.length === 0) return noMatchVerdict(target.image, policySet.noMatchPolicy, verified);

  const needsRegistry = policies.some((policy) => !isStaticOnly(policy));
  if (needsRegistry && (!byDigest || context.clients === undefined))
    return denial(
      target.image,
      byDigest
        ? `no registry client to verify ${target.image} with`
        : `invalid value: ${target.image} must be an image digest`,
      'invalid',
    );

  const started = Date.now();
  const digest = reference.digest as string;
  const subject: Subject = {
    reference,
    named: byDigest
      ? formatReference({ registry: reference.registry, repository: reference.repository, digest })
      : formatReference(reference),
    ...(needsRegistry && {
      pool: new ArtefactPool(
        context.clients as RegistryClients,
        { registry: reference.registry, repository: reference.repository, digest },
        context.deadline,
      ),
      clients: context.clients,
    }),
    deadline: context.deadline,
    ...(context.resource !== undefined && { resource: context.resource }),
    checked: new Map(),
  };

  const work = Promise.all(
    policies.map(async (policy) => evaluatePolicy(await prepared.get(policy), subject)),
  );
  const outcomes = needsRegistry ? await raceDeadline(work, context.deadline) : await work;
  if (outcomes === undefined || (context.deadline.expired && outcomes.some((o) => o.failure === 'timeout')))
    return timeoutVerdict(target, context, started, outcomes ?? [], verified);

  const errors = outcomes.filter((o) => !o.passed && o.mode === 'enforce').map((o) => o.message as string);
  const warnings = outcomes.filter((o) => !o.passed && o.mode === 'warn').map((o) => o.message as string);
  const failure = dominantFailure(
    outcomes.filter((o) => !o.passed && o.mode === 'enforce').map((o) => o.failure),
  );
  if (failure === 'timeout') return timeoutVerdict(target, context, started, outcomes, verified);
  return {
    image: target.image,
    ...verified,
    allowed: errors.length === 0,
    errors,
    warnings,
    policies: outcomes,
    ...(errors.length > 0 && failure !== undefined && { failure }),
  };
}

function noMatchVerdict(
  image: string,
  noMatch: NoMatchPolicy,
  verified: { verifiedReference?: string; digest?: string },
): Verdict {
  return {
    image,
    ...verified,
    allowed: noMatch !== 'deny',
    errors: noMatch === 'deny' ? [NO_MATCHING_POLICIES] : [],
    warnings: noMatch === 'warn' ? [NO_MATCHING_POLICIES] : [],
    policies: [],
    failure: 'no-match',
  };
}

/** The work's value, or undefined when the deadline passes first. */
function raceDeadline<T>(work: Promise<T>, deadline: Deadline): Promise<T | undefined> {
  work.catch(() => undefined); // a rejection after the deadline is nobody's concern
  return new Promise<T | undefined>((resolve, reject) => {
    const cancel = deadline.onExpire(() => resolve(undefined));
    work.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (error: unknown) => {
        cancel();
        reject(error);
      },
    );
  });
}

function timeoutVerdict(
  target: EvaluationTarget,
  context: EvaluationContext,
  started: number,
  outcomes: PolicyOutcome[],
  verified: { verifiedReference?: string; digest?: string },
): Verdict {
  const registry = target.reference.registry;
  const fromOutcomes = outcomes
    .flatMap((policy) => policy.authorities)
    .find((authority) => authority.failure === 'timeout')?.reason;
  const reason =
    context.trouble?.describe(registry, started) ??
    fromOutcomes ??
    `the deadline passed while waiting for registry ${registry}`;
  return {
    image: target.image,
    ...verified,
    allowed: false,
    errors: [timeoutMessage(target.image, context.deadline.budgetMs, reason)],
    warnings: [],
    policies: outcomes,
    failure: 'timeout',
  };
}

async function evaluatePolicy(prepared: PreparedPolicy, subject: Subject): Promise<PolicyOutcome> {
  const { policy } = prepared;
  const results = await Promise.all(
    prepared.authorities.map((authority) => evaluateAuthority(authority, subject)),
  );
  const authorities = results.map((result) => result.outcome);
  const base = { name: policy.name, mode: policy.mode, authorities };
  const passed = results.filter((result) => result.outcome.passed);
  if (passed.length === 0)
    return {
      ...base,
      passed: false,
      message: policyFailure(
        policy.name,
        authorities.map((authority) => authority.reason),
      ),
      failure: dominantFailure(authorities.map((authority) => authority.failure)) ?? 'signature',
    };

  if (policy.policy === undefined || prepared.condition === undefined) return { ...base, passed: true };
  const failed = (reason: string, failure: FailureKind): PolicyOutcome => ({
    ...base,
    passed: false,
    message: policyFailure(policy.name, [celPolicyFailure(reason)]),
    failure,
  });
  if (!prepared.condition.ok) return failed(prepared.condition.problem, 'invalid');

  const matches: Record<string, AuthorityMatch> = {};
  for (const result of passed) if (result.match) matches[result.outcome.name] = result.match;
  let config: Record<string, unknown> | undefined;
  if (policy.policy.fetchConfigFile) {
    try {
      config = await fetchConfigs(
        (subject.clients as RegistryClients).default,
        {
          registry: subject.reference.registry,
          repository: subject.reference.repository,
          digest: subject.reference.digest as string,
        },
        subject.deadline,
      );
    } catch (error) {
      const kind = registryFailureKind(error);
      return failed(`cannot read the image configuration: ${describeError(error)}`, kind ?? 'invalid');
    }
  }
  const input = policyLevelInput(policy.policy, matches, subject.resource, config);
  try {
    if (prepared.condition.condition.evaluate(input)) return { ...base, passed: true };
    return failed(`the condition ${policy.policy.expression} is false`, 'policy');
  } catch (error) {
    if (!isCelError(error)) throw error;
    return failed(error.message, 'policy');
  }
}

async function evaluateAuthority(prepared: PreparedAuthority, subject: Subject): Promise<AuthorityResult> {
  if (prepared.kind === 'static') {
    if (prepared.action === 'pass')
      return {
        outcome: { name: prepared.name, type: 'static', passed: true, reason: 'static pass', signatures: [] },
        match: staticMatch(),
      };
    return {
      outcome: {
        name: prepared.name,
        type: 'static',
        passed: false,
        reason: staticFailure(prepared.message),
        signatures: [],
        failure: 'static',
      },
    };
  }
  if (prepared.kind === 'broken')
    return {
      outcome: {
        name: prepared.name,
        type: prepared.type,
        passed: false,
        reason: authorityFailure('signature', prepared.type, prepared.name, subject.named, prepared.problem),
        signatures: [],
        failure: 'invalid',
      },
    };
  try {
    return prepared.attestations.length === 0
      ? await checkSignatures(prepared, subject)
      : await checkAttestations(prepared, subject);
  } catch (error) {
    // A verifier that errors has verified nothing: this authority denies, with the reason.
    return {
      outcome: {
        name: prepared.name,
        type: prepared.type,
        passed: false,
        reason: authorityFailure(
          prepared.attestations.length ? 'attestation' : 'signature',
          prepared.type,
          prepared.name,
          subject.named,
          `verification failed unexpectedly: ${describeError(error)}`,
        ),
        signatures: [],
        failure: 'invalid',
      },
    };
  }
}

type VerifyAuthority = Extract<PreparedAuthority, { kind: 'verify' }>;

/** Runs a verify-layer check once per evaluation for every authority with the same identity. */
function once(
  subject: Subject,
  key: string,
  check: () => Promise<AuthorityOutcome>,
): Promise<AuthorityOutcome> {
  let pending = subject.checked.get(key);
  if (pending === undefined) {
    pending = check();
    subject.checked.set(key, pending);
  }
  return pending;
}

function withTlogChoice(outcome: AuthorityOutcome, prepared: VerifyAuthority): AuthorityOutcome {
  if (prepared.tlogChoice === undefined || outcome.tlog?.status === 'verified') return outcome;
  return { ...outcome, tlog: { status: 'not-checked', detail: prepared.tlogChoice } };
}

async function checkSignatures(prepared: VerifyAuthority, subject: Subject): Promise<AuthorityResult> {
  const outcome = await once(subject, prepared.identity, () =>
    verifySignatures((subject.pool as ArtefactPool).for(prepared.source), prepared.authority),
  );
  const named = { ...outcome, name: prepared.name, type: prepared.type };
  if (outcome.passed)
    return {
      outcome: withTlogChoice(named, prepared),
      match: {
        signatures: outcome.signatures.filter((s) => s.verified).map(policySignature),
        attestations: {},
        static: false,
      },
    };
  return {
    outcome: {
      ...named,
      reason: authorityFailure('signature', prepared.type, prepared.name, subject.named, outcome.reason),
    },
  };
}

async function checkAttestations(prepared: VerifyAuthority, subject: Subject): Promise<AuthorityResult> {
  const results = await Promise.all(
    prepared.attestations.map(async (attestation, index) => ({
      attestation,
      outcome: await once(subject, `${prepared.identity}/${index}`, () =>
        verifyAttestations((subject.pool as ArtefactPool).for(prepared.source), prepared.authority, {
          predicateType: attestation.predicateType,
          ...(attestation.condition !== undefined && { condition: attestation.condition }),
        }),
      ),
    })),
  );
  const signatures = results.flatMap((result) => result.outcome.signatures);
  const failedOnes = results.filter((result) => !result.outcome.passed);
  const base = { name: prepared.name, type: prepared.type, signatures };
  if (failedOnes.length === 0) {
    const attestations: Record<string, ReturnType<typeof policyAttestation>[]> = {};
    for (const { attestation, outcome } of results)
      attestations[attestation.name] = outcome.signatures
        .filter((s) => s.verified)
        .map((s) => policyAttestation(s, attestation.predicateType));
    const tlog =
      results.find((result) => result.outcome.tlog?.status === 'verified')?.outcome.tlog ??
      results[0]?.outcome.tlog;
    return {
      outcome: withTlogChoice(
        {
          ...base,
          passed: true,
          reason: results.map((result) => `${result.attestation.name}: ${result.outcome.reason}`).join('; '),
          ...(tlog !== undefined && { tlog }),
        },
        prepared,
      ),
      match: { signatures: [], attestations, static: false },
    };
  }
  const reasons = failedOnes.map(({ attestation, outcome }) => {
    const reason = attestationReason(attestation.predicateType, outcome);
    return results.length > 1 ? `${attestation.name}: ${reason}` : reason;
  });
  return {
    outcome: {
      ...base,
      passed: false,
      reason: authorityFailure(
        'attestation',
        prepared.type,
        prepared.name,
        subject.named,
        reasons.join('; '),
      ),
      failure: dominantFailure(failedOnes.map((result) => result.outcome.failure)) ?? 'signature',
    },
  };
}

/**
 * policy-controller's words when authentic attestations exist but none has the wanted type:
 * `no matching attestations with type X, checked the following predicateTypes: "…"`. The verify layer
 * rejects such an attestation only after its signature and subject verified, with a reason naming the
 * type it has.
 */
function attestationReason(predicateType: string, outcome: AuthorityOutcome): string {
  if (outcome.failure !== 'signature') return outcome.reason;
  const seen = new Set<string>();
  let onlyWrongType = outcome.signatures.length > 0;
  for (const signature of outcome.signatures) {
    if (signature.otherPredicateType !== undefined) seen.add(signature.otherPredicateType);
    else onlyWrongType = false;
  }
  if (seen.size === 0) return outcome.reason;
  const message = noMatchingAttestations(predicateType, [...seen]);
  return onlyWrongType ? message : `${message} (${outcome.reason})`;
}
