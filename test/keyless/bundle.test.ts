import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, VerificationError, Verifier } from '@sigstore/verify';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BundleArtifact, verifyBundle } from '../../src/verify/keyless/bundle.js';
import type { KeylessPolicy } from '../../src/verify/keyless/policy.js';
import { trustMaterialFor } from '../../src/verify/trust/material.js';
import { parseTrustedRoot, type TrustedRoot } from '../../src/verify/trust/trusted-root.js';
import {
  type BundleJson,
  createTestSigstore,
  newKeyPair,
  type TestKeyPair,
  type TestSigstore,
} from '../sigstore/index.js';

const artifact = Buffer.from('the artifact that was signed\n');
const artifactDigest = `sha256:${createHash('sha256').update(artifact).digest('hex')}`;

let sigstore: TestSigstore;
let trustedRoot: TrustedRoot;
let keyless: { keyless: KeylessPolicy };
let statement: Record<string, unknown>;

beforeAll(async () => {
  sigstore = await createTestSigstore();
  trustedRoot = parseTrustedRoot(sigstore.trustedRootJson, 'test sigstore');
  keyless = { keyless: { identities: [sigstore.defaultIdentity] } };
  statement = sigstore.statement({ name: 'artifact', sha256: artifactDigest.slice('sha256:'.length) });
});

const verify = (
  bundle: unknown,
  input: BundleArtifact = { bytes: artifact },
  signer: Parameters<typeof verifyBundle>[2] = keyless,
) => verifyBundle(bundle, input, signer, { trustedRoot });

describe('Sigstore bundles made with the test Sigstore', () => {
  for (const version of ['0.1', '0.2', '0.3'] as const) {
    it(`message-signature bundle v${version} verifies for the file and for its digest`, async () => {
      const bundle = await sigstore.signBlobBundle(artifact, { version });
      const forFile = verify(bundle);
      expect(forFile.reason).toContain('signer@vouch.test');
      expect(forFile.verified).toBe(true);
      expect(forFile.bundle).toMatchObject({ version, content: 'message-signature' });
      expect(forFile.tlog.status).toBe('verified');
      const forDigest = verify(bundle, { digest: artifactDigest });
      expect(forDigest.reason).toContain('signer@vouch.test');
      expect(forDigest.verified).toBe(true);
    });

    it(`DSSE bundle v${version} verifies for a subject of its statement, as file or digest`, async () => {
      const bundle = await sigstore.signDsseBundle(statement, { version });
      const forFile = verify(bundle);
      expect(forFile.verified).toBe(true);
      expect(forFile.statement?.predicateType).toBe('https://vouch.test/predicate/v1');
      expect(verify(bundle, { digest: artifactDigest }).verified).toBe(true);
    });
  }

  it('a Rekor v2 entry (hashedrekord 0.0.2, inclusion proof, TSA time) verifies', async () => {
    const bundle = await sigstore.signBlobBundle(artifact, { tlog: { log: 'v2' } });
    const result = verify(bundle);
    expect(result.reason).toContain('hashedrekord 0.0.2');
    expect(result.verified).toBe(true);
    expect(result.judgedAt.map((time) => time.source)).toEqual(['tsa']);
  });

  it('a DSSE bundle logged as dsse 0.0.2 in Rekor v2 verifies', async () => {
    const bundle = await sigstore.signDsseBundle(statement, { tlog: { log: 'v2' } });
    expect(verify(bundle).verified).toBe(true);
  });

  describe('DSSE envelope logged as hashedrekord over the PAE (the @sigstore/verify 3.1 gap)', () => {
    for (const log of ['v1', 'v2'] as const) {
      it(`verifies with vouch, where plain @sigstore/verify rejects it (Rekor ${log})`, async () => {
        const bundle = await sigstore.signDsseBundle(statement, { tlog: { log, kind: 'hashedrekord' } });
        const result = verify(bundle);
        expect(result.reason).toContain(log === 'v2' ? 'hashedrekord 0.0.2' : 'hashedrekord 0.0.1');
        expect(result.verified).toBe(true);

        let plain: unknown;
        try {
          new Verifier(trustMaterialFor(trustedRoot)).verify(toSignedEntity(bundleFromJSON(bundle)));
        } catch (error) {
          plain = error;
        }
        expect(plain).toBeInstanceOf(VerificationError);
        expect((plain as VerificationError).code).toBe('TLOG_BODY_ERROR');
      });
    }

    it('still fails when the hashedrekord entry is about another envelope', async () => {
      const bundle = await sigstore.signDsseBundle(statement, {
        tlog: { kind: 'hashedrekord', otherEntry: true },
      });
      expect(verify(bundle).failure).toBe('TLOG_BODY_MISMATCH');
    });
  });

  describe('failures', () => {
    it('expired certificate without a timestamp (transparency log ignored)', async () => {
      const bundle = await sigstore.signBlobBundle(artifact, {
        notBefore: new Date(sigstore.now.getTime() - 2 * 3600_000),
        tlog: false,
      });
      const result = verifyBundle(
        bundle,
        { bytes: artifact },
        { keyless: { ...keyless.keyless, insecureIgnoreTlog: true } },
        { trustedRoot },
      );
      expect(result.failure).toBe('CERTIFICATE_EXPIRED');
    });

    it('expired certificate with a trusted timestamp from its validity passes', async () => {
      const bundle = await sigstore.signBlobBundle(artifact, {
        notBefore: new Date(sigstore.now.getTime() - 2 * 3600_000),
        tlog: false,
        timestamp: true,
      });
      const result = verifyBundle(
        bundle,
        { bytes: artifact },
        { keyless: { ...keyless.keyless, insecureIgnoreTlog: true, useSignedTimestamps: true } },
        { trustedRoot },
      );
      expect(result.verified).toBe(true);
    });

    it('no transparency-log entry where one is required', async () => {
      const bundle = await sigstore.signBlobBundle(artifact, { tlog: false, timestamp: true });
      expect(verify(bundle).failure).toBe('TLOG_MISSING');
    });

    it('tampered Rekor body (v1: the SET no longer verifies)', async () => {
      const bundle = await sigstore.signBlobBundle(artifact, { version: '0.1', tlog: { tamperBody: true } });
      expect(verify(bundle).failure).toBe('SET_INVALID');
    });

    it('tampered Rekor body (v2: the inclusion proof no longer verifies)', async () => {
      const bundle = await sigstore.signBlobBundle(artifact, { tlog: { log: 'v2', tamperBody: true } });
      expect(verify(bundle).failure).toBe('INCLUSION_PROOF_INVALID');
    });

    it('SET signed by another key', async () => {
      const bundle = await sigstore.signBlobBundle(artifact, {
        version: '0.1',
        tlog: { signedBy: 'other-key' },
      });
      expect(verify(bundle).failure).toBe('SET_INVALID');
    });

    it('checkpoint signed by another key (Rekor v2)', async () => {
      const bundle = await sigstore.signBlobBundle(artifact, { tlog: { log: 'v2', signedBy: 'other-key' } });
      expect(verify(bundle).failure).toBe('INCLUSION_PROOF_INVALID');
    });

    it('a genuine entry about another signature', async () => {
      const bundle = await sigstore.signBlobBundle(artifact, { tlog: { otherEntry: true } });
      expect(verify(bundle).failure).toBe('TLOG_BODY_MISMATCH');
    });

    it('missing SCT', async () => {
      const bundle = await sigstore.signBlobBundle(artifact, { sct: 'none' });
      expect(verify(bundle).failure).toBe('SCT_MISSING');
    });

    it('forged SCT', async () => {
      const bundle = await sigstore.signBlobBundle(artifact, { sct: 'forged' });
      expect(verify(bundle).failure).toBe('SCT_INVALID');
    });

    it('certificate from an untrusted CA', async () => {
      const bundle = await sigstore.signDsseBundle(statement, { ca: 'untrusted' });
      expect(verify(bundle).failure).toBe('UNTRUSTED_CA');
    });

    it('timestamp from an untrusted TSA', async () => {
      const bundle = await sigstore.signBlobBundle(artifact, {
        tlog: { log: 'v2' },
        timestamp: { tsa: 'untrusted' },
      });
      expect(verify(bundle).failure).toBe('TIMESTAMP_INVALID');
    });

    it('Rekor v2 entry without a timestamp', async () => {
      const bundle = await sigstore.signBlobBundle(artifact, { tlog: { log: 'v2' }, timestamp: false });
      expect(verify(bundle).failure).toBe('TIMESTAMP_MISSING');
    });

    it('identity and issuer mismatches, regexps unanchored', async () => {
      const bundle = await sigstore.signBlobBundle(artifact);
      const withIdentity = (identity: KeylessPolicy['identities'][number]) =>
        verifyBundle(bundle, { bytes: artifact }, { keyless: { identities: [identity] } }, { trustedRoot });
      expect(withIdentity({ subject: 'other@vouch.test', issuer: 'https://issuer.vouch.test' }).failure).toBe(
        'IDENTITY_MISMATCH',
      );
      expect(withIdentity({ subject: 'signer@vouch.test', issuer: 'https://other.test' }).failure).toBe(
        'ISSUER_MISMATCH',
      );
      expect(withIdentity({ subjectRegExp: '@vouch\\.test', issuerRegExp: 'issuer' }).verified).toBe(true);
      expect(withIdentity({ subjectRegExp: '^vouch', issuerRegExp: 'issuer' }).failure).toBe(
        'IDENTITY_MISMATCH',
      );
    });

    it('another artifact (message signature)', async () => {
      const bundle = await sigstore.signBlobBundle(artifact);
      expect(verify(bundle, { bytes: Buffer.from('something else') }).failure).toBe('DIGEST_MISMATCH');
      expect(verify(bundle, { digest: `sha256:${'0'.repeat(64)}` }).failure).toBe('DIGEST_MISMATCH');
    });

    it('an artifact that is not a subject of the statement (DSSE)', async () => {
      const bundle = await sigstore.signDsseBundle(statement);
      const result = verify(bundle, { bytes: Buffer.from('something else') });
      expect(result.failure).toBe('DIGEST_MISMATCH');
      expect(result.reason).toContain('artifact=');
    });

    it('a DSSE payload that is not an in-toto statement', async () => {
      const bundle = await sigstore.signDsseBundle({ _type: 'https://example.com/unknown', subject: [] });
      expect(verify(bundle).failure).toBe('MALFORMED');
    });

    it('altered message signature', async () => {
      const bundle = (await sigstore.signBlobBundle(artifact, { tlog: false })) as BundleJson & {
        messageSignature: { signature: string };
      };
      const signature = Buffer.from(bundle.messageSignature.signature, 'base64');
      signature[signature.length - 2] = (signature[signature.length - 2] as number) ^ 1;
      const altered = {
        ...bundle,
        messageSignature: { ...bundle.messageSignature, signature: signature.toString('base64') },
      };
      const result = verifyBundle(
        altered,
        { bytes: artifact },
        { keyless: { ...keyless.keyless, insecureIgnoreTlog: true } },
        { trustedRoot },
      );
      expect(result.failure).toBe('SIGNATURE_INVALID');
    });

    it('unknown media type, malformed bundle, not JSON', async () => {
      const bundle = await sigstore.signBlobBundle(artifact);
      expect(verify({ ...bundle, mediaType: 'application/vnd.dev.sigstore.bundle.v0.9+json' }).failure).toBe(
        'UNSUPPORTED',
      );
      expect(verify({ mediaType: bundle.mediaType }).failure).toBe('MALFORMED');
      expect(verify('{not json').failure).toBe('MALFORMED');
    });
  });

  describe('with a public key (--key)', () => {
    let key: TestKeyPair;
    beforeAll(async () => {
      key = await newKeyPair();
    });

    it('verifies message and DSSE bundles signed with the key', async () => {
      for (const bundle of [
        await sigstore.signBlobBundle(artifact, { key }),
        await sigstore.signDsseBundle(statement, { key }),
        await sigstore.signBlobBundle(artifact, { key, tlog: false }),
      ]) {
        const result = verify(bundle, { bytes: artifact }, { key: key.publicKey });
        expect(result.reason).toContain('signed with the given key');
        expect(result.verified).toBe(true);
      }
    });

    it('records whether a transparency-log entry was checked', async () => {
      const logged = verify(
        await sigstore.signBlobBundle(artifact, { key }),
        { bytes: artifact },
        { key: key.publicKey },
      );
      expect(logged.tlog.status).toBe('verified');
      const unlogged = await sigstore.signBlobBundle(artifact, { key, tlog: false });
      expect(verify(unlogged, { bytes: artifact }, { key: key.publicKey }).tlog.status).toBe('not-checked');
      expect(verify(unlogged, { bytes: artifact }, { key: key.publicKey, requireTlog: true }).failure).toBe(
        'TLOG_MISSING',
      );
    });

    it('says an Ed25519 message signature cannot be checked against a digest alone', async () => {
      const ed25519 = generateKeyPairSync('ed25519');
      const bundle = {
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        verificationMaterial: { publicKey: { hint: 'ed' }, tlogEntries: [] },
        messageSignature: {
          messageDigest: {
            algorithm: 'SHA2_256',
            digest: createHash('sha256').update(artifact).digest('base64'),
          },
          signature: sign(null, artifact, ed25519.privateKey).toString('base64'),
        },
      };
      const result = verify(bundle, { digest: artifactDigest }, { key: ed25519.publicKey });
      expect(result.failure).toBe('UNSUPPORTED');
      expect(result.reason).toContain('give the artifact itself');
    });

    it('fails with another key', async () => {
      const other = await newKeyPair();
      const bundle = await sigstore.signBlobBundle(artifact, { key, tlog: false });
      expect(verify(bundle, { bytes: artifact }, { key: other.publicKey }).failure).toBe('SIGNATURE_INVALID');
    });

    it('does not verify a certificate bundle with a key, nor a key bundle with an identity', async () => {
      const certificateBundle = await sigstore.signBlobBundle(artifact);
      expect(verify(certificateBundle, { bytes: artifact }, { key: key.publicKey }).failure).toBe(
        'KEY_MISMATCH',
      );
      const keyBundle = await sigstore.signBlobBundle(artifact, { key });
      expect(verify(keyBundle).failure).toBe('KEY_MISMATCH');
    });
  });
});
