import { VerifyError } from '../errors.js';
import type { CertificateIdentity } from './certificate.js';
import { compileIdentityRegExp, type IdentityRegExp } from './regexp.js';

/**
 * One expected signer, in policy-controller's shape (`keyless.identities[]`): exactly one of
 * `subject` / `subjectRegExp` and exactly one of `issuer` / `issuerRegExp`. cosign's
 * `--certificate-identity[-regexp]` and `--certificate-oidc-issuer[-regexp]` make one of these.
 */
export interface IdentityPolicy {
  subject?: string;
  subjectRegExp?: string;
  issuer?: string;
  issuerRegExp?: string;
}

/** cosign's `--certificate-github-workflow-*` flags: exact values the certificate must carry. */
export interface GithubWorkflowPolicy {
  trigger?: string;
  sha?: string;
  name?: string;
  repository?: string;
  ref?: string;
}

type ValueMatcher = { kind: 'exact'; value: string } | { kind: 'regexp'; regexp: IdentityRegExp };

export interface CompiledIdentity {
  subject: ValueMatcher;
  issuer: ValueMatcher;
}

export function compileIdentity(identity: IdentityPolicy, where = 'identity'): CompiledIdentity {
  return {
    subject: compilePair(
      identity.subject,
      identity.subjectRegExp,
      `${where} subject`,
      'subject',
      'subjectRegExp',
    ),
    issuer: compilePair(identity.issuer, identity.issuerRegExp, `${where} issuer`, 'issuer', 'issuerRegExp'),
  };
}

function compilePair(
  exact: string | undefined,
  pattern: string | undefined,
  what: string,
  exactName: string,
  patternName: string,
): ValueMatcher {
  if (exact !== undefined && pattern !== undefined)
    throw new VerifyError('POLICY_INVALID', `${what}: give ${exactName} or ${patternName}, not both`);
  if (pattern !== undefined)
    return { kind: 'regexp', regexp: compileIdentityRegExp(pattern, `${what} ${patternName}`) };
  if (exact !== undefined && exact !== '') return { kind: 'exact', value: exact };
  throw new VerifyError('POLICY_INVALID', `${what}: one of ${exactName} or ${patternName} is required`);
}

function matches(matcher: ValueMatcher, value: string): boolean {
  return matcher.kind === 'exact' ? matcher.value === value : matcher.regexp.test(value);
}

export function describeMatcher(matcher: ValueMatcher): string {
  return matcher.kind === 'exact'
    ? JSON.stringify(matcher.value)
    : `regexp ${JSON.stringify(matcher.regexp.source)}`;
}

export type IdentityMismatch = {
  ok: false;
  code: 'IDENTITY_MISMATCH' | 'ISSUER_MISMATCH' | 'EXTENSION_MISMATCH';
  reason: string;
};
export type IdentityMatch = { ok: true; identity: CompiledIdentity } | IdentityMismatch;

/**
 * cosign's rule: the certificate passes if any expected identity matches, where an identity matches
 * when its issuer matches the certificate's OIDC issuer and its subject matches any one SAN. When none
 * does, the reason says which part failed and what the certificate holds.
 */
export function matchIdentities(
  certificate: CertificateIdentity,
  identities: readonly CompiledIdentity[],
  github?: GithubWorkflowPolicy,
): IdentityMatch {
  // A certificate without an issuer extension has the empty issuer, as in cosign: only a regexp that
  // matches the empty string (such as `.*`) accepts it.
  const issuerMatches = identities.filter((identity) => matches(identity.issuer, certificate.issuer ?? ''));
  const matched = issuerMatches.find((identity) =>
    certificate.subjects.some((subject) => matches(identity.subject, subject)),
  );
  const seen = `certificate has subjects [${certificate.subjects.map((subject) => JSON.stringify(subject)).join(', ')}] and issuer ${certificate.issuer === undefined ? '(none)' : JSON.stringify(certificate.issuer)}`;
  if (matched === undefined) {
    if (issuerMatches.length === 0) {
      const expected = identities.map((identity) => describeMatcher(identity.issuer)).join(' or ');
      return {
        ok: false,
        code: 'ISSUER_MISMATCH',
        reason: `OIDC issuer does not match ${expected}: ${seen}`,
      };
    }
    const expected = issuerMatches.map((identity) => describeMatcher(identity.subject)).join(' or ');
    return {
      ok: false,
      code: 'IDENTITY_MISMATCH',
      reason: `certificate identity does not match ${expected}: ${seen}`,
    };
  }
  if (github) {
    const checks: [keyof GithubWorkflowPolicy, keyof CertificateIdentity, string][] = [
      ['trigger', 'githubWorkflowTrigger', 'trigger'],
      ['sha', 'githubWorkflowSha', 'SHA'],
      ['name', 'githubWorkflowName', 'name'],
      ['repository', 'githubWorkflowRepository', 'repository'],
      ['ref', 'githubWorkflowRef', 'ref'],
    ];
    for (const [policyKey, certificateKey, label] of checks) {
      const expected = github[policyKey];
      if (expected === undefined) continue;
      const actual = certificate[certificateKey] as string | undefined;
      if (actual !== expected)
        return {
          ok: false,
          code: 'EXTENSION_MISMATCH',
          reason: `certificate GitHub workflow ${label} is ${actual === undefined ? 'absent' : JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
        };
    }
  }
  return { ok: true, identity: matched };
}
