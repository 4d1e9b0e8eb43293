import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/reference/index.js';
import { parsePublicKey } from '../../src/signature/index.js';
import { checkLegacySignatureWithKey, keyAuthority, rekorKey } from '../../src/verify/index.js';
import {
  FIXTURES,
  fixtureLayer,
  fixtureText,
  readCase,
  readFixtureSignature,
} from '../signature/cosign-fixtures.js';

/**
 * Every key-based row of the verdict table in test/fixtures/cosign-real/README.md, replayed into the
 * per-signature verifier with the image digest computed from the case's manifest. (The same cases go
 * through a real registry end to end in test/verify/fixtures-registry.test.ts.) The keyless rows
 * (fulcio-rekor-valid, pki-valid) need the keyless verifier; their key-based failure is checked here.
 */
const cosignPub = parsePublicKey(fixtureText('cosign.pub'), 'cosign.pub');
const cosign2Pub = parsePublicKey(fixtureText('cosign2.pub'), 'cosign2.pub');
const rekorPub = parsePublicKey(fixtureText('rekor.pub'), 'rekor.pub');
const withCosign = keyAuthority({ keys: [cosignPub] });

function checkCase(name: string, authority = withCosign) {
  const fixture = readCase(name);
  if (!fixture.manifest) throw new Error(`${name} has no manifest`);
  const digest = sha256Digest(fixture.manifest);
  return fixture.signatures.map((signature) =>
    checkLegacySignatureWithKey(fixtureLayer(signature), authority, digest),
  );
}

describe('real cosign fixtures, key-based rows', () => {
  it('dir-img-cosign-valid passes with cosign.pub', () => {
    const [check] = checkCase('dir-img-cosign-valid');
    expect(check?.outcome.verified).toBe(true);
    expect(check?.outcome.reason).toContain(cosignPub.fingerprint);
    expect(check?.tlog?.status).toBe('not-checked');
  });

  it('dir-img-cosign-valid fails with cosign2.pub', () => {
    const [check] = checkCase('dir-img-cosign-valid', keyAuthority({ keys: [cosign2Pub] }));
    expect(check?.outcome.verified).toBe(false);
    expect(check?.outcome.reason).toMatch(/does not verify over the payload with key/);
  });

  it('dir-img-cosign-valid-2 passes: both signatures verify', () => {
    const checks = checkCase('dir-img-cosign-valid-2');
    expect(checks).toHaveLength(2);
    expect(checks.every((check) => check.outcome.verified)).toBe(true);
  });

  it('dir-img-cosign-valid-with-tag passes although docker-reference carries a tag', () => {
    const fixture = readCase('dir-img-cosign-valid-with-tag');
    expect(fixture.signatures[0]?.payload.toString()).toContain('skopeo-signed:tag');
    const [check] = checkCase('dir-img-cosign-valid-with-tag');
    expect(check?.outcome.verified).toBe(true);
  });

  // The README's table says cosign.pub for this case, but the signature (and the key recorded in its
  // Rekor entry) is cosign2.pub's, as in containers/image's own tests; cosign.pub does not verify it.
  it('dir-img-cosign-key-rekor-valid passes with cosign2.pub and rekor.pub, SET checked', () => {
    const [check] = checkCase(
      'dir-img-cosign-key-rekor-valid',
      keyAuthority({ keys: [cosign2Pub], rekorKeys: [rekorKey(rekorPub)] }),
    );
    expect(check?.outcome.verified).toBe(true);
    expect(check?.tlog?.status).toBe('verified');
    expect(check?.tlog?.detail).toContain('11608800');
  });

  it('dir-img-cosign-key-rekor-valid is not signed by cosign.pub', () => {
    const [check] = checkCase('dir-img-cosign-key-rekor-valid');
    expect(check?.outcome.verified).toBe(false);
    expect(check?.outcome.reason).toMatch(/does not verify/);
  });

  it('dir-img-cosign-key-rekor-valid fails when the Rekor key given is cosign.pub', () => {
    const [check] = checkCase(
      'dir-img-cosign-key-rekor-valid',
      keyAuthority({ keys: [cosign2Pub], rekorKeys: [rekorKey(cosignPub)] }),
    );
    expect(check?.outcome.verified).toBe(false);
    expect(check?.outcome.reason).toMatch(/not a trusted Rekor key/);
  });

  it('dir-img-cosign-key-rekor-valid: a tampered SET fails', () => {
    const fixture = readCase('dir-img-cosign-key-rekor-valid');
    const signature = fixture.signatures[0];
    if (!signature || !fixture.manifest) throw new Error('fixture missing');
    const bundle = JSON.parse(signature.annotations['dev.sigstore.cosign/bundle'] as string);
    bundle.Payload.integratedTime += 1;
    const tampered = {
      ...signature,
      annotations: { ...signature.annotations, 'dev.sigstore.cosign/bundle': JSON.stringify(bundle) },
    };
    const check = checkLegacySignatureWithKey(
      fixtureLayer(tampered),
      keyAuthority({ keys: [cosign2Pub], rekorKeys: [rekorKey(rekorPub)] }),
      sha256Digest(fixture.manifest),
    );
    expect(check.outcome.verified).toBe(false);
    expect(check.outcome.reason).toMatch(/signed entry timestamp does not verify/);
  });

  it('a genuine Rekor bundle moved onto another signature does not vouch for it', () => {
    const logged = readCase('dir-img-cosign-key-rekor-valid').signatures[0];
    const other = readCase('dir-img-cosign-valid');
    const signature = other.signatures[0];
    if (!logged || !signature || !other.manifest) throw new Error('fixture missing');
    const moved = {
      ...signature,
      annotations: {
        ...signature.annotations,
        'dev.sigstore.cosign/bundle': logged.annotations['dev.sigstore.cosign/bundle'] as string,
      },
    };
    const check = checkLegacySignatureWithKey(
      fixtureLayer(moved),
      keyAuthority({ keys: [cosignPub], rekorKeys: [rekorKey(rekorPub)] }),
      sha256Digest(other.manifest),
    );
    expect(check.outcome.verified).toBe(false);
    expect(check.outcome.reason).toBe('the Rekor entry records a different signature');
  });

  it('dir-img-cosign-mixed passes because one of its two signatures is good', () => {
    const checks = checkCase('dir-img-cosign-mixed');
    expect(checks.map((check) => check.outcome.verified).sort()).toEqual([false, true]);
  });

  it('dir-img-cosign-modified-manifest fails: the payload names another digest', () => {
    const [check] = checkCase('dir-img-cosign-modified-manifest');
    expect(check?.outcome.verified).toBe(false);
    expect(check?.outcome.reason).toMatch(/names sha256:634a8f35.*, not sha256:d9dcafdb/);
  });

  it('dir-img-cosign-manifest-digest-error fails: the schema-1 manifest is not what was signed', () => {
    const [check] = checkCase('dir-img-cosign-manifest-digest-error');
    expect(check?.outcome.verified).toBe(false);
    expect(check?.outcome.reason).toMatch(/names sha256:634a8f35.*, not sha256:dc6d2c1a/);
  });

  it('dir-img-cosign-other-attachment fails: a text/plain layer never counts', () => {
    const [check] = checkCase('dir-img-cosign-other-attachment');
    expect(check?.outcome.verified).toBe(false);
    expect(check?.outcome.reason).toMatch(/text\/plain, not a simple-signing payload/);
  });

  it('unknown-cosign-key.signature fails with cosign.pub', () => {
    const signature = readFixtureSignature(`${FIXTURES}/unknown-cosign-key.signature`);
    const manifest = readCase('dir-img-cosign-valid').manifest as Buffer;
    const check = checkLegacySignatureWithKey(fixtureLayer(signature), withCosign, sha256Digest(manifest));
    expect(check.outcome.verified).toBe(false);
    expect(check.outcome.reason).toMatch(/does not verify/);
  });

  it('keyless cases do not pass a key authority (their keyless verification is the keyless verifier)', () => {
    for (const name of ['dir-img-cosign-fulcio-rekor-valid', 'dir-img-cosign-pki-valid']) {
      const [check] = checkCase(name);
      expect(check?.outcome.verified).toBe(false);
    }
  });
});
