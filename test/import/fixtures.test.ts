/**
 * The source tools' own published examples and test policies (test/fixtures/{kyverno,connaisseur,
 * ratify}, origins in each README): every one is imported, its output linted by vouch's loader, and its
 * report checked — generically for all, field by field for the ones that exercise a translation rule.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  readImportSource,
  renderDraft,
  type SourceDocument,
  type SourceTool,
} from '../../src/policy/import/index.js';
import {
  FIXTURES,
  hasNotation,
  type Imported,
  importFixture,
  lint,
  policies,
  reportLines,
  specOf,
  unreported,
} from './helpers.js';

function files(dir: string): string[] {
  return readdirSync(join(FIXTURES, dir))
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => `${dir}/${name}`);
}

const SETS: { tool: SourceTool; files: string[] }[] = [
  {
    tool: 'kyverno',
    files: [
      ...files('kyverno/verify-images'),
      ...files('kyverno/image-validating-policies'),
      ...files('kyverno/namespaced-image-validating-policies'),
      ...files('kyverno/flux'),
    ],
  },
  { tool: 'connaisseur', files: ['connaisseur/values.yaml', ...files('connaisseur/integration')] },
  {
    tool: 'ratify',
    files: [...files('ratify/samples'), ...files('ratify/bats'), ...files('ratify/library')],
  },
];

/** What each fixture's import must end with; every other fixture exits 1 (approximated, marked). */
const EXACT = new Set([
  'kyverno/verify-images/empty-image.yaml',
  'kyverno/verify-images/keyless-attestation-invalid-attestor.yaml',
  'kyverno/verify-images/keyless-attestation-regexp.yaml',
  'kyverno/verify-images/keyless-nomutatedigest-noverifydigest-required.yaml',
  'kyverno/verify-images/notary-image-verification.yaml',
  'kyverno/verify-images/rollback-image-verification.yaml',
  'kyverno/verify-images/sigstore-image-verification-test.yaml',
  'kyverno/verify-images/update-multi-containers.yaml',
  'ratify/samples/clustered-store-config_v1beta1_store_oras.yaml',
  'ratify/samples/clustered-store-config_v1beta1_store_oras_http.yaml',
  'ratify/samples/clustered-verifier-config_v1alpha1_store_oras_http.yaml',
  // Certificate stores and key providers alone: read, nothing to translate.
  'ratify/samples/clustered-kmp-config_v1beta1_keymanagementprovider_akv.yaml',
  'ratify/samples/clustered-kmp-config_v1beta1_keymanagementprovider_akv_refresh_enabled.yaml',
  'ratify/samples/clustered-kmp-config_v1beta1_keymanagementprovider_inline.yaml',
  'ratify/samples/config_v1beta1_certstore_akv.yaml',
  'ratify/samples/config_v1beta1_certstore_inline.yaml',
  'ratify/bats/config_v1beta1_certstore_inline_invalid.yaml',
]);
const REFUSED = new Set([
  // validationActions: [test] — the API server refuses it (Kyverno's own chainsaw test expects that).
  'kyverno/image-validating-policies/validation-checks-invalid-action.yaml',
  // Ratify's bats templates: the test fills the PEM in at run time; empty, Ratify refuses them.
  'ratify/bats/config_v1beta1_certstore_inline.yaml',
  'ratify/bats/config_v1beta1_keymanagementprovider_inline.yaml',
]);

describe('fixtures from the source tools: every one imports, lints and is reported', () => {
  for (const { tool, files: list } of SETS)
    for (const file of list)
      it(`${tool}: ${file}`, async () => {
        const imported = await importFixture(tool, file);
        const expected = REFUSED.has(file) ? 2 : EXACT.has(file) ? 0 : 1;
        expect(imported.exit, imported.report.join('\n')).toBe(expected);
        if (expected === 2) {
          expect(imported.result.refusals.length).toBeGreaterThan(0);
          return;
        }
        // Every source document is in the report; exit 0 means no entry changed or dropped anything.
        expect(imported.report.at(-1)).toMatch(new RegExp(`^import from ${tool}: `));
        const marks = imported.result.entries.filter(
          (entry) => entry.outcome === 'changed' || entry.outcome === 'dropped',
        );
        expect(marks.length > 0).toBe(expected === 1);
        // Every policy says where it came from, and repeats what changed in its rule.
        for (const draft of imported.result.documents.filter((d) => d.kind === 'ClusterImagePolicy')) {
          const scope = imported.result.scopes[draft.scopes[0] as number];
          expect(scope?.location.source).toContain(file.split('/').pop() as string);
          const own = imported.result.entries.filter(
            (entry) => entry.scope === draft.scopes[0] && entry.outcome === 'changed',
          );
          const rendered = renderDraft(imported.result, draft);
          expect(rendered).toContain(`from ${scope?.location.source}`);
          for (const entry of own) expect(rendered).toContain(`CHANGED: ${entry.path}`);
        }
        await expectLints(imported, file);
        // What became of every field of every policy document is in the report.
        for (const document of await sourceDocuments(tool, file))
          expect(
            unreported(imported, document.source, document.document, document.value),
            document.source,
          ).toEqual([]);
        for (const document of imported.documents.filter(hasNotation)) expectNotationShape(document);
      });
});

/** The documents of a fixture that hold policy: what the report must account for field by field. */
async function sourceDocuments(tool: SourceTool, file: string): Promise<SourceDocument[]> {
  const read = await readImportSource(join(FIXTURES, file), async () => '');
  const policyKinds = new Set([
    'ClusterPolicy',
    'Policy',
    'ImageValidatingPolicy',
    'NamespacedImageValidatingPolicy',
    'Verifier',
    'NamespacedVerifier',
  ]);
  return read.documents.filter((document) => {
    const value = document.value as { kind?: unknown };
    // Connaisseur values are one policy document as a whole (the chart's own settings aside).
    if (tool === 'connaisseur') return false;
    return typeof value.kind === 'string' && policyKinds.has(value.kind);
  });
}

/** The written documents load in vouch (Notation authorities aside until their format lands). */
async function expectLints(imported: Imported, file: string): Promise<void> {
  const written = imported.documents.filter(
    (document) => document.kind === 'ClusterImagePolicy' && !hasNotation(document),
  );
  if (written.length === 0) return;
  if (file.endsWith('keyed-secret.yaml')) {
    // The policy names a Secret; supplied, it loads.
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: testsecret, namespace: cosign-system}\nstringData:\n  cosign.pub: |\n    -----BEGIN PUBLIC KEY-----\n    MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8nXRh950IZbRj8Ra/N9sbqOPZrfM\n    5/KAQN0/KjHcorm/J5yctVd7iEcnessRQjU917hmKO6JWVGHpDguIyakZA==\n    -----END PUBLIC KEY-----\n`;
    await expect(lint(imported, secret)).resolves.toBeDefined();
    return;
  }
  const loaded = await lint(imported);
  expect(loaded.policySet.policies.length).toBe(written.length);
}

/** A Notation authority as OWNERS spells it: trust stores with PEM data, identities, verification. */
function expectNotationShape(document: Record<string, unknown>): void {
  const spec = document.spec as { authorities: Record<string, unknown>[] };
  for (const authority of spec.authorities) {
    if (authority.notation === undefined) continue;
    const notation = authority.notation as {
      trustStores: { type: string; name: string; data?: string }[];
      trustedIdentities: string[];
      signatureVerification: { level: string };
    };
    expect(notation.trustStores.length).toBeGreaterThan(0);
    for (const store of notation.trustStores) {
      expect(['ca', 'signingAuthority', 'tsa']).toContain(store.type);
      expect(store.name).not.toBe('');
      expect(store.data).toMatch(/^-----BEGIN CERTIFICATE-----/);
    }
    expect(notation.trustedIdentities.length).toBeGreaterThan(0);
    expect(['strict', 'permissive', 'audit']).toContain(notation.signatureVerification.level);
  }
}

describe('Kyverno fixtures, field by field', () => {
  it('keyed-basic: a key attestor with ignoreTlog is a key authority without ctlog, Pod a policy for every kind', async () => {
    const imported = await importFixture('kyverno', 'kyverno/verify-images/keyed-basic.yaml');
    const [policy] = policies(imported);
    expect(policy).toMatchObject({
      metadata: { name: 'keyed-basic-policy-keyed-basic-rule' },
      spec: {
        images: [{ glob: 'ghcr.io/kyverno/test-verify-image:**' }],
        authorities: [
          {
            name: 'key-0',
            key: { data: expect.stringContaining('MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8nXRh950IZbRj8Ra') },
            signatureFormat: 'legacy',
          },
        ],
      },
    });
    expect(specOf(policy).match).toBeUndefined();
    expect(specOf(policy).authorities[0]?.ctlog).toBeUndefined();
    expect(reportLines(imported, 'keys.rekor: ignoreTlog: no transparency log')[0]).toContain('translated');
    expect(reportLines(imported, 'no-match-policy: allow')).toHaveLength(1);
    expect(imported.documents.find((document) => document['no-match-policy'] !== undefined)).toEqual({
      'no-match-policy': 'allow',
      policies: [],
    });
  });

  it('the counts conformance policies: count 2 of 2 keyless attestors is a CEL condition, 1 of 2 needs none', async () => {
    const two = await importFixture(
      'kyverno',
      'kyverno/verify-images/keyless-attestations-multiple-subjects-counts-2.yaml',
    );
    expect(policies(two)[0]?.spec).toMatchObject({
      policy: { type: 'cel', data: 'size(authorityMatches) >= 2' },
      match: [{ version: '*', resource: 'pods' }],
    });
    const one = await importFixture(
      'kyverno',
      'kyverno/verify-images/keyless-attestations-multiple-subjects-counts-1.yaml',
    );
    expect(specOf(policies(one)[0]).policy).toBeUndefined();
    // No count: every entry must verify.
    const all = await importFixture(
      'kyverno',
      'kyverno/verify-images/keyless-attestations-multiple-subjects-counts-3.yaml',
    );
    expect(policies(all)[0]?.spec).toMatchObject({ policy: { data: 'size(authorityMatches) >= 2' } });
    const authority = specOf(policies(two)[0]).authorities[0];
    expect(authority).toMatchObject({
      keyless: {
        identities: [{ issuer: 'https://token.actions.githubusercontent.com' }],
        insecureIgnoreSCT: true,
      },
      attestations: [{ predicateType: 'https://slsa.dev/provenance/v0.2', policy: { type: 'cel' } }],
    });
    expect(
      reportLines(two, 'conditions').some(
        (line) => line.includes('changed') && line.includes('every attestation'),
      ),
    ).toBe(true);
  });

  it('a keyless subject with a wildcard becomes an anchored subjectRegExp', async () => {
    const imported = await importFixture(
      'kyverno',
      'kyverno/verify-images/keyless-mutatedigest-verifydigest-required.yaml',
    );
    const keyless = specOf(policies(imported)[0]).authorities[0]?.keyless as {
      identities: Record<string, string>[];
    };
    const identity = keyless.identities[0];
    expect(identity?.subjectRegExp).toBe(
      '(?s)^https://github\\.com/chipzoller/zulu/\\.github/workflows/slsa-generic-keyless\\.yaml@refs/tags/v.*$',
    );
    expect(identity?.issuer).toBe('https://token.actions.githubusercontent.com');
  });

  it('unresolvable variables and Notary attestations fail closed and are reported as not translated', async () => {
    const notary = await importFixture(
      'kyverno',
      'kyverno/verify-images/notary-attestation-verification.yaml',
    );
    expect(notary.report.filter((line) => line.trimStart().startsWith('not translated'))).toHaveLength(2);
    for (const policy of policies(notary))
      expect((policy.spec as { authorities: Record<string, unknown>[] }).authorities).toEqual([
        expect.objectContaining({ static: expect.objectContaining({ action: 'fail' }) }),
      ]);
    const variable = await importFixture(
      'kyverno',
      'kyverno/verify-images/noconfigmap-diffimage-success.yaml',
    );
    expect(reportLines(variable, '{{myconfigmap.data.configmapkey}}')[0]).toContain('not translated');
    expect(reportLines(variable, 'ConfigMap mynamespace/myconfigmap is not in the input')).toHaveLength(1);
  });

  it('a ConfigMap in the input supplies the certificate a Notary rule reads, and skipImageReferences is reported', async () => {
    const imported = await importFixture('kyverno', 'kyverno/verify-images/skip-image-reference.yaml');
    expect(
      reportLines(imported, '{{ keys.data.certificate }} → key certificate of ConfigMap exclude-refs/keys'),
    ).toHaveLength(1);
    expect(reportLines(imported, 'skipImageReferences')[0]).toContain('changed');
    const authority = specOf(policies(imported)[0]).authorities[0];
    expect(authority).toMatchObject({
      notation: {
        trustStores: [{ type: 'ca', name: 'kyverno' }],
        trustedIdentities: ['*'],
        signatureVerification: { level: 'strict' },
      },
    });
  });

  it("Flux's 2022 guide: image, repository and roots without an issuer become a keyless authority on those roots, reported as changed", async () => {
    const imported = await importFixture('kyverno', 'kyverno/flux/verify-flux-images-2022.yaml');
    expect(policies(imported)[0]?.spec).toMatchObject({
      images: [{ glob: 'ghcr.io/fluxcd/helm-controller:**' }],
      authorities: [
        {
          keyless: {
            identities: [{ issuerRegExp: '.*', subjectRegExp: '.*' }],
            'ca-cert': { data: expect.stringContaining('MIIB9zCCAXygAwIBAgIUALZNAPFdxHPwjeDloDwyYChAO/4w') },
          },
          source: [{ oci: 'ghcr.io/fluxcd/helm-controller' }],
        },
      ],
    });
    expect(reportLines(imported, 'verifyImages[0].roots')[0]).toContain('changed');
    const current = await importFixture('kyverno', 'kyverno/flux/verify-flux-images.yaml');
    expect(specOf(policies(current)[0]).images).toHaveLength(6);
    expect(current.text).toContain('subjectRegExp: (?s)^https://github\\.com/fluxcd/.*$');
  });

  it('keyed-tsa: a TSA chain is a TrustRoot with that timestamp authority, required on every signature (changed)', async () => {
    const imported = await importFixture('kyverno', 'kyverno/verify-images/keyed-tsa.yaml');
    const root = imported.documents.find((document) => document.kind === 'TrustRoot');
    const json = JSON.parse(specOf(root).trustedRootJSON as string) as {
      timestampAuthorities: unknown[];
      tlogs: { baseUrl: string }[];
    };
    expect(json.timestampAuthorities).toHaveLength(1);
    expect(json.tlogs[0]?.baseUrl).toBe('https://rekor.sigstore.dev');
    expect(specOf(policies(imported)[0]).authorities[0]).toMatchObject({
      ctlog: { url: 'https://rekor.sigstore.dev' },
      rfc3161timestamp: { trustRootRef: root && (root.metadata as { name: string }).name },
    });
    expect(reportLines(imported, 'tsaCertChain')[0]).toContain('changed');
  });

  it('ImageValidatingPolicy: signature and attestation validations become policies; payload checks become conditions', async () => {
    const imported = await importFixture(
      'kyverno',
      'kyverno/image-validating-policies/standard-cosign-attestation-extract-cache-hit.yaml',
    );
    const [attestation, payload] = policies(imported);
    expect(attestation?.spec).toMatchObject({
      authorities: [
        {
          keyless: {},
          attestations: [
            {
              name: 'slsa',
              predicateType: 'https://slsa.dev/provenance/v1',
              policy: { data: 'has(statement.predicate.buildDefinition)' },
            },
          ],
        },
      ],
    });
    expect(payload).toBeUndefined();
    expect(reportLines(imported, 'spec.validations[1]')[0]).toContain('translated');
  });
});

describe('Connaisseur fixtures, field by field', () => {
  it('the chart values: the static deny catch-all becomes no-match-policy deny, notaryv1 fails closed', async () => {
    const imported = await importFixture('connaisseur', 'connaisseur/values.yaml');
    expect(imported.documents.find((document) => document['no-match-policy'] !== undefined)).toEqual({
      'no-match-policy': 'deny',
      policies: [],
    });
    const names = policies(imported).map((policy) => (policy.metadata as { name: string }).name);
    expect(names).not.toContain('connaisseur');
    expect(reportLines(imported, 'notaryv1')[0]).toContain('not translated');
    const redis = policies(imported).find((policy) => JSON.stringify(policy).includes('redis@sha256'));
    expect(redis?.spec).toMatchObject({ authorities: [{ static: { action: 'pass' } }] });
  });

  it('cosign multi-signature rules: threshold and required as conditions over trust roots, reported against the code', async () => {
    const imported = await importFixture('connaisseur', 'connaisseur/integration/cosign.yaml');
    const byPattern = (text: string) =>
      specOf(policies(imported).find((policy) => JSON.stringify(policy.spec).includes(text)));
    expect(byPattern('multi-cosigned-alice').policy).toEqual({
      type: 'cel',
      data: 'size(authorityMatches) >= 3',
    });
    expect(byPattern('multi-cosigned-bob').policy).toEqual({
      type: 'cel',
      data: 'size(authorityMatches) >= 2',
    });
    const charlie = byPattern('multi-cosigned-charlie');
    expect(charlie.authorities.map((authority) => authority.name)).toEqual(['alice', 'charlie']);
    expect(charlie.policy).toEqual({
      type: 'cel',
      data: "('alice' in authorityMatches) && ('charlie' in authorityMatches)",
    });
    expect(reportLines(imported, 'counts valid signatures')).toHaveLength(3);
    expect(reportLines(imported, 'must pass both policies').length).toBeGreaterThan(0);
    expect(byPattern('rekor-').authorities[0]).toMatchObject({
      ctlog: { url: 'https://rekor.sigstore.dev' },
    });
  });

  it('namespaced validation is reported with the webhook configuration that gives it', async () => {
    const imported = await importFixture('connaisseur', 'connaisseur/integration/namespaced.yaml');
    expect(reportLines(imported, 'namespacedValidation')[0]).toMatch(
      /webhook flag .*securesystemsengineering\.connaisseur\/webhook, operator: NotIn, values: \[ignore\]/,
    );
  });

  it('notation validators: Notation authorities with the rule’s level and timestamp choice', async () => {
    const imported = await importFixture('connaisseur', 'connaisseur/integration/notation.yaml');
    const permissive = policies(imported).find((policy) => JSON.stringify(policy).includes('permissive'));
    expect(specOf(permissive).authorities[0]).toMatchObject({
      notation: {
        trustStores: [
          { type: 'ca', name: 'notation-tsa' },
          { type: 'tsa', name: 'notation-tsa' },
        ],
        trustedIdentities: ['*'],
        signatureVerification: { level: 'permissive', verifyTimestamp: 'always' },
      },
    });
  });
});

describe('Ratify fixtures, field by field', () => {
  it('the samples together: notation trust policies with their certificate stores, cosign keys from inline providers', async () => {
    const imported = await importFixture('ratify', 'ratify/samples');
    const cosign = policies(imported).find(
      (policy) => (policy.metadata as { name: string }).name === 'verifier-cosign-default',
    );
    expect(cosign?.spec).toMatchObject({ images: [{ glob: '**' }] });
    expect(
      reportLines(imported, 'artifactVerificationPolicies').some((line) => line.includes('changed')),
    ).toBe(true);
    expect(reportLines(imported, 'useHttp')[0]).toContain('--allow-http-registry');
  });

  it('a cosign keyless verifier keeps its identity', async () => {
    const imported = await importFixture('ratify', 'ratify/bats/config_v1beta1_verifier_cosign_keyless.yaml');
    expect(specOf(policies(imported)[0]).authorities[0]).toMatchObject({
      keyless: { identities: [{ issuer: 'https://github.com/login/oauth', subject: 'sozercan@gmail.com' }] },
    });
  });

  it('a v1alpha1 Policy named regopolicy is a Rego policy (its type is its name): dropped, not read as "all"', async () => {
    const imported = await importFixture(
      'ratify',
      'ratify/samples/clustered-policy-config_v1alpha1_policy_rego.yaml',
    );
    expect(reportLines(imported, 'Rego policy over verifier reports')[0]).toContain('not translated  spec:');
    expect(reportLines(imported, 'artifactVerificationPolicies')).toEqual([]);
    expect(imported.exit).toBe(1);
  });

  it("the library's constraint sets the mode and its namespaces are reported", async () => {
    const imported = await importFixture('ratify', 'ratify/library/default-constraint.yaml');
    expect(reportLines(imported, 'enforcementAction')[0]).toContain('mode: enforce');
    expect(reportLines(imported, 'spec.match.namespaces')[0]).toContain('changed');
  });
});
