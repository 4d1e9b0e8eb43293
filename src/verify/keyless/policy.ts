import { VerifyError } from '../errors.js';
import {
  type CompiledIdentity,
  compileIdentity,
  type GithubWorkflowPolicy,
  type IdentityPolicy,
} from './identity.js';

/**
 * What a keyless signature must satisfy, beyond chaining to a trusted CA. One shape for cosign's flags
 * and for a policy-controller `keyless` authority.
 */
export interface KeylessPolicy {
  /** At least one; the certificate must match one of them (policy-controller `identities`). */
  identities: IdentityPolicy[];
  /** cosign's `--certificate-github-workflow-*` checks, on top of the identity. */
  github?: GithubWorkflowPolicy;
  /** Do not require an embedded SCT (`--insecure-ignore-sct`, policy-controller `insecureIgnoreSCT`). */
  insecureIgnoreSct?: boolean;
  /** Do not require or check a Rekor entry (`--insecure-ignore-tlog`); an expired certificate then needs a trusted timestamp. */
  insecureIgnoreTlog?: boolean;
  /** Require and use an RFC 3161 timestamp from a trusted TSA (`--use-signed-timestamps`, policy-controller `rfc3161timestamp`). */
  useSignedTimestamps?: boolean;
}

export interface CompiledKeylessPolicy {
  readonly identities: readonly CompiledIdentity[];
  readonly github?: GithubWorkflowPolicy;
  readonly insecureIgnoreSct: boolean;
  readonly insecureIgnoreTlog: boolean;
  readonly useSignedTimestamps: boolean;
  /** Things the user turned off, worded for a verdict (empty when nothing was). */
  readonly warnings: readonly string[];
}

const compiled = new WeakMap<KeylessPolicy, CompiledKeylessPolicy>();

/** Validates the policy and compiles its regular expressions (RE2); throws VerifyError POLICY_INVALID. */
export function compileKeylessPolicy(policy: KeylessPolicy): CompiledKeylessPolicy {
  const cached = compiled.get(policy);
  if (cached) return cached;
  if (!Array.isArray(policy.identities) || policy.identities.length === 0)
    throw new VerifyError(
      'POLICY_INVALID',
      'a keyless policy needs at least one identity (subject and issuer)',
    );
  const identities = policy.identities.map((identity, index) =>
    compileIdentity(identity, policy.identities.length === 1 ? 'identity' : `identities[${index}]`),
  );
  const warnings: string[] = [];
  if (policy.insecureIgnoreSct) warnings.push('SCT check skipped (--insecure-ignore-sct)');
  if (policy.insecureIgnoreTlog) warnings.push('transparency log check skipped (--insecure-ignore-tlog)');
  const github =
    policy.github && Object.values(policy.github).some((value) => value !== undefined)
      ? policy.github
      : undefined;
  const result: CompiledKeylessPolicy = {
    identities,
    ...(github && { github }),
    insecureIgnoreSct: policy.insecureIgnoreSct === true,
    insecureIgnoreTlog: policy.insecureIgnoreTlog === true,
    useSignedTimestamps: policy.useSignedTimestamps === true,
    warnings,
  };
  compiled.set(policy, result);
  return result;
}

/** cosign's keyless flags, by their cosign names. */
export interface KeylessFlags {
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  certificateGithubWorkflowTrigger?: string;
  certificateGithubWorkflowSha?: string;
  certificateGithubWorkflowName?: string;
  certificateGithubWorkflowRepository?: string;
  certificateGithubWorkflowRef?: string;
  insecureIgnoreSct?: boolean;
  insecureIgnoreTlog?: boolean;
  useSignedTimestamps?: boolean;
}

/**
 * Turns cosign-style flags into a policy, with cosign's rule that one of each identity pair is
 * required. Throws VerifyError POLICY_INVALID naming the flags.
 */
export function keylessPolicyFromFlags(flags: KeylessFlags): KeylessPolicy {
  const pair = (exact: string | undefined, pattern: string | undefined, name: string) => {
    if (exact !== undefined && pattern !== undefined)
      throw new VerifyError('POLICY_INVALID', `give --${name} or --${name}-regexp, not both`);
    if (exact === undefined && pattern === undefined)
      throw new VerifyError(
        'POLICY_INVALID',
        `--${name} or --${name}-regexp is required for keyless verification`,
      );
  };
  pair(flags.certificateIdentity, flags.certificateIdentityRegexp, 'certificate-identity');
  pair(flags.certificateOidcIssuer, flags.certificateOidcIssuerRegexp, 'certificate-oidc-issuer');
  const identity: IdentityPolicy = {};
  if (flags.certificateIdentity !== undefined) identity.subject = flags.certificateIdentity;
  if (flags.certificateIdentityRegexp !== undefined) identity.subjectRegExp = flags.certificateIdentityRegexp;
  if (flags.certificateOidcIssuer !== undefined) identity.issuer = flags.certificateOidcIssuer;
  if (flags.certificateOidcIssuerRegexp !== undefined)
    identity.issuerRegExp = flags.certificateOidcIssuerRegexp;
  const github: GithubWorkflowPolicy = {};
  if (flags.certificateGithubWorkflowTrigger !== undefined)
    github.trigger = flags.certificateGithubWorkflowTrigger;
  if (flags.certificateGithubWorkflowSha !== undefined) github.sha = flags.certificateGithubWorkflowSha;
  if (flags.certificateGithubWorkflowName !== undefined) github.name = flags.certificateGithubWorkflowName;
  if (flags.certificateGithubWorkflowRepository !== undefined)
    github.repository = flags.certificateGithubWorkflowRepository;
  if (flags.certificateGithubWorkflowRef !== undefined) github.ref = flags.certificateGithubWorkflowRef;
  const policy: KeylessPolicy = { identities: [identity] };
  if (Object.keys(github).length > 0) policy.github = github;
  if (flags.insecureIgnoreSct) policy.insecureIgnoreSct = true;
  if (flags.insecureIgnoreTlog) policy.insecureIgnoreTlog = true;
  if (flags.useSignedTimestamps) policy.useSignedTimestamps = true;
  compileKeylessPolicy(policy);
  return policy;
}
