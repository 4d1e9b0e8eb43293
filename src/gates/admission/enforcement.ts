/**
 * From a verdict to an admission decision, per namespace: `--audit`, `--enforce-namespaces` and
 * `--warn-namespaces` override the policies' own `mode` (as Kyverno's validationFailureActionOverrides
 * do), `--exclude-namespaces` skips checks. Failures that are not statements about signatures
 * (registry down, deadline passed, invalid input, engine errors) always deny: no setting admits on error.
 */
import type { FailureKind, Verdict } from '../../policy/verdict.js';

/** `policy`: each policy's own `mode`; `enforce`: every failure denies; `warn`: policy failures only warn. */
export type EnforcementMode = 'policy' | 'enforce' | 'warn';

export interface EnforcementConfig {
  /** `--audit`: every policy warns, except in `--enforce-namespaces`. */
  audit: boolean;
  enforceNamespaces: readonly string[];
  warnNamespaces: readonly string[];
  excludeNamespaces: readonly string[];
}

/** Failures that are a statement about the image and may therefore be turned into warnings. */
const WARNABLE: ReadonlySet<FailureKind> = new Set<FailureKind>([
  'signature',
  'static',
  'no-match',
  'policy',
]);

/** Compiles namespace names and globs (`*` any run of characters, `?` one) once. */
export class NamespaceRules {
  private readonly enforce: NamespaceMatcher;
  private readonly warn: NamespaceMatcher;
  private readonly exclude: NamespaceMatcher;

  constructor(private readonly config: EnforcementConfig) {
    this.enforce = new NamespaceMatcher(config.enforceNamespaces);
    this.warn = new NamespaceMatcher(config.warnNamespaces);
    this.exclude = new NamespaceMatcher(config.excludeNamespaces);
  }

  isExcluded(namespace: string | undefined): boolean {
    return namespace !== undefined && this.exclude.matches(namespace);
  }

  /** Enforce lists win over warn lists (fail closed), both over `--audit`, all over the policies' mode. */
  modeFor(namespace: string | undefined): EnforcementMode {
    if (namespace !== undefined) {
      if (this.enforce.matches(namespace)) return 'enforce';
      if (this.warn.matches(namespace)) return 'warn';
    }
    return this.config.audit ? 'warn' : 'policy';
  }
}

export class NamespaceMatcher {
  private readonly names = new Set<string>();
  private readonly patterns: RegExp[] = [];

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      if (/[*?]/.test(entry)) this.patterns.push(globToRegExp(entry));
      else this.names.add(entry);
    }
  }

  matches(namespace: string): boolean {
    return this.names.has(namespace) || this.patterns.some((pattern) => pattern.test(namespace));
  }
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/** Names and globs are DNS labels plus `*` and `?`; anything else is a typo worth refusing. */
export function checkNamespacePattern(entry: string): string | undefined {
  if (!/^[a-z0-9*?]([-a-z0-9*?]{0,62})$/.test(entry))
    return `${JSON.stringify(entry)} is not a namespace name or glob (lowercase letters, digits, "-", "*", "?")`;
  return undefined;
}

export interface ImageDecision {
  allowed: boolean;
  /** Messages that deny (never empty when `allowed` is false). */
  denials: string[];
  /** Messages returned to the user as admission warnings. */
  warnings: string[];
  /** A failure was admitted as a warning (policy `mode: warn`, `--audit`, `--warn-namespaces`, no-match warn). */
  warned: boolean;
  /**
   * Every matching policy passed and the verdict names a digest: only then may that digest be written
   * into an object (vouch never pins a digest it did not verify).
   */
  verified: boolean;
}

export function decide(verdict: Verdict, mode: EnforcementMode): ImageDecision {
  const verified =
    verdict.allowed &&
    verdict.errors.length === 0 &&
    verdict.policies.length > 0 &&
    verdict.policies.every((policy) => policy.passed) &&
    verdict.digest !== undefined;
  const denialsOf = (messages: readonly string[]) =>
    messages.length ? [...messages] : [`not allowed${verdict.failure ? ` (${verdict.failure})` : ''}`];

  if (mode === 'enforce') {
    const overruled = verdict.policies
      .filter((policy) => !policy.passed && policy.mode === 'warn')
      .map((policy) => policy.message ?? `failed policy: ${policy.name}`);
    const allowed = verdict.allowed && overruled.length === 0;
    const warnings = verdict.warnings.filter((warning) => !overruled.includes(warning));
    return {
      allowed,
      denials: allowed ? [] : denialsOf([...verdict.errors, ...overruled]),
      warnings,
      warned: allowed && warnings.length > 0,
      verified,
    };
  }

  if (!verdict.allowed) {
    if (mode === 'warn' && verdict.failure !== undefined && WARNABLE.has(verdict.failure)) {
      const warnings = [...denialsOf(verdict.errors), ...verdict.warnings];
      return { allowed: true, denials: [], warnings, warned: true, verified: false };
    }
    return {
      allowed: false,
      denials: denialsOf(verdict.errors),
      warnings: [...verdict.warnings],
      warned: false,
      verified: false,
    };
  }
  return {
    allowed: true,
    denials: [],
    warnings: [...verdict.warnings],
    warned: verdict.warnings.length > 0,
    verified,
  };
}
