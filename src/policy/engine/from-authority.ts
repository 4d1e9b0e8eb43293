/**
 * A policy set for the simple set-ups (`--key`, the keyless flags): one policy matching every image
 * (`**`) with the given authority, so that a flag-based check goes through exactly the same engine,
 * cache and verdict as a ClusterImagePolicy.
 */
import { TrustedRoot } from '@sigstore/protobuf-specs';
import type { SignatureAuthority, SignatureSource as VerifySource } from '../../verify/authority.js';
import { canonicalHash } from '../fingerprint.js';
import { globPattern } from '../glob.js';
import type {
  CompiledAuthority,
  CompiledPolicy,
  CompiledTrustRoot,
  PolicySet,
  SignatureSource,
  TrustRootSpec,
} from '../model.js';

const ORIGIN = 'command-line flags';

function source(input: VerifySource | undefined): SignatureSource | undefined {
  if (input === undefined || (input.signatureRepository === undefined && input.tagPrefix === undefined))
    return undefined;
  return {
    ...(input.signatureRepository !== undefined && {
      oci: { registry: input.signatureRepository.registry, repository: input.signatureRepository.repository },
    }),
    ...(input.tagPrefix !== undefined && { tagPrefix: input.tagPrefix }),
    pullSecrets: [],
  };
}

function trustRoot(name: string, spec: TrustRootSpec): CompiledTrustRoot {
  return { name, spec, origin: ORIGIN, fingerprint: canonicalHash({ name, spec }) };
}

export function policySetFromAuthority(
  authority: SignatureAuthority,
  options: { annotations?: Readonly<Record<string, string>> } = {},
): PolicySet {
  const annotations = options.annotations ?? authority.annotations;
  const common = {
    attestations: [],
    ...(source(authority.source) !== undefined && { source: source(authority.source) }),
    ...(annotations !== undefined &&
      Object.keys(annotations).length > 0 && { annotations: { ...annotations } }),
  };
  const trustRoots: Record<string, CompiledTrustRoot> = {};
  let authorities: CompiledAuthority[];
  if (authority.type === 'key') {
    const tlogRoot = `${authority.name} rekor keys`;
    if (authority.rekorKeys?.length)
      trustRoots[tlogRoot] = trustRoot(tlogRoot, {
        type: 'sigstoreKeys',
        certificateAuthorities: [],
        tLogs: authority.rekorKeys.map((rekor) => ({
          baseURL: '',
          hashAlgorithm: 'sha256',
          publicKey: rekor.key.pem,
        })),
        ctLogs: [],
        timestampAuthorities: [],
      });
    authorities = authority.keys.map((key, index) => ({
      type: 'key',
      name: authority.keys.length === 1 ? authority.name : `${authority.name}[${index}]`,
      key: { pem: key.pem, from: { type: 'inline' } },
      hashAlgorithm: 'sha256',
      ...(authority.rekorKeys?.length && { tlog: { trustRootRef: tlogRoot } }),
      ...common,
    }));
  } else {
    const rootName = `${authority.name} trusted root`;
    trustRoots[rootName] = trustRoot(rootName, {
      type: 'trustedRootJSON',
      trustedRootJSON: JSON.stringify(TrustedRoot.toJSON(authority.trustedRoot)),
    });
    const policy = authority.policy;
    const timestamps = policy.useSignedTimestamps === true;
    const ignoreTlog = policy.insecureIgnoreTlog === true;
    authorities = [
      {
        type: 'keyless',
        name: authority.name,
        identities: policy.identities.map((identity) => ({ ...identity })),
        trustRootRef: rootName,
        insecureIgnoreSCT: policy.insecureIgnoreSct === true,
        ...(policy.github !== undefined && { github: { ...policy.github } }),
        ...(ignoreTlog && { insecureIgnoreTlog: true }),
        ...(timestamps && { timestamp: {} }),
        // With signed timestamps the tlog is still required unless it was ignored explicitly.
        ...(timestamps && !ignoreTlog && { tlog: {} }),
        ...common,
      },
    ];
  }
  const body = {
    name: authority.name,
    mode: 'enforce' as const,
    images: [{ glob: '**', pattern: globPattern('**') }],
    match: [],
    authorities,
    dependsOnResource: false,
  };
  const compiled: CompiledPolicy = {
    ...body,
    apiVersion: 'policy.sigstore.dev/v1beta1',
    origin: ORIGIN,
    fingerprint: canonicalHash(body),
  };
  return { noMatchPolicy: 'deny', policies: [compiled], trustRoots, pullSecrets: {} };
}
