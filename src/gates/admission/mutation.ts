/**
 * Digest pinning: which objects get `repo:tag@sha256:…` written into them, and the JSONPatch that
 * does it. The text kept is exactly what was written (no canonicalisation), so the only difference a
 * GitOps controller can see is the appended digest, and only on the kinds the mode allows.
 */
import { isDigest } from '../../reference/index.js';
import type { ImageDecision } from './enforcement.js';
import type { JsonPatchOperation } from './review.js';
import type { ImageLocation, WorkloadKind } from './workloads.js';

/** `pods` (default): pin on Pods only; `all`: also on controllers, like Kyverno or Connaisseur; `none`: validate only. */
export type DigestMutation = 'pods' | 'all' | 'none';

export const DIGEST_MUTATIONS: readonly DigestMutation[] = ['pods', 'all', 'none'];

export function mutatesKind(mode: DigestMutation, kind: WorkloadKind): boolean {
  if (mode === 'none') return false;
  return mode === 'all' || kind.isPod;
}

/**
 * The written image with the verified digest appended (`nginx:1.27` → `nginx:1.27@sha256:…`), or
 * undefined when it already names a digest (never rewritten) or the digest is not a valid one.
 */
export function pinImage(written: string, digest: string): string | undefined {
  if (written.includes('@') || !isDigest(digest)) return undefined;
  return `${written}@${digest}`;
}

export interface PinCandidate {
  location: ImageLocation;
  /** False on UPDATE when the same string is at the same place in the old object: rewriting it would restart the container. */
  changed: boolean;
  decision: ImageDecision;
  /** The digest the verdict names. */
  digest?: string;
}

/** One `replace` per image string that was verified, is tag-only, changed, and sits in a kind the mode rewrites. */
export function planPatch(
  kind: WorkloadKind,
  mode: DigestMutation,
  candidates: readonly PinCandidate[],
): JsonPatchOperation[] {
  if (!mutatesKind(mode, kind)) return [];
  const operations: JsonPatchOperation[] = [];
  for (const { location, changed, decision, digest } of candidates) {
    if (!changed || !decision.allowed || !decision.verified || digest === undefined) continue;
    const pinned = pinImage(location.image, digest);
    if (pinned !== undefined) operations.push({ op: 'replace', path: location.pointer, value: pinned });
  }
  return operations;
}
