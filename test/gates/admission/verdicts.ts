/**
 * Verdicts as plain data, the shapes the policy engine returns (its contract is src/policy/verdict.ts).
 * They exercise the gate's decisions, patches and reports; none of them comes from verifying anything.
 */
import type { FailureKind, PolicyOutcome, Verdict } from '../../../src/policy/verdict.js';

function policy(name: string, mode: 'enforce' | 'warn', passed: boolean, message?: string): PolicyOutcome {
  return {
    name,
    mode,
    passed,
    ...(message !== undefined && { message }),
    authorities: [
      {
        name: 'authority-0',
        type: 'key',
        passed,
        reason: passed ? 'signature verified with key' : 'no matching signatures',
        signatures: [],
      },
    ],
  };
}

/** Every matching policy passed for `digest`. */
export function verified(image: string, digest: string, policyName = 'release-signed'): Verdict {
  const repo = image.split('@')[0] as string;
  return {
    image,
    verifiedReference: `${repo}@${digest}`,
    digest,
    allowed: true,
    errors: [],
    warnings: [],
    policies: [policy(policyName, 'enforce', true)],
  };
}

/** Only a `static: pass` policy covers the image: allowed, no digest needed. */
export function staticPass(image: string): Verdict {
  return {
    image,
    allowed: true,
    errors: [],
    warnings: [],
    policies: [
      {
        name: 'allow-base-images',
        mode: 'enforce',
        passed: true,
        authorities: [
          { name: 'static', type: 'static', passed: true, reason: 'static pass', signatures: [] },
        ],
      },
    ],
  };
}

/** An enforced policy failed with `failure`. */
export function denied(image: string, failure: FailureKind = 'signature', digest?: string): Verdict {
  const message = `failed policy: release-signed: ${failure === 'registry' ? 'registry 127.0.0.1:5000 answered 503' : 'no matching signatures'}`;
  return {
    image,
    ...(digest !== undefined && { digest }),
    allowed: false,
    errors: [message],
    warnings: [],
    policies: [policy('release-signed', 'enforce', false, message)],
    failure,
  };
}

/** A `mode: warn` policy failed: allowed with a warning (the digest named was not verified). */
export function warnModeFailed(image: string, digest: string): Verdict {
  const message = 'failed policy: team-signed: no matching signatures';
  return {
    image,
    digest,
    allowed: true,
    errors: [],
    warnings: [message],
    policies: [policy('release-signed', 'enforce', true), policy('team-signed', 'warn', false, message)],
  };
}

/** No policy matches and no-match-policy is `deny` (or `warn` with `allowed`). */
export function noMatch(image: string, allowed = false): Verdict {
  return {
    image,
    allowed,
    errors: allowed ? [] : ['no matching policies'],
    warnings: allowed ? ['no matching policies'] : [],
    policies: [],
    ...(allowed ? {} : { failure: 'no-match' as const }),
  };
}
