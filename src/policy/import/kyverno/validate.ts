/**
 * What Kyverno itself refuses in an image-verification policy (its admission check of policies,
 * pkg/validation/policy and the API types' Validate methods): reported as refusals, exit 2.
 */
import type { Scope } from '../report.js';
import {
  type Attestor,
  type AttestorSet,
  attestorSetSchema,
  type ImageVerification,
  type KyvernoPolicy,
} from './schema.js';

const VARIABLE = /\{\{.*\}\}/;
const SIGNATURE_ALGORITHMS = new Set(['', 'sha224', 'sha256', 'sha384', 'sha512']);

export function isAuditAction(action: string | undefined): boolean {
  return action !== 'Enforce' && action !== 'enforce';
}

/** Kyverno's checks on the policy as a whole. */
export function checkPolicy(policy: KyvernoPolicy, scope: Scope): void {
  const spec = policy.spec;
  if (policy.kind === 'ClusterPolicy' && policy.metadata.namespace !== undefined)
    scope.refuse('metadata.namespace', 'a ClusterPolicy should not have the namespace defined');
  const hasVerifyImages = (spec.rules ?? []).some((rule) => (rule.verifyImages ?? []).length > 0);
  if (spec.admission === false && spec.background === false)
    scope.refuse('spec', 'disabling both admission and background processing is not allowed');
  else if (spec.admission === false && hasVerifyImages)
    scope.refuse('spec.admission', 'disabling admission processing is only allowed with validation policies');
  (spec.rules ?? []).forEach((rule, index) => {
    const path = `spec.rules[${index}]`;
    const filters = [
      ...(rule.match.any ?? []).map((filter) => filter.resources),
      ...(rule.match.all ?? []).map((filter) => filter.resources),
    ];
    const kinds =
      filters.length > 0
        ? filters.every((resources) => (resources?.kinds ?? []).length > 0)
        : (rule.match.resources?.kinds ?? []).length > 0;
    if (!kinds) scope.refuse(`${path}.match`, 'at least one kind is required in every match block');
  });
}

/** Kyverno's `ImageVerification.Validate`, for one `verifyImages` entry (after deprecated fields are converted). */
export function checkImageVerification(
  iv: ImageVerification,
  references: readonly string[],
  auditAction: boolean,
  scope: Scope,
): void {
  if (auditAction && iv.mutateDigest !== false)
    scope.refuse('mutateDigest', 'mutateDigest must be set to false for ‘Audit’ failure action');
  if (references.length === 0) scope.refuse('', 'An image reference is required');
  for (const reference of references)
    if (VARIABLE.test(reference))
      scope.refuse('imageReferences', 'variables are not allowed in image reference');
  for (const [index, set] of (iv.attestors ?? []).entries())
    checkAttestorSet(set, scope.at(`attestors[${index}]`));
  for (const [index, attestation] of (iv.attestations ?? []).entries())
    for (const [j, set] of (attestation.attestors ?? []).entries())
      checkAttestorSet(set, scope.at(`attestations[${index}].attestors[${j}]`));
  if (iv.type === 'Notary')
    for (const set of iv.attestors ?? [])
      for (const entry of set.entries ?? []) {
        if (entry.keyless !== undefined)
          scope.refuse('attestors', 'Keyless field is not allowed for type notary');
        if (entry.keys !== undefined) scope.refuse('attestors', 'Keys field is not allowed for type notary');
      }
}

function checkAttestorSet(set: AttestorSet, scope: Scope, depth = 0): void {
  const entries = set.entries ?? [];
  if (set.count !== undefined && set.count > entries.length)
    scope.refuse('', 'Count cannot exceed length of entries');
  if (entries.length === 0) scope.refuse('', 'An entry is required');
  for (const [index, entry] of entries.entries()) checkAttestor(entry, scope.at(`entries[${index}]`), depth);
}

/** Nested attestor sets are bounded: Kyverno recurses without limit, the importer does not. */
export const MAX_ATTESTOR_DEPTH = 4;

function checkAttestor(entry: Attestor, scope: Scope, depth: number): void {
  const kinds = [entry.keys, entry.certificates, entry.keyless, entry.attestor].filter(
    (kind) => kind !== undefined,
  );
  if (kinds.length !== 1) {
    scope.refuse('', 'keys, certificates, keyless, or a nested attestor is required');
    return;
  }
  if (entry.keys !== undefined) {
    const keys = entry.keys;
    if (keys.publicKeys === undefined && keys.kms === undefined && keys.secret === undefined)
      scope.refuse('keys', 'A public key, kms key or secret is required');
    if (keys.publicKeys !== undefined && !SIGNATURE_ALGORITHMS.has(keys.signatureAlgorithm ?? ''))
      scope.refuse('keys', 'Invalid signature algorithm provided');
  }
  if (
    entry.certificates !== undefined &&
    entry.certificates.cert === undefined &&
    entry.certificates.certChain === undefined
  )
    scope.refuse('certificates', 'cert or certChain required');
  if (entry.keyless !== undefined) {
    if (entry.keyless.rekor === undefined && entry.keyless.roots === undefined)
      scope.refuse('keyless', 'Either Rekor URL or roots are required');
    if (entry.keyless.rekor !== undefined && entry.keyless.rekor.url === undefined)
      scope.refuse('keyless', 'An URL is required');
  }
  if (entry.attestor !== undefined) {
    if (depth >= MAX_ATTESTOR_DEPTH) {
      scope.refuse(
        'attestor',
        `nested attestor sets deeper than ${MAX_ATTESTOR_DEPTH} levels are not imported`,
      );
      return;
    }
    const nested = attestorSetSchema.safeParse(entry.attestor);
    if (!nested.success)
      scope.refuse(
        'attestor',
        `failed to unmarshal attestor set: ${nested.error.issues[0]?.message ?? 'invalid'}`,
      );
    else checkAttestorSet(nested.data, scope.at('attestor'), depth + 1);
  }
}
