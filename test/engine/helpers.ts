/**
 * Test support for the policy engine: a real registry with images signed by the signature layer,
 * and policy sets loaded from YAML exactly as users write them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { stringify } from 'yaml';
import { MemoryCache } from '../../src/cache/index.js';
import { PolicyEngine, type PolicyEngineOptions, singleClient } from '../../src/policy/engine/index.js';
import { loadPolicyText, type PolicySet } from '../../src/policy/index.js';
import { RegistryClient, type RegistryClientOptions, type Repository } from '../../src/registry/index.js';
import {
  attachBundle,
  attestLegacy,
  buildStatement,
  COSIGN_SIGN_PREDICATE_TYPE,
  digestSet,
  type PrivateKey,
  parsePrivateKey,
  type SignTarget,
  signatureStatement,
  signLegacy,
} from '../../src/signature/index.js';
import { type BuiltImage, buildImage, pushArtifact } from '../harness/index.js';

export async function newKey(): Promise<PrivateKey> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return parsePrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, async () => '');
}

export interface PushedImage {
  repo: Repository;
  tag: string;
  image: BuiltImage;
  digest: string;
  /** `registry/repository:tag` */
  ref: string;
  /** `registry/repository@sha256:…` */
  byDigest: string;
  target: SignTarget;
}

let seeds = 0;

/** Builds a fresh image and pushes it as `repository:tag`. */
export async function pushImage(
  client: RegistryClient,
  registry: string,
  repository: string,
  tag = 'v1',
): Promise<PushedImage> {
  const image = buildImage({ seed: `engine-${process.pid}-${seeds++}-${repository}` });
  const repo = { registry, repository };
  await pushArtifact(client, repo, image, tag);
  return {
    repo,
    tag,
    image,
    digest: image.digest,
    ref: `${registry}/${repository}:${tag}`,
    byDigest: `${registry}/${repository}@${image.digest}`,
    target: {
      registry,
      repository,
      digest: image.digest,
      mediaType: image.mediaType,
      size: image.manifest.byteLength,
    },
  };
}

export async function sign(
  client: RegistryClient,
  pushed: PushedImage,
  key: PrivateKey,
  options: { signatureRepository?: Repository; tagPrefix?: string } = {},
): Promise<void> {
  await signLegacy(client, pushed.target, key, {}, options);
}

/** Signs as cosign v3 does: a Sigstore bundle attached as a referrer (no `.sig` tag). */
export async function signBundle(
  client: RegistryClient,
  pushed: PushedImage,
  key: PrivateKey,
): Promise<void> {
  await attachBundle(client, pushed.target, key, {
    statement: signatureStatement(pushed.digest),
    predicateType: COSIGN_SIGN_PREDICATE_TYPE,
  });
}

export async function attest(
  client: RegistryClient,
  pushed: PushedImage,
  key: PrivateKey,
  predicateType: string,
  predicate: unknown,
): Promise<void> {
  const statement = buildStatement({
    subject: [{ name: pushed.repo.repository, digest: digestSet(pushed.digest) }],
    predicateType,
    predicate,
  });
  await attestLegacy(client, pushed.target, key, { statement, predicateType });
}

export function cip(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'policy.sigstore.dev/v1beta1', kind: 'ClusterImagePolicy', metadata: { name }, spec };
}

export function keyAuthority(key: PrivateKey, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { key: { data: key.publicKey.pem }, ...extra };
}

export async function policies(...documents: unknown[]): Promise<PolicySet> {
  const text = documents.map((document) => stringify(document)).join('---\n');
  return (await loadPolicyText(text, 'behaviour.yaml')).policySet;
}

/** An engine with its own registry client (so its requests can be counted) and its own memory cache. */
export function engineFor(
  policySet: PolicySet,
  options: Partial<PolicyEngineOptions> & { client?: RegistryClientOptions } = {},
): { engine: PolicyEngine; client: RegistryClient; close(): Promise<void> } {
  const { client: clientOptions, ...engineOptions } = options;
  const client = new RegistryClient(clientOptions ?? {});
  const engine = new PolicyEngine({
    policySet,
    clients: singleClient(client),
    cache: new MemoryCache(),
    ...engineOptions,
  });
  return { engine, client, close: () => client.close() };
}
