/**
 * How verdicts are printed by the commands that check images one by one (`vouch verify`, `vouch policy
 * test`): a ✔ or ✘ line per image on stdout, warnings and notes on stderr, or JSON.
 */
import type { AuthorityOutcome, Verdict } from '../policy/verdict.js';
import { type OutputFormat, printJson, printLines } from './output.js';

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
export async function reportVerdicts(
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
