/**
 * From a policy's authorities (plain data) to what the verify layer checks with: public keys parsed,
 * Rekor keys and trusted roots resolved, CEL conditions compiled — each kind by its own module
 * (`kinds.ts`), loaded when first needed. Done once per policy set. An authority that cannot be built
 * (a bad key, an unusable TrustRoot) is kept as `broken` with the reason: it denies with that reason at
 * every check, and other authorities of its policy still count.
 */
import { describeError, VouchError } from '../../errors.js';
import { isRecord } from '../../util/is-record.js';
import type { SignatureAuthority } from '../../verify/authority.js';
import type { CompiledCondition } from '../../verify/cel.js';
import { isCelError } from '../../verify/errors.js';
import type { VerifyingKindName } from '../../verify/kinds.js';
import { ATTESTATION_CEL_VARIABLES } from '../cel-variables.js';
import { unusableAuthority } from '../errors.js';
import { canonicalHash } from '../fingerprint.js';
import type { CompiledAuthority, SignatureSource } from '../model.js';
import { KIND_PREPARATION, type KindPreparation } from './kinds.js';
import type { TrustAccess } from './trust-access.js';

export { KEY_WITHOUT_TLOG } from './kinds.js';

export interface PreparedAttestation {
  name: string;
  predicateType: string;
  condition?: CompiledCondition;
}

export type PreparedAuthority =
  | { kind: 'static'; name: string; action: 'pass' | 'fail'; message?: string }
  | {
      kind: 'verify';
      name: string;
      type: VerifyingKindName;
      authority: SignatureAuthority;
      /** Non-empty: only attestations are checked (policy-controller's attestation path). */
      attestations: PreparedAttestation[];
      source?: SignatureSource;
      /** Said in the verdict when no transparency log is required (a key authority without `ctlog`). */
      tlogChoice?: string;
      usesEmbeddedRoot: boolean;
      /**
       * What the check depends on (the authority without its name): authorities with the same identity
       * (the same key and source in several policies) are checked once per evaluation.
       */
      identity: string;
    }
  | { kind: 'broken'; name: string; type: VerifyingKindName; problem: string; usesEmbeddedRoot: boolean };

type VerifyingSpec = Exclude<CompiledAuthority, { type: 'static' }>;

function preparation(spec: VerifyingSpec): KindPreparation<VerifyingKindName> {
  return KIND_PREPARATION[spec.type] as KindPreparation<VerifyingKindName>;
}

/** Whether an authority's trust material is the embedded public-good root (known without building it). */
export function usesEmbeddedRoot(authority: CompiledAuthority): boolean {
  return authority.type !== 'static' && preparation(authority).usesEmbeddedRoot(authority);
}

export async function prepareAuthority(
  authority: CompiledAuthority,
  trust: TrustAccess,
): Promise<PreparedAuthority> {
  if (authority.type === 'static')
    return {
      kind: 'static',
      name: authority.name,
      action: authority.action,
      ...(authority.message !== undefined && { message: authority.message }),
    };
  const kind = preparation(authority);
  const embedded = kind.usesEmbeddedRoot(authority);
  try {
    const attestations = await Promise.all(
      authority.attestations.map(
        async (attestation): Promise<PreparedAttestation> => ({
          name: attestation.name,
          predicateType: attestation.predicateType,
          ...(attestation.policy && { condition: await attestationCondition(attestation.policy.expression) }),
        }),
      ),
    );
    const tlogChoice = kind.withoutTlog?.(authority);
    return {
      kind: 'verify',
      name: authority.name,
      type: authority.type,
      authority: await kind.build(authority, trust),
      attestations,
      ...(authority.source !== undefined && { source: authority.source }),
      ...(tlogChoice !== undefined && { tlogChoice }),
      usesEmbeddedRoot: embedded,
      identity: canonicalHash({ ...authority, name: '' }),
    };
  } catch (error) {
    if (!(error instanceof VouchError)) throw error;
    return {
      kind: 'broken',
      name: authority.name,
      type: authority.type,
      problem: describeError(error),
      usesEmbeddedRoot: embedded,
    };
  }
}

/**
 * An attestation policy's condition as the verify layer calls it (with `statement` bound), giving the
 * expression the statement's top-level fields as variables too. CEL is loaded only for policies that
 * have conditions.
 */
export async function attestationCondition(expression: string): Promise<CompiledCondition> {
  const { compileCondition } = await import('../../verify/cel.js');
  let inner: CompiledCondition;
  try {
    inner = compileCondition(expression, ATTESTATION_CEL_VARIABLES);
  } catch (error) {
    if (isCelError(error)) throw unusableAuthority(error.message, error);
    throw error;
  }
  return {
    source: expression,
    evaluate(bindings) {
      const statement = bindings.statement;
      const fields: Record<string, unknown> = { statement };
      if (isRecord(statement))
        for (const name of ['predicateType', 'predicate', 'subject'])
          if (statement[name] !== undefined) fields[name] = statement[name];
      return inner.evaluate(fields);
    },
  };
}
