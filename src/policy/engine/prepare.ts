/**
 * A policy set made ready for evaluation, once: authorities built (keys parsed, trust material
 * resolved), CEL conditions compiled. Policies are prepared the first time they match an image.
 */
import { describeError } from '../../errors.js';
import { type CompiledCondition, compileCondition } from '../../verify/cel.js';
import { isCelError } from '../../verify/errors.js';
import { policyCelVariables } from '../cel-variables.js';
import type { CompiledPolicy, PolicySet } from '../model.js';
import { type PreparedAuthority, prepareAuthority } from './authorities.js';
import { TrustResolver } from './trust.js';

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

export class PreparedPolicySet {
  private readonly trust: TrustResolver;
  private readonly policies = new Map<CompiledPolicy, PreparedPolicy>();

  constructor(readonly set: PolicySet) {
    this.trust = new TrustResolver(set);
  }

  get(policy: CompiledPolicy): PreparedPolicy {
    let prepared = this.policies.get(policy);
    if (prepared === undefined) {
      prepared = this.prepare(policy);
      this.policies.set(policy, prepared);
    }
    return prepared;
  }

  private prepare(policy: CompiledPolicy): PreparedPolicy {
    const authorities = policy.authorities.map((authority) => prepareAuthority(authority, this.trust));
    let condition: PreparedPolicy['condition'];
    if (policy.policy !== undefined) {
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
      staticOnly:
        authorities.every((authority) => authority.kind === 'static') &&
        policy.policy?.fetchConfigFile !== true,
      usesEmbeddedRoot: authorities.some(
        (authority) => authority.kind !== 'static' && authority.usesEmbeddedRoot,
      ),
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
