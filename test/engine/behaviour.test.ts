/**
 * The engine's behaviour table, modelled on policy-controller's validator tests, against a real
 * distribution registry with real signatures made by the signature layer. Each row is one situation
 * and the verdict policy-controller gives for it (or vouch's documented, stricter one).
 * The keyless rows are in keyless-behaviour.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_WITHOUT_TLOG } from '../../src/policy/engine/index.js';
import type { ResourceContext, Verdict } from '../../src/policy/index.js';
import { RegistryClient } from '../../src/registry/index.js';
import type { PrivateKey } from '../../src/signature/index.js';
import { Deadline } from '../../src/util/deadline.js';
import { startRegistry, type TestRegistry } from '../harness/index.js';
import {
  attest,
  cip,
  engineFor,
  keyAuthority,
  newKey,
  type PushedImage,
  policies,
  pushImage,
  sign,
  signBundle,
} from './helpers.js';

const PROVENANCE = 'https://slsa.dev/provenance/v1';
const SBOM = 'https://cyclonedx.org/bom';

describe('policy engine behaviour table (real registry, real signatures)', () => {
  let registry: TestRegistry;
  let setup: RegistryClient;
  let release: PrivateKey;
  let team: PrivateKey;
  let stranger: PrivateKey;
  /** Signed by `release` and `team`, attested by `release` (provenance with builder id). */
  let signed: PushedImage;
  /** Pushed, never signed. */
  let unsigned: PushedImage;
  /** Signed by `release` only. */
  let releaseOnly: PushedImage;
  /** Signed by `release` only, as a Sigstore-bundle referrer (cosign v3), with no `.sig` tag. */
  let bundleOnly: PushedImage;

  beforeAll(async () => {
    registry = await startRegistry();
    setup = new RegistryClient();
    [release, team, stranger] = await Promise.all([newKey(), newKey(), newKey()]);
    signed = await pushImage(setup, registry.host, 'org/app');
    await sign(setup, signed, release);
    await sign(setup, signed, team);
    await attest(setup, signed, release, PROVENANCE, { builder: { id: 'https://ci.example/builder' } });
    unsigned = await pushImage(setup, registry.host, 'org/unsigned');
    releaseOnly = await pushImage(setup, registry.host, 'org/release-only');
    await sign(setup, releaseOnly, release);
    bundleOnly = await pushImage(setup, registry.host, 'org/bundle-only');
    await signBundle(setup, bundleOnly, release);
  });
  afterAll(async () => {
    await setup?.close();
    await registry?.stop();
  });

  async function check(
    documents: unknown[],
    image: string,
    options: Parameters<typeof engineFor>[1] & { resource?: ResourceContext } = {},
  ): Promise<{ verdict: Verdict; requests: number }> {
    const { resource, ...engineOptions } = options;
    const { engine, client, close } = engineFor(await policies(...documents), engineOptions);
    try {
      const verdict = await engine.check({ image, ...(resource !== undefined && { resource }) });
      return { verdict, requests: client.stats.total };
    } finally {
      await close();
    }
  }

  const repoAt = (pushed: PushedImage) =>
    `${pushed.repo.registry}/${pushed.repo.repository}@${pushed.digest}`;
  const glob = (pushed: PushedImage) => [{ glob: `${pushed.repo.registry}/${pushed.repo.repository}*` }];

  it('row 1: a key authority passes with the key that signed, and names the digest it verified', async () => {
    const { verdict } = await check(
      [cip('release', { images: glob(signed), authorities: [keyAuthority(release)] })],
      signed.ref,
    );
    expect(verdict).toMatchObject({
      image: signed.ref,
      allowed: true,
      digest: signed.digest,
      verifiedReference: `${signed.ref}@${signed.digest}`,
      errors: [],
      warnings: [],
    });
    expect(verdict.failure).toBeUndefined();
    expect(verdict.policies).toEqual([
      expect.objectContaining({ name: 'release', mode: 'enforce', passed: true }),
    ]);
    // The key alone vouched (no ctlog): the verdict says so instead of skipping the log silently.
    expect(verdict.policies[0]?.authorities[0]?.tlog).toEqual({
      status: 'not-checked',
      detail: KEY_WITHOUT_TLOG,
    });
  });

  it('row 2: a key authority fails with another key, in policy-controller’s words', async () => {
    const { verdict } = await check(
      [cip('release', { images: glob(signed), authorities: [keyAuthority(stranger)] })],
      signed.ref,
    );
    expect(verdict.allowed).toBe(false);
    expect(verdict.failure).toBe('signature');
    expect(verdict.digest).toBe(signed.digest);
    expect(verdict.errors).toHaveLength(1);
    expect(verdict.errors[0]).toMatch(
      new RegExp(
        `^failed policy: release: signature key validation failed for authority authority-0 for ${escapeRegExp(repoAt(signed))}: no signature of ${signed.digest} verified: .*does not verify over the payload with key`,
      ),
    );
    expect(verdict.policies[0]?.message).toBe(verdict.errors[0]);
  });

  it('row 3: an unsigned image fails with "no signatures found"', async () => {
    const { verdict } = await check(
      [cip('release', { images: glob(unsigned), authorities: [keyAuthority(release)] })],
      unsigned.ref,
    );
    expect(verdict).toMatchObject({ allowed: false, failure: 'signature', digest: unsigned.digest });
    expect(verdict.errors[0]).toContain(`no signatures found for ${unsigned.digest}`);
    expect(verdict.policies[0]?.authorities[0]?.signatures).toEqual([]);
  });

  it('row 4: two authorities, one passes: the policy passes (any one authority is enough)', async () => {
    const { verdict } = await check(
      [
        cip('either', {
          images: glob(releaseOnly),
          authorities: [
            { name: 'stranger', ...keyAuthority(stranger) },
            { name: 'release', ...keyAuthority(release) },
          ],
        }),
      ],
      releaseOnly.ref,
    );
    expect(verdict.allowed).toBe(true);
    expect(verdict.policies[0]?.authorities.map((a) => [a.name, a.passed])).toEqual([
      ['stranger', false],
      ['release', true],
    ]);
  });

  it('row 5: two policies match one image and one fails: denied, only the failing one reported', async () => {
    const { verdict } = await check(
      [
        cip('release', { images: glob(releaseOnly), authorities: [keyAuthority(release)] }),
        cip('team', { images: [{ glob: `${registry.host}/org/**` }], authorities: [keyAuthority(team)] }),
      ],
      releaseOnly.ref,
    );
    expect(verdict.allowed).toBe(false);
    expect(verdict.failure).toBe('signature');
    expect(verdict.policies.map((p) => [p.name, p.passed])).toEqual([
      ['release', true],
      ['team', false],
    ]);
    expect(verdict.errors).toHaveLength(1);
    expect(verdict.errors[0]).toMatch(
      /^failed policy: team: signature key validation failed for authority authority-0/,
    );
  });

  it('row 6: two policies match and both pass: allowed', async () => {
    const { verdict } = await check(
      [
        cip('release', { images: glob(signed), authorities: [keyAuthority(release)] }),
        cip('team', { images: [{ glob: `${registry.host}/org/**` }], authorities: [keyAuthority(team)] }),
      ],
      signed.ref,
    );
    expect(verdict.allowed).toBe(true);
    expect(verdict.policies.map((p) => p.passed)).toEqual([true, true]);
  });

  it('row 7: a static pass needs no registry request at all, not even a resolve, and names no digest', async () => {
    const { verdict, requests } = await check(
      [cip('allow-all', { images: [{ glob: '**' }], authorities: [{ static: { action: 'pass' } }] })],
      unsigned.ref,
    );
    expect(requests).toBe(0);
    expect(verdict).toEqual({
      image: unsigned.ref,
      allowed: true,
      errors: [],
      warnings: [],
      policies: [
        {
          name: 'allow-all',
          mode: 'enforce',
          passed: true,
          authorities: [
            { name: 'authority-0', type: 'static', passed: true, reason: 'static pass', signatures: [] },
          ],
        },
      ],
    });
  });

  it('row 8: a static pass of an image written with a digest: no request, and the digest is the one written', async () => {
    const written = `${unsigned.ref}@${unsigned.digest}`;
    const { verdict, requests } = await check(
      [cip('allow-all', { images: [{ glob: '**' }], authorities: [{ static: { action: 'pass' } }] })],
      written,
    );
    expect(requests).toBe(0);
    expect(verdict).toMatchObject({ image: written, allowed: true, digest: unsigned.digest });
  });

  it('row 9: static fail denies with "disallowed by static policy: <message>"', async () => {
    const { verdict, requests } = await check(
      [
        cip('block', {
          images: [{ glob: `${registry.host}/org/**` }],
          authorities: [{ static: { action: 'fail', message: 'org images are frozen' } }],
        }),
      ],
      unsigned.ref,
    );
    expect(requests).toBe(0);
    expect(verdict).toMatchObject({
      allowed: false,
      failure: 'static',
      errors: ['failed policy: block: disallowed by static policy: org images are frozen'],
    });
  });

  it('row 10: static fail without a message says only "disallowed by static policy"', async () => {
    const { verdict } = await check(
      [cip('block', { images: [{ glob: '**' }], authorities: [{ static: { action: 'fail' } }] })],
      unsigned.ref,
    );
    expect(verdict.errors).toEqual(['failed policy: block: disallowed by static policy']);
  });

  it('row 11: mode warn turns a failure into a warning equal to the policy message', async () => {
    const { verdict } = await check(
      [cip('team', { images: glob(releaseOnly), mode: 'warn', authorities: [keyAuthority(team)] })],
      releaseOnly.ref,
    );
    expect(verdict.allowed).toBe(true);
    expect(verdict.errors).toEqual([]);
    expect(verdict.failure).toBeUndefined();
    expect(verdict.warnings).toHaveLength(1);
    expect(verdict.warnings[0]).toMatch(/^failed policy: team: signature key validation failed/);
    expect(verdict.policies[0]).toMatchObject({ mode: 'warn', passed: false, message: verdict.warnings[0] });
  });

  it('row 12: a warn-mode failure beside an enforced pass: allowed with the warning', async () => {
    const { verdict } = await check(
      [
        cip('release', { images: glob(releaseOnly), authorities: [keyAuthority(release)] }),
        cip('team', { images: glob(releaseOnly), mode: 'warn', authorities: [keyAuthority(team)] }),
      ],
      releaseOnly.ref,
    );
    expect(verdict.allowed).toBe(true);
    expect(verdict.digest).toBe(releaseOnly.digest);
    expect(verdict.warnings).toEqual([verdict.policies[1]?.message]);
  });

  it('row 13: no policy matches and no-match-policy is unset: denied with "no matching policies"', async () => {
    const { verdict } = await check(
      [
        cip('elsewhere', {
          images: [{ glob: 'ghcr.io/elsewhere/**' }],
          authorities: [keyAuthority(release)],
        }),
      ],
      unsigned.ref,
    );
    expect(verdict).toMatchObject({ allowed: false, failure: 'no-match', errors: ['no matching policies'] });
  });

  it('row 14: no-match-policy warn: allowed with the warning', async () => {
    const config = { 'no-match-policy': 'warn', policies: [] };
    const { verdict } = await check(
      [
        config,
        cip('elsewhere', {
          images: [{ glob: 'ghcr.io/elsewhere/**' }],
          authorities: [keyAuthority(release)],
        }),
      ],
      unsigned.ref,
    );
    expect(verdict).toMatchObject({
      allowed: true,
      failure: 'no-match',
      errors: [],
      warnings: ['no matching policies'],
      policies: [],
    });
  });

  it('row 15: no-match-policy allow: allowed, silently', async () => {
    const config = { 'no-match-policy': 'allow', policies: [] };
    const { verdict } = await check(
      [
        config,
        cip('elsewhere', {
          images: [{ glob: 'ghcr.io/elsewhere/**' }],
          authorities: [keyAuthority(release)],
        }),
      ],
      unsigned.ref,
    );
    expect(verdict).toMatchObject({ allowed: true, errors: [], warnings: [], policies: [] });
  });

  it('row 16: a gate’s own no-match default applies only when the policy files do not choose', async () => {
    const policy = cip('elsewhere', {
      images: [{ glob: 'ghcr.io/elsewhere/**' }],
      authorities: [keyAuthority(release)],
    });
    const silent = await check([policy], unsigned.ref, { noMatchDefault: 'warn' });
    expect(silent.verdict).toMatchObject({ allowed: true, warnings: ['no matching policies'] });
    const chosen = await check([{ 'no-match-policy': 'deny', policies: [] }, policy], unsigned.ref, {
      noMatchDefault: 'warn',
    });
    expect(chosen.verdict).toMatchObject({ allowed: false, errors: ['no matching policies'] });
  });

  it('row 17: an attestation with the wanted predicate type passes (the attestation path needs no signature)', async () => {
    const { verdict } = await check(
      [
        cip('provenance', {
          images: glob(signed),
          authorities: [
            keyAuthority(release, { attestations: [{ name: 'slsa', predicateType: PROVENANCE }] }),
          ],
        }),
      ],
      signed.ref,
    );
    expect(verdict.allowed).toBe(true);
    expect(
      verdict.policies[0]?.authorities[0]?.signatures.some((s) => s.source === 'att-tag' && s.verified),
    ).toBe(true);
  });

  it('row 18: an attestation of another predicate type: "no matching attestations with type …"', async () => {
    const { verdict } = await check(
      [
        cip('sbom', {
          images: glob(signed),
          authorities: [keyAuthority(release, { attestations: [{ name: 'sbom', predicateType: SBOM }] })],
        }),
      ],
      signed.ref,
    );
    expect(verdict).toMatchObject({ allowed: false, failure: 'signature' });
    expect(verdict.errors).toEqual([
      `failed policy: sbom: attestation key validation failed for authority authority-0 for ${repoAt(signed)}: no matching attestations with type ${SBOM}, checked the following predicateTypes: "${PROVENANCE}"`,
    ]);
  });

  it('row 19: an attestation whose CEL policy is false fails the authority (failure: policy)', async () => {
    const { verdict } = await check(
      [
        cip('provenance', {
          images: glob(signed),
          authorities: [
            keyAuthority(release, {
              attestations: [
                {
                  name: 'slsa',
                  predicateType: PROVENANCE,
                  policy: { type: 'cel', data: 'predicate.builder.id == "https://other.example/builder"' },
                },
              ],
            }),
          ],
        }),
      ],
      signed.ref,
    );
    expect(verdict).toMatchObject({ allowed: false, failure: 'policy' });
    expect(verdict.errors[0]).toContain('attestation key validation failed for authority authority-0');
    expect(verdict.errors[0]).toContain('predicate.builder.id == "https://other.example/builder" is false');
  });

  it('row 20: an attestation whose CEL policy holds passes (statement fields at the top level)', async () => {
    const { verdict } = await check(
      [
        cip('provenance', {
          images: glob(signed),
          authorities: [
            keyAuthority(release, {
              attestations: [
                {
                  name: 'slsa',
                  predicateType: PROVENANCE,
                  policy: {
                    type: 'cel',
                    data: `predicate.builder.id.startsWith("https://ci.example/") && predicateType == "${PROVENANCE}" && statement.subject.size() == 1`,
                  },
                },
              ],
            }),
          ],
        }),
      ],
      signed.ref,
    );
    expect(verdict.allowed).toBe(true);
  });

  it('row 21: a policy-level CEL condition over authorityMatches that is false fails the policy', async () => {
    const { verdict } = await check(
      [
        cip('both', {
          images: glob(releaseOnly),
          authorities: [
            { name: 'release', ...keyAuthority(release) },
            { name: 'team', ...keyAuthority(team) },
          ],
          policy: { type: 'cel', data: '"release" in authorityMatches && "team" in authorityMatches' },
        }),
      ],
      releaseOnly.ref,
    );
    expect(verdict).toMatchObject({ allowed: false, failure: 'policy' });
    expect(verdict.errors).toEqual([
      'failed policy: both: failed evaluating cel policy for ClusterImagePolicy: the condition "release" in authorityMatches && "team" in authorityMatches is false',
    ]);
  });

  it('row 22: a policy-level CEL condition over authorityMatches that holds passes', async () => {
    const { verdict } = await check(
      [
        cip('both', {
          images: glob(signed),
          authorities: [
            { name: 'release', ...keyAuthority(release) },
            { name: 'team', ...keyAuthority(team) },
            {
              name: 'provenance',
              ...keyAuthority(release, { attestations: [{ name: 'slsa', predicateType: PROVENANCE }] }),
            },
          ],
          policy: {
            type: 'cel',
            data:
              'authorityMatches.release.signatures.size() == 1 && authorityMatches.team.signatures.size() == 1 && ' +
              `authorityMatches.provenance.attestations.slsa[0].predicateType == "${PROVENANCE}" && ` +
              '!authorityMatches.release.static',
          },
        }),
      ],
      signed.ref,
    );
    expect(verdict.errors).toEqual([]);
    expect(verdict.allowed).toBe(true);
  });

  it('row 23: a policy-level CEL condition reads the resource’s spec with includeSpec', async () => {
    const documents = [
      cip('service-account', {
        images: glob(releaseOnly),
        authorities: [keyAuthority(release)],
        policy: { type: 'cel', data: 'spec.serviceAccountName == "deployer"', includeSpec: true },
      }),
    ];
    const pod = (serviceAccountName: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { serviceAccountName },
    });
    expect((await check(documents, releaseOnly.ref, { resource: pod('deployer') })).verdict.allowed).toBe(
      true,
    );
    const other = await check(documents, releaseOnly.ref, { resource: pod('someone') });
    expect(other.verdict).toMatchObject({ allowed: false, failure: 'policy' });
  });

  it('row 24: source.oci reads signatures from another repository', async () => {
    const pushed = await pushImage(setup, registry.host, 'org/oci-source');
    const signatures = { registry: registry.host, repository: 'org/signatures' };
    await sign(setup, pushed, release, { signatureRepository: signatures });
    const authority = (extra: Record<string, unknown>) => [keyAuthority(release, extra)];
    const withSource = await check(
      [
        cip('p', {
          images: glob(pushed),
          authorities: authority({ source: [{ oci: `${registry.host}/org/signatures` }] }),
        }),
      ],
      pushed.ref,
    );
    expect(withSource.verdict.allowed).toBe(true);
    expect(withSource.verdict.policies[0]?.authorities[0]?.reason).toContain(pushed.digest);
    const beside = await check([cip('p', { images: glob(pushed), authorities: authority({}) })], pushed.ref);
    expect(beside.verdict.allowed).toBe(false);
    expect(beside.verdict.errors[0]).toContain('no signatures found');
  });

  it('row 25: source.tagPrefix finds signatures stored under a prefixed tag', async () => {
    const pushed = await pushImage(setup, registry.host, 'org/prefixed');
    await sign(setup, pushed, release, { tagPrefix: 'v2-' });
    const withPrefix = await check(
      [
        cip('p', {
          images: glob(pushed),
          authorities: [keyAuthority(release, { source: [{ tagPrefix: 'v2-' }] })],
        }),
      ],
      pushed.ref,
    );
    expect(withPrefix.verdict.allowed).toBe(true);
    const without = await check(
      [cip('p', { images: glob(pushed), authorities: [keyAuthority(release)] })],
      pushed.ref,
    );
    expect(without.verdict.allowed).toBe(false);
  });

  it('row 26: globs decide which policies apply, on the tag form and on the digest form', async () => {
    const repo = `${registry.host}/org/release-only`;
    const documents = [
      // Applies to the tag form only (policy-controller's webhook would never match it).
      cip('tags-v1', {
        images: [{ glob: `${repo}:v1*` }],
        authorities: [{ static: { action: 'fail', message: 'v1 is retired' } }],
      }),
      // Applies to the digest form: a tag input gets it once resolved.
      cip('by-digest', { images: [{ glob: `${repo}@**` }], authorities: [keyAuthority(release)] }),
      // `*` is Docker Hub's library/*: never this registry.
      cip('hub', { images: [{ glob: '*' }], authorities: [{ static: { action: 'fail' } }] }),
    ];
    const tagged = await check(documents, releaseOnly.ref);
    expect(tagged.verdict.policies.map((p) => p.name)).toEqual(['by-digest', 'tags-v1']);
    expect(tagged.verdict.errors).toEqual([
      'failed policy: tags-v1: disallowed by static policy: v1 is retired',
    ]);
    const pinned = await check(documents, `${repo}@${releaseOnly.digest}`);
    expect(pinned.verdict.policies.map((p) => p.name)).toEqual(['by-digest']);
    expect(pinned.verdict.allowed).toBe(true);
    const both = await check(documents, `${releaseOnly.ref}@${releaseOnly.digest}`);
    expect(both.verdict.policies.map((p) => p.name)).toEqual(['by-digest', 'tags-v1']);
    expect(both.requests).toBeGreaterThan(0);
  });

  it('row 27: a tag under a static policy is still resolved when its digest could bring in another policy', async () => {
    const repo = `${registry.host}/org/release-only`;
    const documents = [
      cip('allow-tags', { images: [{ glob: `${repo}:*` }], authorities: [{ static: { action: 'pass' } }] }),
      cip('digests', { images: [{ glob: `${repo}@**` }], authorities: [keyAuthority(team)] }),
    ];
    const { verdict } = await check(documents, releaseOnly.ref);
    expect(verdict.digest).toBe(releaseOnly.digest);
    expect(verdict.allowed).toBe(false);
    expect(verdict.errors[0]).toMatch(/^failed policy: digests: /);
  });

  it('row 28: an invalid reference is denied as invalid, before any registry request', async () => {
    const { verdict, requests } = await check(
      [cip('allow-all', { images: [{ glob: '**' }], authorities: [{ static: { action: 'pass' } }] })],
      'in@valid',
    );
    expect(requests).toBe(0);
    expect(verdict).toMatchObject({ image: 'in@valid', allowed: false, failure: 'invalid' });
    expect(verdict.errors[0]).toMatch(/^could not parse reference: in@valid: /);
  });

  it('row 29: an unknown tag is denied as not found, not as "unsigned"', async () => {
    const { verdict } = await check(
      [cip('release', { images: glob(signed), authorities: [keyAuthority(release)] })],
      `${registry.host}/org/app:does-not-exist`,
    );
    expect(verdict).toMatchObject({ allowed: false, failure: 'invalid' });
    expect(verdict.errors[0]).toMatch(/^image tag not found: /);
  });

  it('row 30: a key authority with an unusable key setting denies with the reason (hashAlgorithm)', async () => {
    const { verdict } = await check(
      [
        cip('p', {
          images: glob(signed),
          authorities: [
            keyAuthority(release, { key: { data: release.publicKey.pem, hashAlgorithm: 'sha512' } }),
          ],
        }),
      ],
      signed.ref,
    );
    expect(verdict).toMatchObject({ allowed: false, failure: 'invalid' });
    expect(verdict.errors[0]).toContain('hashAlgorithm sha512 is not supported for a ecdsa-p256 key');
  });

  it('row 31: the deadline passed before verification could start: a timeout naming the image and budget', async () => {
    const { engine, close } = engineFor(
      await policies(cip('release', { images: glob(signed), authorities: [keyAuthority(release)] })),
    );
    try {
      const deadline = Deadline.after(0);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const verdict = await engine.check({ image: `${signed.ref}@${signed.digest}` }, { deadline });
      expect(verdict).toMatchObject({ allowed: false, failure: 'timeout' });
      expect(verdict.errors[0]).toMatch(
        new RegExp(
          `^verification of ${escapeRegExp(signed.ref)}@sha256:[0-9a-f]{64} did not finish in 0 ms: `,
        ),
      );
    } finally {
      await close();
    }
  });

  it('row 32: signatureFormat restricts which artefacts count; unset, either a .sig tag or a bundle does', async () => {
    const verdictFor = async (pushed: PushedImage, format?: string) =>
      (
        await check(
          [
            cip('release', {
              images: glob(pushed),
              authorities: [keyAuthority(release, format !== undefined ? { signatureFormat: format } : {})],
            }),
          ],
          pushed.ref,
        )
      ).verdict;

    for (const pushed of [releaseOnly, bundleOnly])
      expect(await verdictFor(pushed)).toMatchObject({ allowed: true, digest: pushed.digest });
    expect(await verdictFor(releaseOnly, 'legacy')).toMatchObject({ allowed: true });
    expect(await verdictFor(bundleOnly, 'bundle')).toMatchObject({ allowed: true });

    // A signature in the other format is not even looked at.
    const legacyOnlyPolicy = await verdictFor(bundleOnly, 'legacy');
    expect(legacyOnlyPolicy).toMatchObject({ allowed: false, failure: 'signature' });
    expect(legacyOnlyPolicy.errors[0]).toContain(`no signatures found for ${bundleOnly.digest}`);
    expect(legacyOnlyPolicy.errors[0]).not.toContain('referrers');
    const bundlePolicy = await verdictFor(releaseOnly, 'bundle');
    expect(bundlePolicy).toMatchObject({ allowed: false, failure: 'signature' });
    expect(bundlePolicy.errors[0]).toContain(`no signatures found for ${releaseOnly.digest}`);
    expect(bundlePolicy.errors[0]).toContain('referrers');
    expect(bundlePolicy.errors[0]).not.toContain('.sig');
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
