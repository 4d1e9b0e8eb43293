/**
 * Semantic equivalence on a real registry: source policies (the tools' own published examples, with
 * keys these tests generate and a loopback registry substituted for the examples' keys and images) are
 * imported, and the imported ClusterImagePolicies give — through `vouch verify --policy` and through the
 * webhook — the verdict the source tool documents for each image, signed and not signed as each rule
 * demands. Notation rows wait for the Notation format.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/index.js';
import type { PrivateKey } from '../../src/signature/index.js';
import { signLegacy } from '../../src/signature/index.js';
import { attest, newKey, type PushedImage, pushImage, sign } from '../engine/helpers.js';
import { podSpec, review, workload } from '../gates/admission/reviews.js';
import { runVouch, startRegistry, type TestRegistry, tempDir } from '../harness/index.js';
import { type RunningWebhook, startWebhookProcess } from '../harness/webhook.js';
import { createTestSigstore, type TestSigstore } from '../sigstore/index.js';
import { sigstoreSigner } from '../sigstore/signer.js';
import { FIXTURES } from './helpers.js';

const KYVERNO_KEY =
  /-----BEGIN PUBLIC KEY-----\s+MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8nXRh950IZbRj8Ra\/N9sbqOPZrfM\s+5\/KAQN0\/KjHcorm\/J5yctVd7iEcnessRQjU917hmKO6JWVGHpDguIyakZA==\s+-----END PUBLIC KEY-----/;
const PROVENANCE = 'https://slsa.dev/provenance/v0.2';
const BUILDER =
  'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

/** A PEM block indented for a YAML block scalar at `indent` spaces. */
function indented(pem: string, indent: number): string {
  return pem
    .trim()
    .split('\n')
    .map((line) => `${' '.repeat(indent)}${line}`)
    .join('\n');
}

describe('imported policies give the verdicts the source tools document', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let sigstore: TestSigstore;
  const keys: Record<'alice' | 'bob' | 'charlie', PrivateKey> = {} as never;
  const images: Record<string, PushedImage> = {};

  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient();
    sigstore = await createTestSigstore();
    keys.alice = await newKey();
    keys.bob = await newKey();
    keys.charlie = await newKey();
    const push = async (name: string, repository: string, tag: string, signers: PrivateKey[]) => {
      images[name] = await pushImage(client, registry.host, repository, tag);
      for (const key of signers) await sign(client, images[name] as PushedImage, key);
    };
    // Kyverno's keyed conformance image, signed and not.
    await push('kyverno-signed', 'kyverno/test-verify-image', 'signed', [keys.alice]);
    await push('kyverno-unsigned', 'kyverno/test-verify-image', 'unsigned', []);
    await push('kyverno-other', 'kyverno/test-verify-image', 'signed-by-other', [keys.bob]);
    // Counts over three keys.
    await push('multi-a', 'acme/multi', 'a', [keys.alice]);
    await push('multi-ab', 'acme/multi', 'ab', [keys.alice, keys.bob]);
    await push('multi-abc', 'acme/multi', 'abc', [keys.alice, keys.bob, keys.charlie]);
    await push('multi-bc', 'acme/multi', 'bc', [keys.bob, keys.charlie]);
    // Provenance attestations by alice: from the expected builder, and from another.
    await push('zulu-good', 'kyverno/zulu', 'good', []);
    await attest(client, images['zulu-good'] as PushedImage, keys.alice, PROVENANCE, {
      builder: { id: BUILDER },
    });
    await push('zulu-bad', 'kyverno/zulu', 'bad', []);
    await attest(client, images['zulu-bad'] as PushedImage, keys.alice, PROVENANCE, {
      builder: { id: 'https://ci.example/evil' },
    });
    // Keyless, from the test Sigstore: the expected workflow, and another.
    const keyless = async (name: string, subject: string) => {
      images[name] = await pushImage(client, registry.host, 'fluxcd/source-controller', name);
      await signLegacy(
        client,
        (images[name] as PushedImage).target,
        sigstoreSigner(sigstore, { identity: { uri: subject, issuer: ISSUER } }),
        {},
      );
    };
    await keyless(
      'flux-signed',
      'https://github.com/fluxcd/source-controller/.github/workflows/release.yml@refs/tags/v1.0.0',
    );
    await keyless(
      'flux-forged',
      'https://github.com/mallory/source-controller/.github/workflows/release.yml@refs/tags/v1.0.0',
    );
    // Connaisseur's multi-signature images (test/integration/cosign/cases.yaml).
    const testimage = 'securesystemsengineering/testimage';
    await push('co-alice', testimage, 'multi-cosigned-alice', [keys.alice]);
    await push('co-alice-bob-charlie', testimage, 'multi-cosigned-alice-bob-charlie', [
      keys.alice,
      keys.bob,
      keys.charlie,
    ]);
    await push('co-bob', testimage, 'multi-cosigned-bob', [keys.bob]);
    await push('co-bob-charlie', testimage, 'multi-cosigned-bob-charlie', [keys.bob, keys.charlie]);
    await push('co-charlie', testimage, 'multi-cosigned-charlie', [keys.charlie]);
    await push('co-charlie-alice', testimage, 'multi-cosigned-charlie-alice', [keys.charlie, keys.alice]);
    await push('co-unmatched', 'elsewhere/app', 'v1', [keys.alice]);
    // Ratify's cosign sample: any image, signed by the inline key.
    await push('ratify-signed', 'net-monitor', 'v1', [keys.alice]);
    await push('ratify-unsigned', 'net-monitor', 'v2', []);
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  /**
   * Connaisseur's cosign integration values, reduced to the multi validator (its keys replaced by
   * alice's, bob's and charlie's) and its rules, with the chart's static deny for everything else.
   */
  async function connaisseurMulti(): Promise<string> {
    const fixture = await readFile(join(FIXTURES, 'connaisseur/integration/cosign.yaml'), 'utf8');
    const multi = fixture.slice(
      fixture.indexOf('    - name: multi\n'),
      fixture.indexOf('    - name: rekor-cosign'),
    );
    const pems = multi.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
    let validators = multi;
    pems.forEach((pem, i) => {
      validators = validators.replace(
        pem,
        indented(([keys.alice, keys.bob, keys.charlie][i] as PrivateKey).publicKey.pem, 12).trimStart(),
      );
    });
    const rules = fixture.slice(
      fixture.indexOf('    - pattern: securesystemsengineering/testimage:multi-cosigned-alice*'),
      fixture.indexOf('    - pattern: securesystemsengineering/testimage:rekor-*'),
    );
    return `application:\n  validators:\n    - name: deny\n      type: static\n      approve: false\n${validators}  policy:\n    - pattern: "*:*"\n      validator: deny\n${rules}`;
  }

  /** Imports `text` (written to a file) and returns the output directory. */
  async function imported(tool: string, text: string, expectedExit: number): Promise<string> {
    const dir = await tempDir('equivalence');
    const source = join(dir, 'source.yaml');
    await writeFile(source, text);
    const out = join(dir, 'policies');
    const result = await runVouch(['policy', 'import', '--from', tool, source, '--out', out]);
    expect(result.code, result.stderr).toBe(expectedExit);
    return out;
  }

  /** `vouch verify --policy` over every image at once: each image's verdict from the JSON output. */
  async function expectVerdicts(policies: string, cases: [string, 'allowed' | 'denied'][]): Promise<void> {
    const refs = cases.map(([name]) => (images[name] as PushedImage).ref);
    const result = await runVouch(['verify', '--policy', policies, '--output', 'json', ...refs]);
    expect(result.code, result.stderr).toBe(cases.some(([, expected]) => expected === 'denied') ? 1 : 0);
    const verdicts = JSON.parse(result.stdout) as { image: string; allowed: boolean }[];
    const got = cases.map(([name]) => [
      name,
      verdicts.find((verdict) => verdict.image === (images[name] as PushedImage).ref)?.allowed
        ? 'allowed'
        : 'denied',
    ]);
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(cases));
  }

  it("Kyverno keyed-basic: the signed image is admitted, unsigned and other-key images denied (Kyverno's conformance test)", async () => {
    const fixture = await readFile(join(FIXTURES, 'kyverno/verify-images/keyed-basic.yaml'), 'utf8');
    const text = fixture
      .replace(KYVERNO_KEY, indented(keys.alice.publicKey.pem, 14).trimStart())
      .replace('ghcr.io/kyverno/test-verify-image:*', `${registry.host}/kyverno/test-verify-image:*`);
    // Only the tag-and-digest difference is reported for this policy: exit 1.
    const out = await imported('kyverno', text, 1);
    await expectVerdicts(out, [
      ['kyverno-signed', 'allowed'],
      ['kyverno-unsigned', 'denied'],
      ['kyverno-other', 'denied'],
      // No rule matches: Kyverno admits it, and so does the import (no-match-policy: allow).
      ['multi-a', 'allowed'],
    ]);
  });

  it('Kyverno attestor counts: all entries by default, N of M with count, nested sets', async () => {
    const entry = (key: PrivateKey) =>
      `{keys: {publicKeys: ${JSON.stringify(key.publicKey.pem)}, rekor: {ignoreTlog: true}}}`;
    const policy = (name: string, attestors: string) => `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: ${name}}
spec:
  validationFailureAction: Enforce
  rules:
    - name: keys
      match: {any: [{resources: {kinds: [Pod]}}]}
      verifyImages:
        - imageReferences: ["${registry.host}/acme/multi*"]
          attestors: ${attestors}
`;
    const all = await imported(
      'kyverno',
      policy('all', `[{entries: [${entry(keys.alice)}, ${entry(keys.bob)}, ${entry(keys.charlie)}]}]`),
      0,
    );
    await expectVerdicts(all, [
      ['multi-ab', 'denied'],
      ['multi-abc', 'allowed'],
    ]);
    const two = await imported(
      'kyverno',
      policy(
        'two',
        `[{count: 2, entries: [${entry(keys.alice)}, ${entry(keys.bob)}, ${entry(keys.charlie)}]}]`,
      ),
      0,
    );
    await expectVerdicts(two, [
      ['multi-a', 'denied'],
      ['multi-ab', 'allowed'],
      ['multi-bc', 'allowed'],
    ]);
    // alice and (bob or charlie)
    const nested = await imported(
      'kyverno',
      policy(
        'nested',
        `[{entries: [${entry(keys.alice)}, {attestor: {count: 1, entries: [${entry(keys.bob)}, ${entry(keys.charlie)}]}}]}]`,
      ),
      0,
    );
    await expectVerdicts(nested, [
      ['multi-a', 'denied'],
      ['multi-bc', 'denied'],
      ['multi-ab', 'allowed'],
    ]);
    // Two attestor sets: both must pass.
    const sets = await imported(
      'kyverno',
      policy('sets', `[{entries: [${entry(keys.alice)}]}, {entries: [${entry(keys.charlie)}]}]`),
      0,
    );
    await expectVerdicts(sets, [
      ['multi-ab', 'denied'],
      ['multi-abc', 'allowed'],
    ]);
  });

  it("Kyverno attestation conditions (the multiple-subjects conformance policy, with a key): the builder's provenance passes, another builder's is denied", async () => {
    const fixture = await readFile(
      join(FIXTURES, 'kyverno/verify-images/keyless-attestations-multiple-subjects-1.yaml'),
      'utf8',
    );
    // vouch verify has no Kubernetes object, so the pods-only autogen setting (a match rule) is left out here.
    const text = fixture
      .replace('    pod-policies.kyverno.io/autogen-controllers: none\n', '')
      .replace(
        /- keyless:\n(\s+)ctlog:\n\s+ignoreSCT: true\n\s+issuer: .*\n\s+rekor:\n\s+url: .*\n\s+subject: .*\n/,
        (_, indent: string) =>
          `- keys:\n${indent}publicKeys: ${JSON.stringify(keys.alice.publicKey.pem)}\n${indent}rekor: {ignoreTlog: true}\n`,
      )
      .replace('ghcr.io/kyverno/zulu*', `${registry.host}/kyverno/zulu*`);
    const out = await imported('kyverno', text, 1);
    await expectVerdicts(out, [
      ['zulu-good', 'allowed'],
      ['zulu-bad', 'denied'],
    ]);
  });

  it("Kyverno keyless with custom roots and log keys (Flux's guide, with the test Sigstore's roots): the Flux workflow passes, another is denied", async () => {
    const fixture = await readFile(join(FIXTURES, 'kyverno/flux/verify-flux-images.yaml'), 'utf8');
    const text = fixture
      .replaceAll('ghcr.io/fluxcd/', `${registry.host}/fluxcd/`)
      .replace(
        '                    rekor:\n                      url: https://rekor.sigstore.dev',
        [
          '                    rekor:',
          `                      url: ${sigstore.rekor.baseUrl}`,
          `                      pubkey: ${JSON.stringify(sigstore.rekor.keyPair.publicKeyPem)}`,
          `                    ctlog: {pubkey: ${JSON.stringify(sigstore.ctlog.keyPair.publicKeyPem)}}`,
          `                    roots: ${JSON.stringify(sigstore.ca.root.pem)}`,
        ].join('\n'),
      );
    const out = await imported('kyverno', text, 1);
    await expectVerdicts(out, [
      ['flux-signed', 'allowed'],
      ['flux-forged', 'denied'],
    ]);
  });

  it('Connaisseur multi-signature rules (its cosign integration test): threshold and required as its cases document', async () => {
    const text = await connaisseurMulti();
    const out = await imported('connaisseur', text, 1);
    await expectVerdicts(out, [
      ['co-alice', 'denied'],
      ['co-alice-bob-charlie', 'allowed'],
      ['co-bob', 'denied'],
      ['co-bob-charlie', 'allowed'],
      ['co-charlie', 'denied'],
      ['co-charlie-alice', 'allowed'],
      ['co-unmatched', 'denied'],
    ]);
  });

  it("Ratify's cosign verifier sample with an inline key provider: signed images pass, unsigned ones are denied", async () => {
    const verifier = await readFile(
      join(FIXTURES, 'ratify/samples/clustered-verifier-config_v1beta1_verifier_cosign.yaml'),
      'utf8',
    );
    const provider = `apiVersion: config.ratify.deislabs.io/v1beta1
kind: KeyManagementProvider
metadata: {name: ratify-cosign-inline-key-0}
spec:
  type: inline
  parameters:
    contentType: key
    value: ${JSON.stringify(keys.alice.publicKey.pem)}
`;
    const out = await imported('ratify', `${verifier}\n---\n${provider}`, 1);
    await expectVerdicts(out, [
      ['ratify-signed', 'allowed'],
      ['ratify-unsigned', 'denied'],
    ]);
  });

  describe('through the webhook', () => {
    let webhook: RunningWebhook | undefined;
    afterAll(async () => {
      await webhook?.stop();
    });

    const admit = async (kind: string, image: PushedImage) =>
      (
        await webhook?.admit(
          review({ kind, operation: 'CREATE', object: workload(kind, podSpec({ containers: [image.ref] })) }),
        )
      )?.allowed;

    it("admits and denies Pods and Deployments as Kyverno's keyed-basic policy does", async () => {
      const kyverno = await readFile(join(FIXTURES, 'kyverno/verify-images/keyed-basic.yaml'), 'utf8');
      const out = await imported(
        'kyverno',
        kyverno
          .replace(KYVERNO_KEY, indented(keys.alice.publicKey.pem, 14).trimStart())
          .replace('ghcr.io/kyverno/test-verify-image:*', `${registry.host}/kyverno/test-verify-image:*`),
        1,
      );
      webhook = await startWebhookProcess({ policy: [out] });
      expect(await admit('Pod', images['kyverno-signed'] as PushedImage)).toBe(true);
      expect(await admit('Deployment', images['kyverno-signed'] as PushedImage)).toBe(true);
      expect(await admit('Pod', images['kyverno-unsigned'] as PushedImage)).toBe(false);
      // Kyverno's autogen checks the Deployment too.
      expect(await admit('Deployment', images['kyverno-other'] as PushedImage)).toBe(false);
      expect(await admit('Pod', images['multi-a'] as PushedImage)).toBe(true);
      await webhook.stop();
      webhook = undefined;
    });

    it("admits and denies Pods as Connaisseur's threshold and required rules do", async () => {
      const out = await imported('connaisseur', await connaisseurMulti(), 1);
      webhook = await startWebhookProcess({ policy: [out] });
      expect(await admit('Pod', images['co-bob-charlie'] as PushedImage)).toBe(true);
      expect(await admit('Pod', images['co-bob'] as PushedImage)).toBe(false);
      expect(await admit('Pod', images['co-charlie-alice'] as PushedImage)).toBe(true);
      expect(await admit('Pod', images['co-charlie'] as PushedImage)).toBe(false);
      expect(await admit('Pod', images['co-unmatched'] as PushedImage)).toBe(false);
    });
  });
});
