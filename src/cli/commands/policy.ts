import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
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
import type { PolicyOutcome, ResourceContext, Verdict } from '../../policy/verdict.js';
import { formatReference, parseReference } from '../../reference/index.js';
import { CliError, ExitCode } from '../errors.js';
import { type GlobalOptions, timeoutMs } from '../global-options.js';
import { type OutputFormat, printJson, printLines } from '../output.js';
import { caCertificates, loadPolicySet } from '../policy-files.js';
import { failureLine, successLine } from '../verdict-report.js';

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

export interface PolicyTestOptions extends GlobalOptions {
  policy: string[];
  image: string;
  resource?: string;
  trustroot?: string;
  secrets?: string;
  output: OutputFormat;
}

/** The Kubernetes object an image comes from, read from `--resource`. */
async function readResource(path: string): Promise<ResourceContext> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError('INPUT', `cannot read --resource ${path}: ${describeError(error)}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new CliError('INPUT', `--resource ${path} is not valid YAML or JSON: ${describeError(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CliError('INPUT', `--resource ${path} must hold one Kubernetes object`);
  const object = value as Record<string, unknown>;
  const field = (field: string) =>
    typeof object[field] === 'string' ? (object[field] as string) : undefined;
  const kind = field('kind');
  if (kind === undefined) throw new CliError('INPUT', `--resource ${path}: the object has no kind`);
  const apiVersion = field('apiVersion');
  const metadata = object.metadata;
  return {
    kind,
    ...(apiVersion !== undefined && { apiVersion }),
    ...(typeof metadata === 'object' &&
      metadata !== null && { metadata: metadata as Record<string, unknown> }),
    ...(object.spec !== undefined && { spec: object.spec }),
  };
}

function describeOutcome(policy: PolicyOutcome): string[] {
  // A failed policy's message is its authorities' reasons, which follow on their own lines.
  const status = policy.passed
    ? 'passed'
    : policy.authorities.length
      ? 'failed'
      : (policy.message ?? 'failed');
  const lines = [`  policy ${policy.name} (${policy.mode}): ${status}`];
  for (const authority of policy.authorities) {
    const tlog =
      authority.passed && authority.tlog && authority.tlog.status !== 'verified'
        ? ` [${authority.tlog.detail ?? `transparency log ${authority.tlog.status}`}]`
        : '';
    lines.push(
      `    authority ${authority.name} (${authority.type}): ${authority.passed ? 'passed' : 'failed'}: ${authority.reason}${tlog}`,
    );
  }
  return lines;
}

/**
 * `vouch policy test`: policy-controller's policy-tester workflow. Text: the verdict line, then each
 * policy and authority with its reason; warnings on stderr. JSON: `{"errors":[…],"warnings":[…]}`.
 * Exit 1 when there are errors, 2 for invalid policies or input.
 */
export async function runPolicyTest(options: PolicyTestOptions): Promise<ExitCode> {
  const resource = options.resource !== undefined ? await readResource(options.resource) : undefined;
  const paths = [...options.policy, ...(options.trustroot !== undefined ? [options.trustroot] : [])];
  const loaded = await loadPolicySet(paths, options, {
    ...(options.secrets !== undefined && { secretsDirectory: options.secrets }),
  });
  if (!loaded.ok) return loaded.exitCode;
  const { createImageChecker } = await import('../checker.js');
  const { checker, close } = await createImageChecker({ policySet: loaded.policySet, global: options });
  let verdict: Verdict;
  try {
    verdict = await checker.check({ image: options.image, ...(resource !== undefined && { resource }) });
  } finally {
    await close();
  }
  if (options.output === 'json') {
    await printJson({ errors: verdict.errors, warnings: verdict.warnings });
  } else {
    let canonical = options.image;
    try {
      canonical = formatReference(parseReference(options.image));
    } catch {
      // the verdict says why the image is invalid
    }
    await printLines([
      verdict.allowed ? successLine(verdict, canonical) : failureLine(verdict),
      ...verdict.policies.flatMap(describeOutcome),
    ]);
    await printLines(
      verdict.warnings.map((warning) => `vouch: warning: ${warning}`),
      process.stderr,
    );
  }
  return verdict.errors.length > 0 ? ExitCode.NOT_VERIFIED : ExitCode.OK;
}
