/**
 * `vouch verify --policy PATH... [--no-match-policy allow|warn|deny] IMAGE...`: each image checked by
 * the policy engine, with the output lines and exit codes of key verification.
 */
import { formatIssue, type LocatedMessage, loadPolicies, PolicyError } from '../../policy/index.js';
import type { NoMatchPolicy, PolicySet } from '../../policy/model.js';
import type { AuthorityOutcome, Verdict } from '../../policy/verdict.js';
import { formatReference } from '../../reference/index.js';
import { Deadline } from '../../util/deadline.js';
import { mapConcurrent } from '../../util/semaphore.js';
import type { CacheFlags } from '../cache-options.js';
import { createImageChecker } from '../checker.js';
import { ExitCode } from '../errors.js';
import { type GlobalOptions, parseImages, timeoutMs } from '../global-options.js';
import { type OutputFormat, printJson, printLines } from '../output.js';
import { caCertificates } from './policy.js';

export interface VerifyPolicyOptions extends GlobalOptions, CacheFlags {
  policy: string[];
  noMatchPolicy?: NoMatchPolicy;
  output: OutputFormat;
}

/** Images checked at once (the registry client also limits requests per registry). */
const IMAGE_CONCURRENCY = 16;

export async function runVerifyPolicy(images: string[], options: VerifyPolicyOptions): Promise<ExitCode> {
  const refs = parseImages(images);
  const loaded = await loadPolicySet(options.policy, options, {
    ...(options.noMatchPolicy !== undefined && { noMatchPolicy: options.noMatchPolicy }),
  });
  if (!loaded.ok) return loaded.exitCode;
  const { checker, close } = await createImageChecker({
    policySet: loaded.policySet,
    global: options,
    cache: {
      ...(options.cache !== undefined && { cache: options.cache }),
      ...(options.cacheHmacKeyFile !== undefined && { cacheHmacKeyFile: options.cacheHmacKeyFile }),
    },
  });
  try {
    const budget = timeoutMs(options);
    const verdicts = await mapConcurrent(images, IMAGE_CONCURRENCY, (image) =>
      checker.check({ image }, { deadline: Deadline.after(budget) }),
    );
    await report(
      verdicts,
      refs.map((ref) => formatReference(ref)),
      options.output,
    );
    return verdicts.every((verdict) => verdict.allowed) ? ExitCode.OK : ExitCode.NOT_VERIFIED;
  } finally {
    await close();
  }
}

/**
 * Loads policies for a command that verifies: warnings on stderr; invalid policies print their located
 * errors (as `vouch policy lint` does) and give exit code 2.
 */
export async function loadPolicySet(
  paths: readonly string[],
  options: GlobalOptions & { output: OutputFormat },
  load: { noMatchPolicy?: NoMatchPolicy; secretsDirectory?: string } = {},
): Promise<{ ok: true; policySet: PolicySet } | { ok: false; exitCode: ExitCode }> {
  let warnings: readonly LocatedMessage[];
  try {
    const ca = await caCertificates(options);
    const fetch = { timeoutMs: timeoutMs(options), ...(ca !== undefined && { caCertificates: ca }) };
    const loaded = await loadPolicies(paths, { ...load, fetch });
    warnings = loaded.warnings;
    await printLines(
      warnings.map((warning) => `vouch: warning: ${formatIssue(warning)}`),
      process.stderr,
    );
    return { ok: true, policySet: loaded.policySet };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    await printLines(
      [
        ...error.warnings.map((warning) => `vouch: warning: ${formatIssue(warning)}`),
        ...error.issues.map((issue) => `vouch: ${formatIssue(issue)}`),
      ],
      process.stderr,
    );
    return { ok: false, exitCode: ExitCode.USAGE };
  }
}

/** Authorities that verified something (not static, not failed). */
function verifiedAuthorities(verdict: Verdict): AuthorityOutcome[] {
  return verdict.policies
    .filter((policy) => policy.passed)
    .flatMap((policy) => policy.authorities)
    .filter((authority) => authority.passed && authority.type !== 'static');
}

/**
 * `✔ <repo:tag@sha256:…> verified (policies a, b)` when signatures were verified by digest; otherwise
 * `allowed`, saying why: static pass, warn-mode failures, or no matching policies.
 */
export function successLine(verdict: Verdict, canonical: string): string {
  const reference = verdict.verifiedReference ?? canonical;
  if (verdict.policies.length === 0) return `✔ ${reference} allowed (no matching policies)`;
  const passed = verdict.policies.filter((policy) => policy.passed).map((policy) => policy.name);
  const warned = verdict.policies.filter((policy) => !policy.passed).map((policy) => policy.name);
  const verified = verdict.digest !== undefined && verifiedAuthorities(verdict).length > 0;
  const parts: string[] = [];
  if (passed.length)
    parts.push(
      `${passed.length === 1 ? 'policy' : 'policies'} ${passed.join(', ')}${verified ? '' : ': static pass'}`,
    );
  if (warned.length)
    parts.push(`${warned.length === 1 ? 'policy' : 'policies'} ${warned.join(', ')} failed in warn mode`);
  return `✔ ${reference} ${verified ? 'verified' : 'allowed'} (${parts.join('; ')})`;
}

export function failureLine(verdict: Verdict): string {
  return `✘ ${verdict.image}: ${verdict.errors.join('; ') || `not verified (${verdict.failure ?? 'no reason'})`}`;
}

/**
 * Text: one ✔ or ✘ line per image on stdout; warnings (and the note that a key alone vouched) on
 * stderr. JSON (stdout): the key-verification keys (`image`, `digest`, `verified`, `signatures`, `tlog`)
 * plus `allowed`, `errors`, `warnings` and `policies` (the whole verdict); ✘ lines also on stderr.
 */
async function report(
  verdicts: readonly Verdict[],
  canonical: readonly string[],
  output: OutputFormat,
): Promise<void> {
  const failures = verdicts.filter((verdict) => !verdict.allowed).map(failureLine);
  const warnings = verdicts.flatMap((verdict) =>
    verdict.warnings.map((warning) => `vouch: warning: ${verdict.image}: ${warning}`),
  );
  const keyAlone = verdicts.some((verdict) =>
    verifiedAuthorities(verdict).some(
      (authority) => authority.type === 'key' && authority.tlog?.status !== 'verified',
    ),
  );
  const notes = keyAlone
    ? [
        'vouch: no transparency log was checked for a key authority without ctlog (the key alone vouches); add ctlog to the policy to require a Rekor entry',
      ]
    : [];
  if (output === 'json') {
    await printJson(
      verdicts.map((verdict) => {
        const authorities = verifiedAuthorities(verdict);
        return {
          image: verdict.image,
          digest: verdict.digest ?? null,
          verified: verdict.allowed,
          signatures: authorities.flatMap((authority) =>
            authority.signatures.map((s) => ({ verified: s.verified, reason: s.reason, format: s.format })),
          ),
          tlog: authorities[0]?.tlog ?? null,
          allowed: verdict.allowed,
          errors: verdict.errors,
          warnings: verdict.warnings,
          policies: verdict.policies,
          ...(verdict.failure !== undefined && { failure: verdict.failure }),
        };
      }),
    );
    await printLines([...warnings, ...failures], process.stderr);
    return;
  }
  await printLines(
    verdicts.map((verdict, index) =>
      verdict.allowed ? successLine(verdict, canonical[index] as string) : failureLine(verdict),
    ),
  );
  await printLines([...warnings, ...notes], process.stderr);
}
