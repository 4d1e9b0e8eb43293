/**
 * The compiled policy set: plain data, produced once when policies are loaded and read by the matcher
 * and the evaluator. Everything a check needs is resolved here (secrets, config maps, remote policies,
 * defaults), so evaluation never reads files or the network for policy material.
 */

import type { SignatureFormatName } from '../verify/formats.js';
import type { AuthorityKindName } from '../verify/kinds.js';

export type NoMatchPolicy = 'allow' | 'warn' | 'deny';
export type PolicyMode = 'enforce' | 'warn';
export type HashAlgorithm = 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** Where a piece of policy material came from, for messages: `policies/a.yaml: document 2`. */
export type Origin = string;

export interface CompiledGlob {
  /** As written in `spec.images[].glob`. */
  glob: string;
  /** What is matched: the Docker Hub shortcuts applied (see `globPattern`). */
  pattern: string;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: LabelSelectorRequirement[];
}

/** One `spec.match[]` entry: the resource kind (and labels) a policy is limited to. */
export interface MatchRule {
  group: string;
  /** `*` matches any version. */
  version: string;
  resource: string;
  selector?: LabelSelector;
}

/** A PEM-encoded public key and where it was read from. Parsing it is the signature layer's job. */
export interface PublicKeyMaterial {
  pem: string;
  /** `inline` (key.data), or the Secret / file that held it. */
  from: { type: 'inline' } | { type: 'secret'; namespace: string; name: string; key: string; file?: string };
}

/** `source[0]`: where signatures and attestations are read from. */
export interface SignatureSource {
  /** `source.oci`: a registry (`registry.example.com`) or repository (`registry.example.com/sigs`) holding them. */
  oci?: { registry: string; repository?: string };
  /** `source.tagPrefix`: prefix before `sha256-<hex>.sig|.att`. */
  tagPrefix?: string;
  /** `source.signaturePullSecrets[].name`: Kubernetes pull secrets to read signatures with. */
  pullSecrets: string[];
}

/** CIP `ctlog` — despite the name, the transparency log (Rekor). */
export interface TransparencyLogConfig {
  url?: string;
  trustRootRef?: string;
}

export interface CelPolicy {
  type: 'cel';
  expression: string;
  /** Where the expression came from: inline, a ConfigMap or a URL (with its checked sha256). */
  from: string;
}

export interface CompiledAttestation {
  name: string;
  /** The predicate type to look for, short names mapped to cosign's URIs. */
  predicateType: string;
  /** As written, when it was a (deprecated) short name such as `vuln`. */
  predicateTypeShortName?: string;
  policy?: CelPolicy;
}

interface AuthorityBase {
  /** `spec.authorities[i].name`, defaulted to `authority-<i>` as policy-controller does. */
  name: string;
}

interface SignatureAuthorityBase extends AuthorityBase {
  source?: SignatureSource;
  tlog?: TransparencyLogConfig;
  /** `rfc3161timestamp`: signed timestamps are required, with TSA certificates from this TrustRoot. */
  timestamp?: { trustRootRef?: string };
  /** When non-empty, only attestations are checked (policy-controller's attestation path). */
  attestations: CompiledAttestation[];
  /** `signatureFormat`: only this format counts; unset: every format the kind reads (`verify/kinds.ts`). */
  signatureFormat?: SignatureFormatName;
  /**
   * Annotations the signed payload must carry (cosign's `-a key=value`). Not a ClusterImagePolicy field:
   * set only for policies built from command-line flags (`policySetFromAuthority`).
   */
  annotations?: Record<string, string>;
}

export interface KeyAuthority extends SignatureAuthorityBase {
  type: 'key';
  key: PublicKeyMaterial;
  hashAlgorithm: HashAlgorithm;
  /**
   * What the outcome says when no transparency log is required, in the words of where the authority
   * came from. Not a ClusterImagePolicy field: set only for policies built from command-line flags.
   */
  withoutTlog?: string;
}

export interface Identity {
  issuer?: string;
  issuerRegExp?: string;
  subject?: string;
  subjectRegExp?: string;
}

export interface KeylessAuthority extends SignatureAuthorityBase {
  type: 'keyless';
  /** Fulcio URL (`https://fulcio.sigstore.dev` when neither url nor ca-cert is given); never contacted. */
  url?: string;
  /** `ca-cert`: PEM certificates to trust instead of a TrustRoot's certificate authorities. */
  caCert?: { pem: string; from: PublicKeyMaterial['from'] };
  identities: Identity[];
  trustRootRef?: string;
  insecureIgnoreSCT: boolean;
  /**
   * cosign's `--certificate-github-workflow-*` values and `--insecure-ignore-tlog`. Not ClusterImagePolicy
   * fields: set only for policies built from command-line flags (`policySetFromAuthority`).
   */
  github?: { trigger?: string; sha?: string; name?: string; repository?: string; ref?: string };
  insecureIgnoreTlog?: boolean;
}

export interface StaticAuthority extends AuthorityBase {
  type: 'static';
  action: 'pass' | 'fail';
  message?: string;
}

/** The compiled form of each authority kind (`verify/kinds.ts`): a new kind adds its line. */
export interface CompiledAuthorities {
  key: KeyAuthority;
  keyless: KeylessAuthority;
  static: StaticAuthority;
}

export type CompiledAuthority = CompiledAuthorities[AuthorityKindName];

/** `spec.policy` with `type: cel`, evaluated after at least one authority passed. */
export interface PolicyLevelCel extends CelPolicy {
  fetchConfigFile: boolean;
  includeSpec: boolean;
  includeObjectMeta: boolean;
  includeTypeMeta: boolean;
}

export interface CompiledPolicy {
  name: string;
  /** `policy.sigstore.dev/v1alpha1` or `/v1beta1`, as written. */
  apiVersion: string;
  mode: PolicyMode;
  images: CompiledGlob[];
  /** Empty: the policy applies to images whatever resource they come from. */
  match: MatchRule[];
  authorities: CompiledAuthority[];
  policy?: PolicyLevelCel;
  /**
   * True when the verdict also depends on the resource the image came from (a `match` rule or a CEL
   * policy that reads the resource's spec or metadata): such verdicts must not be shared between
   * resources in a cache keyed by image digest alone.
   */
  dependsOnResource: boolean;
  /** Where the policy was read from (not part of the fingerprint). */
  origin: Origin;
  /** sha256 hex over the canonical JSON of this policy without `apiVersion`, `origin` and `fingerprint`. */
  fingerprint: string;
}

/**
 * A `TrustRoot`, validated and decoded but otherwise as written; turning it into trust material is
 * the keyless verifier's job (`src/verify/trust`).
 */
export type TrustRootSpec =
  | {
      type: 'remote';
      /** root.json, decoded from base64. */
      root: string;
      mirror: string;
      targets: string;
      trustedRootTarget: string;
    }
  | {
      type: 'repository';
      root: string;
      /** tar.gz of the TUF repository, still base64 (it is binary). */
      mirrorFS: string;
      targets: string;
      trustedRootTarget: string;
    }
  | {
      type: 'sigstoreKeys';
      certificateAuthorities: CertificateAuthority[];
      tLogs: TransparencyLogInstance[];
      ctLogs: TransparencyLogInstance[];
      timestampAuthorities: CertificateAuthority[];
    }
  | { type: 'trustedRootJSON'; trustedRootJSON: string };

export interface CertificateAuthority {
  subject: { organization: string; commonName: string };
  uri: string;
  /** PEM certificate chain (decoded from base64), root last. */
  certChain: string;
}

export interface TransparencyLogInstance {
  baseURL: string;
  hashAlgorithm: string;
  /** PEM public key (decoded from base64). */
  publicKey: string;
}

export interface CompiledTrustRoot {
  name: string;
  spec: TrustRootSpec;
  origin: Origin;
  fingerprint: string;
}

/** A Secret named by `source.signaturePullSecrets`: registry credentials for reading signatures. */
export interface PullSecret {
  namespace: string;
  name: string;
  /** The Secret's `.dockerconfigjson` (or legacy `.dockercfg`) content: a docker config JSON text. */
  dockerConfigJson: string;
  /** Where it was read from. */
  from: string;
}

export interface PolicySet {
  /** What happens to an image no policy covers; `deny` unless configured. */
  noMatchPolicy: NoMatchPolicy;
  /**
   * True when a verification config (or the caller's override) chose `noMatchPolicy`; absent when it is
   * the default. A gate with its own default (builds: `warn`) applies it only when this is not set.
   */
  noMatchPolicyConfigured?: boolean;
  /** Sorted by name; names are unique. */
  policies: CompiledPolicy[];
  /** By name. */
  trustRoots: Record<string, CompiledTrustRoot>;
  /**
   * Supplied Secrets that policies name in `signaturePullSecrets`, by name. Credentials: never part of a
   * fingerprint, never printed.
   */
  pullSecrets: Record<string, PullSecret>;
}
