/**
 * The keyless rows of the engine's behaviour table: ClusterImagePolicies with `keyless` authorities,
 * evaluated against real keyless signatures (certificate, SCT, Rekor entry from the test Sigstore)
 * stored in a real registry, legacy `.sig` and Sigstore-bundle referrers alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/policy/index.js';
import { RegistryClient } from '../../src/registry/index.js';
import {
  attachBundle,
  attestLegacy,
  buildStatement,
  digestSet,
  signatureStatement,
  signLegacy,
} from '../../src/signature/index.js';
import { startRegistry, type TestRegistry } from '../harness/index.js';
import { createTestSigstore, type TestSigstore } from '../sigstore/index.js';
import { sigstoreSigner } from '../sigstore/signer.js';
import { cip, engineFor, keyAuthority, newKey, type PushedImage, policies, pushImage } from './helpers.js';

const ISSUER = 'https://token.actions.vouch.test';
const SUBJECT = 'https://github.com/acme/app/.github/workflows/release.yaml@refs/heads/main';
const PROVENANCE = 'https://slsa.dev/provenance/v1';
const COSIGN_SIGN = 'https://sigstore.dev/cosign/sign/v1';

describe('policy engine behaviour table: keyless authorities', () => {
  let registry: TestRegistry;
  let setup: RegistryClient;
  let sigstore: TestSigstore;
  /** Signed keylessly as SUBJECT/ISSUER in the legacy .sig format. */
  let legacy: PushedImage;
  /** Signed keylessly as SUBJECT/ISSUER as a Sigstore bundle referrer, and attested (provenance). */
  let bundled: PushedImage;
  /** Signed keylessly by another workflow. */
  let otherSigner: PushedImage;

  beforeAll(async () => {
    registry = await startRegistry();
    setup = new RegistryClient();
    sigstore = await createTestSigstore();
    const identity = { uri: SUBJECT, issuer: ISSUER };
    const signer = sigstoreSigner(sigstore, { identity });

    legacy = await pushImage(setup, registry.host, 'acme/legacy');
    await signLegacy(setup, legacy.target, signer, {});
    // Provenance from the CI builder the rows expect, about one pushed image.
    const provenance = (pushed: PushedImage) => ({
      statement: buildStatement({
        subject: [{ name: pushed.repo.repository, digest: digestSet(pushed.digest) }],
        predicateType: PROVENANCE,
        predicate: { builder: { id: 'https://ci.vouch.test/builder' } },
      }),
      predicateType: PROVENANCE,
    });
    await attestLegacy(setup, legacy.target, signer, provenance(legacy));

    bundled = await pushImage(setup, registry.host, 'acme/bundled');
    await attachBundle(setup, bundled.target, signer, {
      statement: signatureStatement(bundled.digest),
      predicateType: COSIGN_SIGN,
    });
    await attachBundle(setup, bundled.target, signer, provenance(bundled));

    otherSigner = await pushImage(setup, registry.host, 'acme/other');
    await signLegacy(
      setup,
      otherSigner.target,
      sigstoreSigner(sigstore, {
        identity: {
          uri: 'https://github.com/mallory/app/.github/workflows/x.yaml@refs/heads/main',
          issuer: ISSUER,
        },
      }),
      {},
    );
  });
  afterAll(async () => {
    await setup?.close();
    await registry?.stop();
  });

  /** The test Sigstore's trust material as a policy-controller TrustRoot named `test-sigstore`. */
  const trustRoot = () => ({
    apiVersion: 'policy.sigstore.dev/v1alpha1',
    kind: 'TrustRoot',
    metadata: { name: 'test-sigstore' },
    spec: { trustedRootJSON: JSON.stringify(sigstore.trustedRootJson) },
  });
  const keyless = (identity: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    keyless: { identities: [identity], trustRootRef: 'test-sigstore' },
    ...extra,
  });
  const glob = (pushed: PushedImage) => [{ glob: `${pushed.repo.registry}/${pushed.repo.repository}*` }];

  async function check(documents: unknown[], image: string): Promise<Verdict> {
    const { engine, close } = engineFor(await policies(...documents, trustRoot()));
    try {
      return await engine.check({ image });
    } finally {
      await close();
    }
  }

  it('row K1: a keyless identity that signed (exact subject and issuer) passes, legacy .sig', async () => {
    const verdict = await check(
      [cip('ci', { images: glob(legacy), authorities: [keyless({ issuer: ISSUER, subject: SUBJECT })] })],
      legacy.ref,
    );
    expect(verdict).toMatchObject({ allowed: true, digest: legacy.digest, errors: [] });
    const authority = verdict.policies[0]?.authorities[0];
    expect(authority).toMatchObject({ type: 'keyless', passed: true });
    expect(authority?.tlog?.status).toBe('verified');
    expect(authority?.reason).toContain(SUBJECT);
  });

  it('row K2: the same identity passes for a Sigstore bundle attached as a referrer', async () => {
    const verdict = await check(
      [cip('ci', { images: glob(bundled), authorities: [keyless({ issuer: ISSUER, subject: SUBJECT })] })],
      bundled.ref,
    );
    expect(verdict).toMatchObject({ allowed: true, digest: bundled.digest });
    expect(
      verdict.policies[0]?.authorities[0]?.signatures.some((s) => s.verified && s.format === 'bundle'),
    ).toBe(true);
  });

  it('row K3: keyless with the wrong subject fails, naming what the certificate holds', async () => {
    const verdict = await check(
      [
        cip('ci', {
          images: glob(otherSigner),
          authorities: [keyless({ issuer: ISSUER, subject: SUBJECT })],
        }),
      ],
      otherSigner.ref,
    );
    expect(verdict).toMatchObject({ allowed: false, failure: 'signature', digest: otherSigner.digest });
    expect(verdict.errors).toHaveLength(1);
    expect(verdict.errors[0]).toMatch(
      /^failed policy: ci: signature keyless validation failed for authority authority-0 for /,
    );
    expect(verdict.errors[0]).toContain('https://github.com/mallory/app/');
  });

  it('row K4: keyless with the wrong issuer fails', async () => {
    const verdict = await check(
      [
        cip('ci', {
          images: glob(legacy),
          authorities: [keyless({ issuer: 'https://accounts.vouch.test', subject: SUBJECT })],
        }),
      ],
      legacy.ref,
    );
    expect(verdict).toMatchObject({ allowed: false, failure: 'signature' });
    expect(verdict.errors[0]).toContain(ISSUER);
  });

  it('row K5: subjectRegExp is unanchored RE2 as in cosign; an anchor at the wrong end fails', async () => {
    const passes = await check(
      [
        cip('ci', {
          images: glob(legacy),
          authorities: [keyless({ issuer: ISSUER, subjectRegExp: 'github\\.com/acme/' })],
        }),
      ],
      legacy.ref,
    );
    expect(passes.allowed).toBe(true);
    const anchoredWrong = await check(
      [
        cip('ci', {
          images: glob(legacy),
          authorities: [keyless({ issuer: ISSUER, subjectRegExp: '^github\\.com/acme/' })],
        }),
      ],
      legacy.ref,
    );
    expect(anchoredWrong).toMatchObject({ allowed: false, failure: 'signature' });
  });

  it('row K6: a key authority that fails and a keyless one that passes: the policy passes', async () => {
    const stranger = await newKey();
    const verdict = await check(
      [
        cip('either', {
          images: glob(legacy),
          authorities: [
            { name: 'stranger-key', ...keyAuthority(stranger) },
            { name: 'ci', ...keyless({ issuer: ISSUER, subject: SUBJECT }) },
          ],
        }),
      ],
      legacy.ref,
    );
    expect(verdict.allowed).toBe(true);
    expect(verdict.policies[0]?.authorities.map((a) => [a.name, a.passed])).toEqual([
      ['stranger-key', false],
      ['ci', true],
    ]);
  });

  it('row K7: keyless attestation with the predicate type and a CEL policy that holds', async () => {
    const attestation = (expression: string) =>
      keyless(
        { issuer: ISSUER, subject: SUBJECT },
        {
          attestations: [
            {
              name: 'provenance',
              predicateType: PROVENANCE,
              policy: { type: 'cel', data: expression },
            },
          ],
        },
      );
    const holds = await check(
      [
        cip('built-here', {
          images: glob(bundled),
          authorities: [attestation("predicate.builder.id == 'https://ci.vouch.test/builder'")],
        }),
      ],
      bundled.ref,
    );
    expect(holds).toMatchObject({ allowed: true, errors: [] });
    const fails = await check(
      [
        cip('built-here', {
          images: glob(bundled),
          authorities: [attestation("predicate.builder.id == 'https://elsewhere.example/builder'")],
        }),
      ],
      bundled.ref,
    );
    expect(fails).toMatchObject({ allowed: false });
    expect(fails.errors[0]).toMatch(
      /^failed policy: built-here: attestation keyless validation failed for authority authority-0/,
    );
  });

  it('row K10: a keyless .att attestation of another predicate type names the types it found', async () => {
    const sbom = 'https://cyclonedx.org/bom';
    const verdict = await check(
      [
        cip('sbom', {
          images: glob(legacy),
          authorities: [
            keyless(
              { issuer: ISSUER, subject: SUBJECT },
              { attestations: [{ name: 'sbom', predicateType: sbom }] },
            ),
          ],
        }),
      ],
      legacy.ref,
    );
    expect(verdict).toMatchObject({ allowed: false, failure: 'signature' });
    expect(verdict.errors[0]).toContain(
      `no matching attestations with type ${sbom}, checked the following predicateTypes: "${PROVENANCE}"`,
    );
    const signatures = verdict.policies[0]?.authorities[0]?.signatures ?? [];
    expect(signatures.map((signature) => signature.otherPredicateType)).toContain(PROVENANCE);
  });

  it('row K9: a policy-level CEL condition reads the keyless signer (subject and issuer)', async () => {
    const reading = (expression: string) =>
      cip('ci-signer', {
        images: glob(legacy),
        authorities: [{ name: 'ci', ...keyless({ issuer: ISSUER, subject: SUBJECT }) }],
        policy: { type: 'cel', data: expression },
      });
    const holds = await check(
      [
        reading(
          `authorityMatches.ci.signatures[0].subject == "${SUBJECT}" && ` +
            `authorityMatches.ci.signatures[0].issuer == "${ISSUER}"`,
        ),
      ],
      legacy.ref,
    );
    expect(holds).toMatchObject({ allowed: true, errors: [] });
    const fails = await check(
      [reading('authorityMatches.ci.signatures[0].subject.startsWith("https://github.com/mallory/")')],
      legacy.ref,
    );
    expect(fails).toMatchObject({ allowed: false, failure: 'policy' });
  });

  it('row K8: a keyless signature from a CA the TrustRoot does not trust fails', async () => {
    const untrusted = await pushImage(setup, registry.host, 'acme/untrusted-ca');
    await signLegacy(
      setup,
      untrusted.target,
      sigstoreSigner(sigstore, { identity: { uri: SUBJECT, issuer: ISSUER }, ca: 'untrusted' }),
      {},
    );
    const verdict = await check(
      [cip('ci', { images: glob(untrusted), authorities: [keyless({ issuer: ISSUER, subject: SUBJECT })] })],
      untrusted.ref,
    );
    expect(verdict).toMatchObject({ allowed: false, failure: 'signature' });
  });
});
