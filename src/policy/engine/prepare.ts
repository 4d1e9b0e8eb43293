/**
 * A policy set made ready for evaluation, once: authorities built (keys parsed, trust material
 * resolved), CEL conditions compiled. Policies are prepared the first time they match an image, and
 * only what they need is loaded then (CEL for conditions, RE2 and trusted roots for keyless). What
 * the engine must know before that — whether a policy is decided without the registry, whether its
 * verdict depends on the embedded root — is read from the compiled policy.
 */
import { describeError } from '../../errors.js';
import type { CompiledCondition } from '../../verify/cel.js';
import { isCelError } from '../../verify/errors.js';
import { policyCelVariables } from '../cel-variables.js';
import type { CompiledPolicy, PolicySet } from '../model.js';
import { type PreparedAuthority, prepareAuthority, usesEmbeddedRoot } from './authorities.js';
import { type TrustAccess, trustAccess } from './trust-access.js';

export interface PreparedPolicy {
  policy: CompiledPolicy;
  authorities: PreparedAuthority[];
  /** The compiled `spec.policy` condition, or why it cannot be used. */
  condition?: { ok: true; condition: CompiledCondition } | { ok: false; problem: string };
  /** Every authority is `static` (and no image config is read): decided without any registry request. */
  staticOnly: boolean;
  /** Some authority's trust material is the embedded public-good root (part of the verdict's fingerprint). */
  usesEmbeddedRoot: boolean;
}

/** Every authority is `static` and no image configuration is read: no registry request is needed. */
export function isStaticOnly(policy: CompiledPolicy): boolean {
  return (
    policy.authorities.every((authority) => authority.type === 'static') &&
    policy.policy?.fetchConfigFile !== true
  );
}

/** Some authority's trust material is the embedded public-good root. */
export function policyUsesEmbeddedRoot(policy: CompiledPolicy): boolean {
  return policy.authorities.some(usesEmbeddedRoot);
}

export class PreparedPolicySet {
  private readonly trust: TrustAccess;
  private readonly policies = new Map<CompiledPolicy, Promise<PreparedPolicy>>();

  constructor(readonly set: PolicySet) {
    this.trust = trustAccess(set);
  }

  get(policy: CompiledPolicy): Promise<PreparedPolicy> {
    let prepared = this.policies.get(policy);
    if (prepared === undefined) {
      prepared = this.prepare(policy);
      this.policies.set(policy, prepared);
    }
    return prepared;
  }

  private async prepare(policy: CompiledPolicy): Promise<PreparedPolicy> {
    const authorities = await Promise.all(
      policy.authorities.map((authority) => prepareAuthority(authority, this.trust)),
    );
    let condition: PreparedPolicy['condition'];
    if (policy.policy !== undefined) {
      const { compileCondition } = await import('../../verify/cel.js');
      try {
        condition = {
          ok: true,
          condition: compileCondition(policy.policy.expression, policyCelVariables(policy.policy)),
        };
      } catch (error) {
        if (!isCelError(error)) throw error;
        condition = { ok: false, problem: describeError(error) };
      }
    }
    return {
      policy,
      authorities,
      ...(condition !== undefined && { condition }),
      staticOnly: isStaticOnly(policy),
      usesEmbeddedRoot: policyUsesEmbeddedRoot(policy),
    };
  }
}

const prepared = new WeakMap<PolicySet, PreparedPolicySet>();

/** The prepared form of a policy set, built once per set object. */
export function preparedPolicySet(set: PolicySet): PreparedPolicySet {
  let entry = prepared.get(set);
  if (entry === undefined) {
    entry = new PreparedPolicySet(set);
    prepared.set(set, entry);
  }
  return entry;
}
