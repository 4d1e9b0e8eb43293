import { readFile } from 'node:fs/promises';
import { describeError } from '../../errors.js';
import {
  type CompiledAuthority,
  type CompiledPolicy,
  type CompiledTrustRoot,
  formatIssue,
  formatLocation,
  type LocatedMessage,
  loadPolicies,
  PolicyError,
} from '../../policy/index.js';
import { CliError, ExitCode } from '../errors.js';
import { type GlobalOptions, timeoutMs } from '../global-options.js';
import { type OutputFormat, printJson, printLines } from '../output.js';

export interface PolicyLintOptions extends GlobalOptions {
  secrets?: string;
  output: OutputFormat;
}

function describeAuthority(authority: CompiledAuthority): string {
  if (authority.type === 'static')
    return `${authority.name} (static ${authority.action}${authority.message ? `: ${authority.message}` : ''})`;
  const attestations = authority.attestations.map((attestation) => attestation.name);
  return `${authority.name} (${authority.type}${attestations.length ? `, attestations ${attestations.join(', ')}` : ''})`;
}

/** One line per policy: name, mode, globs, authorities, and where it was read from. */
export function describePolicy(policy: CompiledPolicy): string {
  const parts = [
    policy.mode,
    `images ${policy.images.map((image) => image.glob).join(', ')}`,
    `authorities ${policy.authorities.map(describeAuthority).join(', ')}`,
  ];
  if (policy.match.length)
    parts.push(`only for ${policy.match.map((rule) => rule.resource || '(no resource)').join(', ')}`);
  if (policy.policy) parts.push('CEL policy');
  return `${policy.name}: ${parts.join('; ')}; from ${policy.origin}`;
}

function describeTrustRoot(root: CompiledTrustRoot): string {
  return `TrustRoot ${root.name}: ${root.spec.type}; from ${root.origin}`;
}

async function caCertificates(options: GlobalOptions): Promise<string | undefined> {
  if (!options.caFile) return undefined;
  try {
    return await readFile(options.caFile, 'utf8');
  } catch (error) {
    throw new CliError('CONFIG', `cannot read --ca-file ${options.caFile}: ${describeError(error)}`);
  }
}

/** `vouch policy lint PATH...`: validates policies without verifying anything; exit 2 with located errors. */
export async function runPolicyLint(paths: string[], options: PolicyLintOptions): Promise<ExitCode> {
  const ca = await caCertificates(options);
  const fetch = { timeoutMs: timeoutMs(options), ...(ca !== undefined && { caCertificates: ca }) };
  let warnings: readonly LocatedMessage[];
  try {
    const loaded = await loadPolicies(paths, {
      fetch,
      ...(options.secrets !== undefined && { secretsDirectory: options.secrets }),
    });
    warnings = loaded.warnings;
    const trustRoots = Object.values(loaded.policySet.trustRoots);
    if (options.output === 'json') {
      await printJson({
        valid: true,
        noMatchPolicy: loaded.policySet.noMatchPolicy,
        policies: loaded.policySet.policies.map((policy) => ({
          name: policy.name,
          mode: policy.mode,
          images: policy.images.map((image) => image.glob),
          authorities: policy.authorities.map((authority) => ({
            name: authority.name,
            type: authority.type,
          })),
          origin: policy.origin,
          fingerprint: policy.fingerprint,
        })),
        trustRoots: trustRoots.map((root) => ({
          name: root.name,
          type: root.spec.type,
          origin: root.origin,
        })),
        warnings: warnings.map(formatIssue),
        ignored: loaded.ignored.map((ignored) => `${formatLocation(ignored.location)}: ${ignored.reason}`),
        errors: [],
      });
      return ExitCode.OK;
    }
    await printLines([
      ...loaded.policySet.policies.map(describePolicy),
      ...trustRoots.map(describeTrustRoot),
      ...(loaded.policySet.policies.length === 0
        ? [`no policies: every image gets no-match-policy ${loaded.policySet.noMatchPolicy}`]
        : []),
    ]);
    await printLines(
      [
        ...warnings.map((warning) => `vouch: warning: ${formatIssue(warning)}`),
        ...loaded.ignored.map(
          (ignored) => `vouch: note: ignored ${formatLocation(ignored.location)}: ${ignored.reason}`,
        ),
      ],
      process.stderr,
    );
    return ExitCode.OK;
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    if (options.output === 'json') {
      await printJson({
        valid: false,
        warnings: error.warnings.map(formatIssue),
        errors: error.issues.map((issue) => ({ code: issue.code, message: formatIssue(issue) })),
      });
    } else {
      await printLines(
        [
          ...error.warnings.map((warning) => `vouch: warning: ${formatIssue(warning)}`),
          ...error.issues.map((issue) => `vouch: ${formatIssue(issue)}`),
        ],
        process.stderr,
      );
    }
    return ExitCode.USAGE;
  }
}
