import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../../src/reference/index.js';
import { RegistryClient } from '../../src/registry/index.js';
import { ImageArtefacts, parsePublicKey } from '../../src/signature/index.js';
import {
  type KeylessPolicy,
  keyAuthority,
  keylessAuthority,
  publicGoodTrustedRoot,
  rekorKey,
  type SignatureAuthority,
  type TrustedRoot,
  verifySignatures,
  withPrivatePki,
  withRekorKeys,
} from '../../src/verify/index.js';
import { startRegistry, type TestRegistry } from '../harness/index.js';
import { fixtureDescriptor, fixtureText, readCase } from '../signature/cosign-fixtures.js';
import { placeFixture, pushLegacyManifest } from '../signature/helpers.js';

/**
 * The real-cosign fixtures replayed through a real registry: the signed manifest is placed in the
 * registry's storage (its blobs are not part of the fixtures, so it cannot be pushed), the `.sig`
 * manifest is pushed from the fixture's signature layers, and the image is verified by digest.
 */
describe('real cosign fixtures through a real registry', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  const cosignPub = parsePublicKey(fixtureText('cosign.pub'));
  const cosign2Pub = parsePublicKey(fixtureText('cosign2.pub'));
  const rekorPub = parsePublicKey(fixtureText('rekor.pub'));

  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient();
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  async function replay(name: string, authority: SignatureAuthority = keyAuthority({ keys: [cosignPub] })) {
    const repository = `fixtures/${name}`;
    const repo = { registry: registry.host, repository };
    const placed = await placeFixture(registry, client, name, repository);
    const { digest } = await client.resolve(parseReference(`${registry.host}/${repository}:latest`));
    expect(digest).toBe(placed);
    client.stats.reset();
    const outcome = await verifySignatures(new ImageArtefacts(client, { ...repo, digest }), authority);
    return { outcome, digest };
  }

  it('dir-img-cosign-valid: pass with cosign.pub, fail with cosign2.pub', async () => {
    const { outcome } = await replay('dir-img-cosign-valid');
    expect(outcome.passed).toBe(true);
    expect(outcome.tlog?.status).toBe('not-checked');
    // The .sig manifest and one payload blob: the referrers are never asked.
    expect(client.stats.snapshot()).toEqual({ total: 2, byKind: { 'manifest-get': 1, 'blob-get': 1 } });
    const other = await replay('dir-img-cosign-valid', keyAuthority({ keys: [cosign2Pub] }));
    expect(other.outcome.passed).toBe(false);
    expect(other.outcome.failure).toBe('signature');
    expect(other.outcome.reason).toMatch(/does not verify over the payload with key/);
  });

  it('dir-img-cosign-valid-2: pass, both signatures good', async () => {
    const { outcome } = await replay('dir-img-cosign-valid-2');
    expect(outcome.passed).toBe(true);
    expect(outcome.signatures.filter((s) => s.verified)).toHaveLength(2);
  });

  it('dir-img-cosign-valid-with-tag: pass (docker-reference ignored)', async () => {
    expect((await replay('dir-img-cosign-valid-with-tag')).outcome.passed).toBe(true);
  });

  it('dir-img-cosign-key-rekor-valid: pass with its key and rekor.pub, fail with cosign.pub as Rekor key', async () => {
    const good = await replay(
      'dir-img-cosign-key-rekor-valid',
      keyAuthority({ keys: [cosign2Pub], rekorKeys: [rekorKey(rekorPub)] }),
    );
    expect(good.outcome.passed).toBe(true);
    expect(good.outcome.tlog).toMatchObject({
      status: 'verified',
      detail: expect.stringContaining('11608800'),
    });
    const bad = await replay(
      'dir-img-cosign-key-rekor-valid',
      keyAuthority({ keys: [cosign2Pub], rekorKeys: [rekorKey(cosignPub)] }),
    );
    expect(bad.outcome.passed).toBe(false);
    expect(bad.outcome.reason).toMatch(/not a trusted Rekor key/);
  });

  it('dir-img-cosign-mixed: pass, one good signature suffices', async () => {
    const { outcome } = await replay('dir-img-cosign-mixed');
    expect(outcome.passed).toBe(true);
    expect(outcome.signatures.map((s) => s.verified).sort()).toEqual([false, true]);
  });

  it('dir-img-cosign-modified-manifest: fail, the payload names another manifest', async () => {
    const { outcome, digest } = await replay('dir-img-cosign-modified-manifest');
    expect(outcome.passed).toBe(false);
    expect(outcome.reason).toContain(
      `names sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00, not ${digest}`,
    );
  });

  it('dir-img-cosign-manifest-digest-error: fail, the schema-1 manifest is not what was signed', async () => {
    const { outcome } = await replay('dir-img-cosign-manifest-digest-error');
    expect(outcome.passed).toBe(false);
    expect(outcome.reason).toMatch(/names sha256:634a8f35.*, not sha256:dc6d2c1a/);
  });

  it('dir-img-cosign-other-attachment: fail, a text/plain layer never counts', async () => {
    const { outcome } = await replay('dir-img-cosign-other-attachment');
    expect(outcome.passed).toBe(false);
    expect(outcome.reason).toMatch(/text\/plain, not a simple-signing payload/);
  });

  it('dir-img-cosign-no-manifest: fail, there is no image to verify against', async () => {
    const fixture = readCase('dir-img-cosign-no-manifest');
    const repo = { registry: registry.host, repository: 'fixtures/no-manifest' };
    const digest = 'sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00';
    await pushLegacyManifest(
      client,
      repo,
      digest,
      fixture.signatures.map((signature) => ({
        blob: signature.payload,
        descriptor: fixtureDescriptor(signature),
      })),
    );
    await expect(
      client.resolve(parseReference(`${registry.host}/fixtures/no-manifest@${digest}`)),
    ).rejects.toMatchObject({
      code: 'MANIFEST_UNKNOWN',
    });
  });

  describe('keyless rows', () => {
    const keyless = (policy: KeylessPolicy, trustedRoot: TrustedRoot = publicGoodTrustedRoot()) =>
      keylessAuthority({ policy, trustedRoot });
    const mitr = { subject: 'mitr@redhat.com', issuer: 'https://github.com/login/oauth' };

    it('dir-img-cosign-fulcio-rekor-valid: pass with its identity and the embedded public-good root', async () => {
      const { outcome } = await replay('dir-img-cosign-fulcio-rekor-valid', keyless({ identities: [mitr] }));
      expect(outcome).toMatchObject({ type: 'keyless', passed: true, tlog: { status: 'verified' } });
      expect(outcome.reason).toContain('signed by mitr@redhat.com (issuer https://github.com/login/oauth)');
      expect(outcome.tlog?.detail).toContain('https://rekor.sigstore.dev');
    });

    it('dir-img-cosign-fulcio-rekor-valid: fail with another identity, another issuer, or a Rekor key that did not sign the entry', async () => {
      const name = 'dir-img-cosign-fulcio-rekor-valid';
      const identity = await replay(
        name,
        keyless({ identities: [{ ...mitr, subject: 'someone@redhat.com' }] }),
      );
      expect(identity.outcome).toMatchObject({ passed: false, failure: 'signature' });
      expect(identity.outcome.reason).toContain('[IDENTITY_MISMATCH]');
      expect(identity.outcome.reason).toContain('"mitr@redhat.com"');
      const issuer = await replay(
        name,
        keyless({ identities: [{ ...mitr, issuer: 'https://accounts.google.com' }] }),
      );
      expect(issuer.outcome.passed).toBe(false);
      expect(issuer.outcome.reason).toContain('[ISSUER_MISMATCH]');
      const otherRekor = await replay(
        name,
        keyless({ identities: [mitr] }, withRekorKeys(publicGoodTrustedRoot(), [cosignPub])),
      );
      expect(otherRekor.outcome.passed).toBe(false);
      expect(otherRekor.outcome.reason).toContain('which is not a trusted Rekor key [TLOG_UNTRUSTED]');
      const fixtureRekor = await replay(
        name,
        keyless({ identities: [mitr] }, withRekorKeys(publicGoodTrustedRoot(), [rekorPub])),
      );
      expect(fixtureRekor.outcome.passed).toBe(true);
    });

    it('dir-img-cosign-fulcio-rekor-valid: a key authority does not accept a keyless signature', async () => {
      const { outcome } = await replay(
        'dir-img-cosign-fulcio-rekor-valid',
        keyAuthority({ keys: [cosignPub] }),
      );
      expect(outcome.passed).toBe(false);
    });

    it('dir-img-cosign-pki-valid: pass with the private PKI and its identity; fail with another identity or issuer', async () => {
      const name = 'dir-img-cosign-pki-valid';
      const trustedRoot = withPrivatePki(publicGoodTrustedRoot(), {
        roots: fixtureText('pki_root_crts.pem'),
        intermediates: fixtureText('pki_intermediate_crts.pem'),
      });
      // No SCT and no Rekor entry: cosign verifies it with --insecure-ignore-sct --insecure-ignore-tlog.
      const policy = (identity: KeylessPolicy['identities'][number]) =>
        keyless({ identities: [identity], insecureIgnoreSct: true, insecureIgnoreTlog: true }, trustedRoot);
      const good = await replay(name, policy({ subject: 'qiwan@redhat.com', issuerRegExp: '.*' }));
      expect(good.outcome).toMatchObject({
        passed: true,
        tlog: { status: 'ignored' },
        warnings: [
          'SCT check skipped (--insecure-ignore-sct)',
          'transparency log check skipped (--insecure-ignore-tlog)',
        ],
      });
      expect(good.outcome.reason).toContain('signed by qiwan@redhat.com, myhost.example.com (issuer none)');
      const identity = await replay(name, policy({ subject: 'mitr@redhat.com', issuerRegExp: '.*' }));
      expect(identity.outcome.reason).toContain('[IDENTITY_MISMATCH]');
      const issuer = await replay(
        name,
        policy({ subject: 'qiwan@redhat.com', issuer: 'https://accounts.google.com' }),
      );
      expect(issuer.outcome.reason).toContain('[ISSUER_MISMATCH]');
      const publicGood = await replay(
        name,
        keyless({
          identities: [{ subject: 'qiwan@redhat.com', issuerRegExp: '.*' }],
          insecureIgnoreSct: true,
          insecureIgnoreTlog: true,
        }),
      );
      expect(publicGood.outcome.reason).toContain('[UNTRUSTED_CA]');
    });
  });
});
