/**
 * The document a policy-level (`spec.policy`) condition reads, in policy-controller's shape:
 *
 *   authorityMatches: {<authority name>: {signatures: [...], attestations: {<name>: [...]}, static: bool}}
 *   config:   {"os/arch[/variant]": <OCI image config>}      (fetchConfigFile)
 *   spec:     the resource's spec                             (includeSpec)
 *   metadata: the resource's metadata                         (includeObjectMeta)
 *   typemeta: {apiVersion, kind}                              (includeTypeMeta)
 *
 * Only authorities that passed are in `authorityMatches`. Each signature is `{id, subject?, issuer?}`
 * (keyless: the certificate's first SAN and its OIDC issuer); vouch's `id` is the hex digest of the artefact that carried the signature (the
 * `.sig` layer or bundle manifest), where policy-controller hashes the signature with its certificate.
 */
import { isIndex, type Manifest, type RegistryClient } from '../../registry/index.js';
import type { Deadline } from '../../util/deadline.js';
import type { SignatureOutcome } from '../../verify/outcome.js';
import type { PolicyLevelCel } from '../model.js';
import type { ResourceContext } from '../verdict.js';

export interface PolicySignature {
  id: string;
  subject?: string;
  issuer?: string;
}

export interface PolicyAttestation extends PolicySignature {
  predicateType: string;
  digest: string;
}

export interface AuthorityMatch {
  signatures: PolicySignature[];
  attestations: Record<string, PolicyAttestation[]>;
  static: boolean;
}

export function policySignature(outcome: SignatureOutcome): PolicySignature {
  const subject = outcome.identity?.subjects[0];
  const issuer = outcome.identity?.issuer;
  return {
    id: (outcome.artefact ?? '').replace(/^sha256:/, ''),
    ...(subject !== undefined && subject !== '' && { subject }),
    ...(issuer !== undefined && issuer !== '' && { issuer }),
  };
}

export function policyAttestation(outcome: SignatureOutcome, predicateType: string): PolicyAttestation {
  return { ...policySignature(outcome), predicateType, digest: outcome.artefact ?? '' };
}

export function staticMatch(): AuthorityMatch {
  return { signatures: [], attestations: {}, static: true };
}

/** The CEL bindings for a policy-level condition. */
export function policyLevelInput(
  policy: PolicyLevelCel,
  authorityMatches: Record<string, AuthorityMatch>,
  resource: ResourceContext | undefined,
  config: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const input: Record<string, unknown> = { authorityMatches };
  if (policy.fetchConfigFile && config !== undefined) input.config = config;
  if (policy.includeSpec && resource?.spec !== undefined) input.spec = resource.spec;
  if (policy.includeObjectMeta && resource?.metadata !== undefined) input.metadata = resource.metadata;
  if (policy.includeTypeMeta && resource !== undefined)
    input.typemeta = {
      ...(resource.apiVersion !== undefined && { apiVersion: resource.apiVersion }),
      ...(resource.kind !== undefined && { kind: resource.kind }),
    };
  return input;
}

/** What the resource-dependent part of a verdict depends on, for cache keys (undefined: nothing). */
export function resourceView(
  policies: readonly { policy?: PolicyLevelCel }[],
  resource: ResourceContext | undefined,
): Record<string, unknown> | undefined {
  const view: Record<string, unknown> = {};
  for (const { policy } of policies) {
    if (policy === undefined) continue;
    if (policy.includeSpec) view.spec = resource?.spec ?? null;
    if (policy.includeObjectMeta) view.metadata = resource?.metadata ?? null;
    if (policy.includeTypeMeta) view.typemeta = [resource?.apiVersion ?? null, resource?.kind ?? null];
  }
  return Object.keys(view).length ? view : undefined;
}

const MAX_PLATFORMS = 64;

/**
 * `fetchConfigFile`: the image's config, keyed `os/architecture[/variant]`; for an index, the config
 * of every platform manifest it lists. Fetched with the image's own registry credentials.
 */
export async function fetchConfigs(
  client: RegistryClient,
  image: { registry: string; repository: string; digest: string },
  deadline: Deadline,
): Promise<Record<string, unknown>> {
  const configs: Record<string, unknown> = {};
  const top = await client.getManifest(image, { deadline });
  const manifests: Manifest[] = [];
  if (isIndex(top.manifest)) {
    for (const child of top.manifest.manifests.slice(0, MAX_PLATFORMS))
      manifests.push((await client.getManifest({ ...image, digest: child.digest }, { deadline })).manifest);
  } else manifests.push(top.manifest);
  for (const manifest of manifests) {
    if (isIndex(manifest)) continue;
    const bytes = await client.getBlob(image, manifest.config.digest, {
      deadline,
      maxBytes: 4 * 1024 * 1024,
    });
    let config: unknown;
    try {
      config = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      continue;
    }
    if (typeof config !== 'object' || config === null) continue;
    const { os, architecture, variant } = config as {
      os?: unknown;
      architecture?: unknown;
      variant?: unknown;
    };
    if (typeof os !== 'string' || typeof architecture !== 'string') continue;
    configs[`${os}/${architecture}${typeof variant === 'string' && variant ? `/${variant}` : ''}`] = config;
  }
  return configs;
}
