/**
 * Verdict texts in sigstore policy-controller's shapes, so that people can search for them:
 * `failed policy: <name>: …`, `no matching policies`, `disallowed by static policy: <message>`,
 * `signature key validation failed for authority <name> for <repo@digest>: …`.
 */
import { formatDuration } from '../../util/deadline.js';
import type { VerifyingKindName } from '../../verify/kinds.js';

export const NO_MATCHING_POLICIES = 'no matching policies';

export function staticFailure(message: string | undefined): string {
  return message ? `disallowed by static policy: ${message}` : 'disallowed by static policy';
}

export function authorityFailure(
  what: 'signature' | 'attestation',
  type: VerifyingKindName,
  authority: string,
  image: string,
  reason: string,
): string {
  return `${what} ${type} validation failed for authority ${authority} for ${image}: ${reason}`;
}

export function policyFailure(policy: string, reasons: readonly string[]): string {
  return `failed policy: ${policy}: ${reasons.join('; ')}`;
}

export function celPolicyFailure(reason: string): string {
  return `failed evaluating cel policy for ClusterImagePolicy: ${reason}`;
}

export function noMatchingAttestations(predicateType: string, seen: readonly string[]): string {
  const checked = seen.length
    ? `, checked the following predicateTypes: ${seen.map((type) => JSON.stringify(type)).join(', ')}`
    : '';
  return `no matching attestations with type ${predicateType}${checked}`;
}

export function invalidReference(image: string, detail: string): string {
  return `could not parse reference: ${image}: ${detail}`;
}

/** The same words the admission gate uses when its own budget passes. */
export function timeoutMessage(image: string, budgetMs: number, reason: string): string {
  return `verification of ${image} did not finish in ${formatDuration(budgetMs)}: ${reason}`;
}
