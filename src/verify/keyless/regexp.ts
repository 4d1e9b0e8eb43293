import { RE2JS, RE2JSException } from 're2js';
import { VerifyError } from '../errors.js';

/** A compiled identity regular expression with cosign's semantics. */
export interface IdentityRegExp {
  readonly source: string;
  /** True when the expression matches anywhere in `value` (unanchored, like Go's `MatchString`). */
  test(value: string): boolean;
}

/**
 * Compiles `pattern` as RE2 — the syntax cosign and policy-controller use (Go's `regexp`). Constructs
 * RE2 rejects (look-around, back-references, possessive quantifiers, repeat counts above 1000…) are
 * rejected here too, so a policy cannot mean one thing to vouch and another to cosign. Matching is
 * unanchored: `foo` matches `xfooy`; write `^…$` to match a whole value.
 */
export function compileIdentityRegExp(pattern: string, field: string): IdentityRegExp {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (cause) {
    const detail = cause instanceof RE2JSException ? cause.message : String(cause);
    throw new VerifyError(
      'POLICY_INVALID',
      `${field} ${JSON.stringify(pattern)} is not a valid RE2 regular expression: ${detail}`,
      {
        cause,
      },
    );
  }
  return {
    source: pattern,
    test: (value: string) => compiled.matcher(value).find(),
  };
}
