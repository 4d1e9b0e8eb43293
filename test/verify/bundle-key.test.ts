/**
 * A key authority's Sigstore-bundle check with Rekor keys, for DSSE envelopes logged as hashedrekord
 * entries over the pre-authentication encoding (what a Rekor v2 log writes, and sigstore-go with
 * hashedrekord-over-DSSE): the same adaptation `verify-bundle` and keyless bundles have. Signed
 * timestamps in such a bundle are not checked (a key authority has no TSA), as cosign does with a key.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReferrerArtefact } from '../../src/signature/index.js';
import { COSIGN_SIGN_PREDICATE_TYPE, parsePublicKey } from '../../src/signature/index.js';
import { type KeyAuthority, keyAuthority, rekorKey } from '../../src/verify/authority.js';
import { checkBundleWithKey } from '../../src/verify/bundle/key.js';
import { createTestSigstore, newKeyPair, type TestKeyPair, type TestSigstore } from '../sigstore/index.js';
import type { TestTransparencyLog } from '../sigstore/logs.js';

const DIGEST = `sha256:${'c'.repeat(64)}`;

describe('checkBundleWithKey: DSSE logged as hashedrekord', () => {
  let sigstore: TestSigstore;
  let signer: TestKeyPair;
  let statement: Record<string, unknown>;

  beforeAll(async () => {
    sigstore = await createTestSigstore();
    signer = await newKeyPair();
    statement = sigstore.statement(
      { name: 'registry.test/app', sha256: 'c'.repeat(64) },
      COSIGN_SIGN_PREDICATE_TYPE,
    );
  });

  const referrer = (bundle: unknown): ReferrerArtefact => ({
    source: 'referrers-tag',
    descriptor: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${'d'.repeat(64)}`,
      size: 1,
    },
    load: async () => ({ bundle: new TextEncoder().encode(JSON.stringify(bundle)) }) as never,
  });
  /** A key authority trusting one log, known by its key and URL as a TrustRoot gives them. */
  const authority = (log: TestTransparencyLog): KeyAuthority =>
    keyAuthority({
      keys: [parsePublicKey(signer.publicKeyPem)],
      rekorKeys: [rekorKey(parsePublicKey(log.keyPair.publicKeyPem), log.baseUrl)],
    });
  const check = (bundle: unknown, logKey: TestTransparencyLog) =>
    checkBundleWithKey(referrer(bundle), authority(logKey), DIGEST, {
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    });

  for (const log of ['v1', 'v2'] as const) {
    it(`verifies with the log's key (Rekor ${log})`, async () => {
      const bundle = await sigstore.signDsseBundle(statement, {
        key: signer,
        tlog: { log, kind: 'hashedrekord' },
      });
      const logKey = log === 'v1' ? sigstore.rekor : sigstore.rekorV2;
      const result = await check(bundle, logKey);
      expect(result.outcome).toMatchObject({ verified: true, format: 'bundle' });
      expect(result.tlog?.status).toBe('verified');
    });
  }

  it('still refuses an entry about another envelope, and a log it was not told to trust', async () => {
    const other = await sigstore.signDsseBundle(statement, {
      key: signer,
      tlog: { kind: 'hashedrekord', otherEntry: true },
    });
    expect((await check(other, sigstore.rekor)).outcome.verified).toBe(false);
    const good = await sigstore.signDsseBundle(statement, { key: signer, tlog: { kind: 'hashedrekord' } });
    const untrusted = await check(good, sigstore.rekorV2);
    expect(untrusted.outcome.verified).toBe(false);
    expect(untrusted.outcome.reason).toMatch(/does not verify/);
  });
});
