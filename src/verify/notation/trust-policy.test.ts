import { describe, expect, it } from 'vitest';
import { CLI, fixture } from '../../../test/notation/helpers.js';
import { VerifyError } from '../errors.js';
import { LEVEL_ACTIONS } from './levels.js';
import { selectStatement } from './scope.js';
import { parseTrustPolicyDocument, type TrustPolicyDocument } from './trust-policy.js';

const policies = `${CLI}config/trustpolicies/`;
const e2ePolicy = (name: string) => parseTrustPolicyDocument(fixture(`${policies}${name}`), name);

function rejects(input: string | Uint8Array, message: RegExp, source = 'trustpolicy.oci.json') {
  let error: unknown;
  try {
    parseTrustPolicyDocument(input, source);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(VerifyError);
  expect((error as VerifyError).code).toBe('NOTATION_TRUST_POLICY_INVALID');
  expect((error as VerifyError).message.startsWith(`${source}: `)).toBe(true);
  expect((error as VerifyError).message).toMatch(message);
}

const statement = (overrides: Record<string, unknown> = {}) => ({
  name: 'acme',
  registryScopes: ['registry.example.com/acme/app'],
  signatureVerification: { level: 'strict' },
  trustStores: ['ca:acme-root'],
  trustedIdentities: ['x509.subject: C=US, ST=WA, O=acme, CN=release'],
  ...overrides,
});
const documentOf = (...statements: unknown[]) =>
  JSON.stringify({ version: '1.0', trustPolicies: statements });

describe("trust policy documents: notation's own e2e policies", () => {
  it('reads the valid ones', () => {
    for (const name of [
      'trustpolicy.json',
      'any_registry_scope_trust_policy.json',
      'audit_trustpolicy.json',
      'permissive_trustpolicy.json',
      'registry_scope_trustpolicy.json',
      'multiple_registry_scope_trustpolicy.json',
      'multiple_trust_store_trustpolicy.json',
      'multiple_trusted_identity_trustpolicy.json',
      'overlapped_trust_store_trustpolicy.json',
      'valid_trusted_identity_trustpolicy.json',
      'invalid_trusted_identity_trustpolicy.json',
      'invalid_trust_store_trustpolicy.json',
      'invalid_registry_scope_trustpolicy.json',
      'multi_statements_with_wildcard_registry_scope_trustpolicy.json',
      'override_strict_trustpolicy.json',
      'override_permissive_trustpolicy.json',
      'override_audit_trustpolicy.json',
      'timestamp_trustpolicy.json',
      'timestamp_after_cert_expiry_trustpolicy.json',
      'quickstart_trustpolicy.json',
    ])
      expect(() => e2ePolicy(name), name).not.toThrow();
    const strict = e2ePolicy('trustpolicy.json').statements[0]!;
    expect(strict).toMatchObject({
      name: 'e2e',
      registryScopes: ['*'],
      level: 'strict',
      verifyTimestamp: 'always',
      trustStores: [{ type: 'ca', name: 'e2e' }],
      trustedIdentities: [{ kind: 'any' }],
      actions: LEVEL_ACTIONS.strict,
    });
    expect(e2ePolicy('overlapped_trust_store_trustpolicy.json').statements[0]!.trustStores).toEqual([
      { type: 'ca', name: 'e2e' },
    ]);
    expect(e2ePolicy('timestamp_after_cert_expiry_trustpolicy.json').statements[0]).toMatchObject({
      verifyTimestamp: 'afterCertExpiry',
      trustStores: [
        { type: 'ca', name: 'e2e' },
        { type: 'tsa', name: 'e2e' },
      ],
    });
  });

  it("applies overrides to the level's actions", () => {
    expect(e2ePolicy('override_strict_trustpolicy.json').statements[0]!.actions).toEqual({
      integrity: 'enforce',
      authenticity: 'log',
      authenticTimestamp: 'log',
      expiry: 'log',
      revocation: 'log',
    });
    expect(e2ePolicy('override_audit_trustpolicy.json').statements[0]!.actions).toEqual(LEVEL_ACTIONS.strict);
    expect(e2ePolicy('override_permissive_trustpolicy.json').statements[0]!.actions).toEqual({
      ...LEVEL_ACTIONS.strict,
      authenticity: 'log',
    });
    expect(e2ePolicy('audit_trustpolicy.json').statements[0]!.actions).toEqual({
      integrity: 'enforce',
      authenticity: 'log',
      authenticTimestamp: 'log',
      expiry: 'log',
      revocation: 'log',
    });
    expect(e2ePolicy('permissive_trustpolicy.json').statements[0]!.actions).toMatchObject({
      authenticity: 'enforce',
      authenticTimestamp: 'log',
      expiry: 'log',
      revocation: 'log',
    });
  });

  it('refuses the malformed ones with the file and the reason notation gives', () => {
    const cases: [string, RegExp][] = [
      ['invalid_format_trustpolicy.json', /not valid JSON/],
      ['empty_registry_scope_trustpolicy.json', /statement "e2e": registryScopes is missing or empty/],
      [
        'malformed_registry_scope_trustpolicy.json',
        /registry scope "localhost:5000\\\\test-repo" is not valid/,
      ],
      ['wildcard_plus_other_registry_scope_trustpolicy.json', /global scope "\*", which cannot be combined/],
      [
        'overlapped_registry_scope_trustpolicy.json',
        /lists registry scope "localhost:5000\/test-repo6" twice/,
      ],
      [
        'multi_statements_with_the_same_registry_scope_trustpolicy.json',
        /"localhost:5000\/test-repo8" is in statements "e2e" and "e2e2"/,
      ],
      ['multi_statements_with_multi_wildcard_registry_scope_trustpolicy.json', /both use the global scope/],
      [
        'multi_statements_with_the_same_name_trustpolicy.json',
        /more than one trust policy statement is named "e2e"/,
      ],
      [
        'unset_trust_store_trustpolicy.json',
        /statement "e2e": level strict needs both trustStores and trustedIdentities/,
      ],
      ['unset_trusted_identity_trustpolicy.json', /needs both trustStores and trustedIdentities/],
      ['malformed_trust_store_trustpolicy.json', /trust store "ca:" has name ""/],
      ['wildcard_trust_store_trustpolicy.json', /trust store "\*" is not of the form <type>:<name>/],
      [
        'malformed_trusted_identity_trustpolicy.json',
        /identity "x509.subject CN=e2e,O=Notary,L=Seattle,ST=WA,C=US" has no "x509.subject:" prefix/,
      ],
      ['empty_trusted_identity_trustpolicy.json', /empty identity/],
      ['overlapped_trusted_identity_trustpolicy.json', /overlap/],
      ['wildcard_plus_other_trusted_identity_trustpolicy.json', /wildcard "\*", which cannot be combined/],
      [
        'missing_organization_trusted_identity_trustpolicy.json',
        /has no O; C, ST \(or S\) and O are required/,
      ],
      ['missing_state_trusted_identity_trustpolicy.json', /has no ST/],
      ['missing_country_trusted_identity_trustpolicy.json', /has no C/],
      ['override_integrity_for_permissive_trustpolicy.json', /cannot change integrity/],
      ['blob_trust_policy.json', /registryScopes is missing or empty/],
      // notation accepts this one; the specification says skip "cannot be used with a global scope", and
      // vouch follows the specification: a global skip would let every unsigned image through.
      ['skip_trustpolicy.json', /statement "e2e": level skip cannot be used with the global scope "\*"/],
    ];
    for (const [name, message] of cases) rejects(fixture(`${policies}${name}`), message, name);
  });
});

describe('trust policy documents: every rule', () => {
  it('version, statements, names', () => {
    rejects('[]', /not a JSON object/);
    rejects(JSON.stringify({ trustPolicies: [statement()] }), /no version/);
    rejects(
      JSON.stringify({ version: '2.0', trustPolicies: [statement()] }),
      /version "2.0"; the supported version is "1.0"/,
    );
    rejects(JSON.stringify({ version: 1, trustPolicies: [statement()] }), /version 1;/);
    rejects(JSON.stringify({ version: '1.0', trustPolicies: [] }), /no trust policy statements/);
    rejects(JSON.stringify({ version: '1.0' }), /no trust policy statements/);
    rejects(documentOf(statement({ name: '' })), /statement 1 has no name/);
    rejects(documentOf(statement(), 'x'), /statement 2 is not an object/);
    rejects(
      JSON.stringify({ version: '1.0', trustPolicies: [statement()], extra: 1 }),
      /unknown field "extra"/,
    );
    rejects(
      documentOf({ ...statement(), trustedIdentity: ['*'] }),
      /statement "acme": has an unknown field "trustedIdentity"|unknown field "trustedIdentity"/,
    );
    rejects(documentOf({ ...statement(), Name: 'x' }), /conflicting fields "name" and "Name"/);
    // Field names match ignoring case, as notation's decoder matches them.
    expect(
      parseTrustPolicyDocument(JSON.stringify({ Version: '1.0', TrustPolicies: [statement()] }), 'p')
        .statements,
    ).toHaveLength(1);
  });

  it('registry scopes', () => {
    for (const scope of [
      'registry.example.com',
      'https://r.io/a',
      'r.io/a:latest',
      'r.io/a@sha256:abc',
      'r.io/A',
      'r.io/*',
      'r.io/a*b',
      '/a',
      'r.io:x/a',
    ])
      rejects(documentOf(statement({ registryScopes: [scope] })), /registry scope .* is not valid/);
    for (const scope of [
      'r.io/a',
      'localhost:5000/team/app',
      'local/myOCILayout'.toLowerCase(),
      'r.io/a__b/c-d.e',
    ])
      expect(
        () => parseTrustPolicyDocument(documentOf(statement({ registryScopes: [scope] })), 'p'),
        scope,
      ).not.toThrow();
    // docker.io and index.docker.io name one registry: one repository in two statements is ambiguous.
    rejects(
      documentOf(
        statement({ registryScopes: ['docker.io/library/alpine'] }),
        statement({ name: 'b', registryScopes: ['index.docker.io/library/alpine'] }),
      ),
      /is in statements "acme" and "b"/,
    );
    rejects(
      documentOf(
        statement({
          registryScopes: ['*'],
          signatureVerification: { level: 'skip' },
          trustStores: [],
          trustedIdentities: [],
        }),
      ),
      /skip cannot be used with the global scope/,
    );
  });

  it('signature verification: levels, overrides, verifyTimestamp', () => {
    const verification = (signatureVerification: unknown) => documentOf(statement({ signatureVerification }));
    rejects(documentOf(statement({ signatureVerification: undefined })), /signatureVerification is missing/);
    rejects(verification({}), /no level/);
    rejects(
      verification({ level: 'lenient' }),
      /level "lenient" is not one of strict, permissive, audit, skip/,
    );
    rejects(verification({ level: 'strict', override: { integrity: 'log' } }), /cannot change integrity/);
    rejects(
      verification({ level: 'strict', override: { expiry: 'skip' } }),
      /cannot skip expiry; only revocation may be skipped/,
    );
    rejects(
      verification({ level: 'strict', override: { authenticity: 'ignore' } }),
      /authenticity to "ignore"/,
    );
    rejects(verification({ level: 'strict', override: { signature: 'log' } }), /override names "signature"/);
    rejects(verification({ level: 'strict', override: [] }), /override is not an object/);
    rejects(verification({ level: 'strict', verifyTimestamp: 'never' }), /verifyTimestamp "never"/);
    rejects(
      verification({ level: 'strict', verifyTimeStamp: 'afterCertExpiry', VerifyTimestamp: 'always' }),
      /conflicting fields/,
    );
    rejects(verification({ level: 'strict', timestamp: 'always' }), /unknown field "timestamp"/);
    rejects(
      documentOf(
        statement({
          signatureVerification: { level: 'skip', override: { revocation: 'skip' } },
          trustStores: [],
          trustedIdentities: [],
        }),
      ),
      /skip cannot be combined with an override/,
    );
    rejects(
      documentOf(statement({ signatureVerification: { level: 'skip' } })),
      /level skip verifies nothing, so it cannot have trustStores/,
    );
    const revocationSkipped = parseTrustPolicyDocument(
      verification({ level: 'permissive', override: { revocation: 'skip' } }),
      'p',
    );
    expect(revocationSkipped.statements[0]!.actions.revocation).toBe('skip');
  });

  it('trust stores and trusted identities', () => {
    rejects(
      documentOf(statement({ trustStores: ['x509:acme'] })),
      /type "x509"; expected ca, signingAuthority or tsa/,
    );
    rejects(documentOf(statement({ trustStores: ['ca:../etc'] })), /has name "..\/etc"/);
    rejects(documentOf(statement({ trustStores: 'ca:acme' })), /trustStores is not a list of strings/);
    rejects(
      documentOf(statement({ trustedIdentities: ['x509.san: acme.example'] })),
      /prefix "x509.san"; only x509.subject/,
    );
    rejects(documentOf(statement({ trustedIdentities: ['x509.subject:'] })), /has no distinguished name/);
    rejects(
      documentOf(
        statement({
          trustedIdentities: ['x509.subject: C=US, ST=WA, O=a', 'x509.subject: C=US, ST=WA, O=a'],
        }),
      ),
      /overlap/,
    );
    const two = parseTrustPolicyDocument(
      documentOf(
        statement({
          trustedIdentities: ['x509.subject: C=US, ST=WA, O=a', 'x509.subject: C=US, ST=OR, O=a'],
        }),
      ),
      'p',
    );
    expect(two.statements[0]!.trustedIdentities).toHaveLength(2);
  });

  it('bounds what a document may hold', () => {
    rejects(Buffer.alloc(1024 * 1024 + 1, 0x20), /limit is 1048576/);
    rejects(
      documentOf(
        statement({
          trustedIdentities: Array.from({ length: 257 }, (_, i) => `x509.subject: C=US, ST=WA, O=o${i}`),
        }),
      ),
      /257 entries; the limit is 256/,
    );
    const many = Array.from({ length: 1001 }, (_, i) =>
      statement({ name: `s${i}`, registryScopes: [`r.io/a${i}`] }),
    );
    rejects(documentOf(...many), /1001 statements; the limit is 1000/);
  });
});

describe('statement selection', () => {
  const document: TrustPolicyDocument = parseTrustPolicyDocument(
    documentOf(
      statement({
        name: 'app',
        registryScopes: ['registry.example.com/acme/app', 'docker.io/library/alpine'],
      }),
      statement({ name: 'global', registryScopes: ['*'] }),
      statement({
        name: 'unsigned',
        registryScopes: ['registry.example.com/acme/unsigned'],
        signatureVerification: { level: 'skip' },
        trustStores: [],
        trustedIdentities: [],
      }),
    ),
    'p',
  );

  it('prefers the statement naming the repository, then the global one', () => {
    expect(
      selectStatement(document.statements, { registry: 'registry.example.com', repository: 'acme/app' })
        ?.name,
    ).toBe('app');
    expect(
      selectStatement(document.statements, { registry: 'index.docker.io', repository: 'library/alpine' })
        ?.name,
    ).toBe('app');
    expect(
      selectStatement(document.statements, { registry: 'REGISTRY.example.com', repository: 'acme/app' })
        ?.name,
    ).toBe('app');
    expect(
      selectStatement(document.statements, { registry: 'registry.example.com', repository: 'acme/unsigned' })
        ?.name,
    ).toBe('unsigned');
    expect(
      selectStatement(document.statements, { registry: 'registry.example.com', repository: 'acme/app/sub' })
        ?.name,
    ).toBe('global');
  });

  it('finds none when no scope names the image and there is no global scope', () => {
    const scoped = parseTrustPolicyDocument(documentOf(statement()), 'p');
    expect(
      selectStatement(scoped.statements, { registry: 'registry.example.com', repository: 'acme/other' }),
    ).toBeUndefined();
  });
});
