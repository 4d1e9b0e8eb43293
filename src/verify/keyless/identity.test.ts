import { describe, expect, it } from 'vitest';
import { VerifyError } from '../errors.js';
import type { CertificateIdentity } from './certificate.js';
import { compileIdentity, matchIdentities } from './identity.js';
import { keylessPolicyFromFlags } from './policy.js';
import { compileIdentityRegExp } from './regexp.js';

const certificate: CertificateIdentity = {
  subjects: ['https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.3'],
  issuer: 'https://token.actions.githubusercontent.com',
  githubWorkflowTrigger: 'push',
  extensions: {},
};

describe('identity regular expressions (RE2, unanchored, as cosign)', () => {
  it('match anywhere unless anchored', () => {
    const regexp = compileIdentityRegExp('acme/app', 'test');
    expect(regexp.test('https://github.com/acme/app/x')).toBe(true);
    expect(compileIdentityRegExp('^acme/app', 'test').test('https://github.com/acme/app/x')).toBe(false);
    expect(
      compileIdentityRegExp('^https://github\\.com/acme/.*$', 'test').test('https://github.com/acme/app/x'),
    ).toBe(true);
  });

  it('reject what Go RE2 rejects', () => {
    for (const pattern of ['(?=a)', '(?!a)', '(?<=a)b', '(a)\\1', 'a{1001}', 'a++', '\\C', '(']) {
      expect(() => compileIdentityRegExp(pattern, 'subjectRegExp')).toThrow(VerifyError);
    }
  });

  it('accept RE2 syntax that JavaScript lacks or spells differently', () => {
    expect(compileIdentityRegExp('(?P<org>acme)/app', 'test').test('acme/app')).toBe(true);
    expect(compileIdentityRegExp('(?i)ACME', 'test').test('acme')).toBe(true);
    expect(compileIdentityRegExp('[[:alpha:]]+/app', 'test').test('acme/app')).toBe(true);
  });
});

describe('matchIdentities', () => {
  const compiled = (subject: Parameters<typeof compileIdentity>[0]) => [compileIdentity(subject)];

  it('needs exactly one of each pair', () => {
    expect(() => compileIdentity({ subject: 'a' })).toThrow(/issuer or issuerRegExp is required/);
    expect(() => compileIdentity({ issuer: 'a' })).toThrow(/subject or subjectRegExp is required/);
    expect(() => compileIdentity({ subject: 'a', subjectRegExp: 'a', issuer: 'b' })).toThrow(/not both/);
  });

  it('says whether the issuer or the subject failed, and what the certificate holds', () => {
    const wrongIssuer = matchIdentities(
      certificate,
      compiled({ subjectRegExp: '.*', issuer: 'https://accounts.google.com' }),
    );
    expect(wrongIssuer).toMatchObject({ ok: false, code: 'ISSUER_MISMATCH' });
    const wrongSubject = matchIdentities(
      certificate,
      compiled({
        subject: 'https://github.com/acme/app',
        issuer: 'https://token.actions.githubusercontent.com',
      }),
    );
    expect(wrongSubject).toMatchObject({ ok: false, code: 'IDENTITY_MISMATCH' });
    expect(wrongSubject.ok || wrongSubject.reason).toContain('refs/tags/v1.2.3');
  });

  it('treats a missing issuer as empty, as cosign does', () => {
    const noIssuer = { ...certificate, issuer: undefined } as unknown as CertificateIdentity;
    expect(matchIdentities(noIssuer, compiled({ subjectRegExp: 'acme', issuerRegExp: '^$' })).ok).toBe(true);
    expect(matchIdentities(noIssuer, compiled({ subjectRegExp: 'acme', issuer: 'x' })).ok).toBe(false);
  });
});

describe('keylessPolicyFromFlags (cosign flag names and rules)', () => {
  it('requires one of each pair', () => {
    expect(() => keylessPolicyFromFlags({ certificateOidcIssuer: 'x' })).toThrow(
      '--certificate-identity or --certificate-identity-regexp is required',
    );
    expect(() => keylessPolicyFromFlags({ certificateIdentity: 'x' })).toThrow(
      '--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required',
    );
    expect(() =>
      keylessPolicyFromFlags({
        certificateIdentity: 'x',
        certificateIdentityRegexp: 'x',
        certificateOidcIssuer: 'y',
      }),
    ).toThrow('not both');
  });

  it('maps every flag', () => {
    expect(
      keylessPolicyFromFlags({
        certificateIdentityRegexp: 'acme',
        certificateOidcIssuer: 'https://token.actions.githubusercontent.com',
        certificateGithubWorkflowTrigger: 'push',
        certificateGithubWorkflowRef: 'refs/heads/main',
        insecureIgnoreSct: true,
        insecureIgnoreTlog: true,
        useSignedTimestamps: true,
      }),
    ).toEqual({
      identities: [{ subjectRegExp: 'acme', issuer: 'https://token.actions.githubusercontent.com' }],
      github: { trigger: 'push', ref: 'refs/heads/main' },
      insecureIgnoreSct: true,
      insecureIgnoreTlog: true,
      useSignedTimestamps: true,
    });
  });

  it('rejects an invalid RE2 expression at once', () => {
    expect(() =>
      keylessPolicyFromFlags({ certificateIdentityRegexp: '(?=x)', certificateOidcIssuer: 'y' }),
    ).toThrow(/not a valid RE2/);
  });
});
