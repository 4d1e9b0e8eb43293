import { describe, expect, it } from 'vitest';
import {
  E2E_IMAGE,
  e2eValidEnvelope,
  fixture,
  fixturePath,
  GO,
  layoutBlob,
} from '../../../test/notation/helpers.js';
import {
  COSE,
  e2eRules,
  e2eStore,
  JWS,
  NOW,
  revocation,
  revocationWithTsaChainTakenAsChecked,
  rules,
  statuses,
} from '../../../test/notation/verification.js';
import { parseJwsEnvelope } from '../../signature/notation/index.js';
import { readTrustStoreDirectory, type TrustStore, trustStoreFromPem } from './trust-store.js';
import { verifyNotationSignature } from './verify-signature.js';

describe("real notation signatures, with the verdicts of notation's own e2e tests", () => {
  const verifyE2e = (envelope: Uint8Array, policy: string, store = e2eStore(), mediaType = JWS) =>
    verifyNotationSignature({
      envelope,
      mediaType,
      image: E2E_IMAGE,
      rules: e2eRules(policy),
      stores: [store],
      revocation: revocation(),
      now: NOW,
    });

  it('e2e-valid-signature verifies at strict, every check passing', async () => {
    const result = await verifyE2e(e2eValidEnvelope(), 'trustpolicy.json');
    expect(result).toMatchObject({
      verified: true,
      level: 'strict',
      warnings: [],
      signer: 'C=US, ST=WA, L=Seattle, O=Notary, CN=e2e',
      trustAnchor: 'ca:e2e',
    });
    expect(statuses(result)).toEqual({
      integrity: 'passed/enforce',
      authenticity: 'passed/enforce',
      expiry: 'passed/enforce',
      authenticTimestamp: 'passed/enforce',
      revocation: 'passed/enforce',
    });
    expect(result.target).toEqual(E2E_IMAGE);
  });

  it("a trust store without the signer's certificate (new_e2e.crt): authenticity fails at strict and permissive, is a warning at audit", async () => {
    const other = e2eStore('new_e2e.crt');
    for (const policy of ['trustpolicy.json', 'permissive_trustpolicy.json']) {
      const result = await verifyE2e(e2eValidEnvelope(), policy, other);
      expect(result.verified, policy).toBe(false);
      expect(result.reason).toMatch(
        /^authenticity: the certificate chain .* does not reach any certificate in trust store ca:e2e/,
      );
      expect(statuses(result)).toMatchObject({
        authenticity: 'failed/enforce',
        expiry: expect.stringMatching(/^skipped/),
      });
    }
    for (const policy of ['audit_trustpolicy.json', 'override_strict_trustpolicy.json']) {
      const audit = await verifyE2e(e2eValidEnvelope(), policy, other);
      expect(audit.verified, policy).toBe(true);
      expect(audit.warnings).toEqual([
        expect.stringMatching(/^authenticity: the certificate chain .* does not reach/),
      ]);
    }
    const enforced = await verifyE2e(e2eValidEnvelope(), 'override_audit_trustpolicy.json', other);
    expect(enforced.verified).toBe(false);
  });

  it('e2e-expired-signature: expiry fails at strict, is a warning at permissive and audit and with expiry: log', async () => {
    const expired = layoutBlob(
      'e2e-expired-signature',
      'b5f927564088f65dad86c81bcdd0b55415a8b4c9a0a5391107210e0cdb305cc7',
    );
    const strict = await verifyE2e(expired, 'trustpolicy.json');
    expect(strict.verified).toBe(false);
    expect(strict.reason).toMatch(/^expiry: the signature expired at 2023-06-2/);
    for (const policy of [
      'permissive_trustpolicy.json',
      'audit_trustpolicy.json',
      'override_strict_trustpolicy.json',
    ]) {
      const logged = await verifyE2e(expired, policy);
      expect(logged.verified, policy).toBe(true);
      expect(logged.warnings).toEqual([expect.stringMatching(/^expiry: the signature expired at/)]);
    }
    expect((await verifyE2e(expired, 'override_permissive_trustpolicy.json')).verified).toBe(false);
  });

  it('e2e-with-expired-cert: the authentic timestamp fails at strict (no timestamp, the certificate expired), is a warning at permissive and audit', async () => {
    const envelope = layoutBlob(
      'e2e-with-expired-cert',
      '8513a5ba473f32b78a87518b732700632c05cde0d59d179275c5c5a8096beeed',
    );
    const store = e2eStore('expired_e2e.crt');
    const strict = await verifyE2e(envelope, 'trustpolicy.json', store);
    expect(strict.verified).toBe(false);
    expect(strict.reason).toMatch(/^authenticTimestamp: .*2023-06-27T06:10:00/);
    for (const policy of ['permissive_trustpolicy.json', 'audit_trustpolicy.json']) {
      const logged = await verifyE2e(envelope, policy, store);
      expect(logged.verified, policy).toBe(true);
      expect(logged.warnings).toEqual([expect.stringMatching(/^authenticTimestamp: /)]);
    }
  });

  it('e2e-invalid-signature: what its manifest points at is no envelope, an integrity failure at every level', async () => {
    const blob = layoutBlob(
      'e2e-invalid-signature',
      '6de5fe1f75e4b1094c98086f403d5fd8117776ebe5aad1609281403d13dea070',
    );
    for (const policy of [
      'trustpolicy.json',
      'permissive_trustpolicy.json',
      'audit_trustpolicy.json',
      'override_strict_trustpolicy.json',
    ]) {
      const result = await verifyE2e(blob, policy);
      expect(result.verified, policy).toBe(false);
      expect(result.reason).toMatch(/^integrity: the signature envelope does not parse/);
      expect(statuses(result)).toMatchObject({
        authenticity: expect.stringMatching(/^skipped/),
        revocation: expect.stringMatching(/^skipped/),
      });
    }
  });

  it("trusted identities: the signer's subject must match one (valid, invalid and multiple identities)", async () => {
    expect((await verifyE2e(e2eValidEnvelope(), 'valid_trusted_identity_trustpolicy.json')).verified).toBe(
      true,
    );
    expect((await verifyE2e(e2eValidEnvelope(), 'multiple_trusted_identity_trustpolicy.json')).verified).toBe(
      true,
    );
    const wrong = await verifyE2e(e2eValidEnvelope(), 'invalid_trusted_identity_trustpolicy.json');
    expect(wrong.verified).toBe(false);
    expect(wrong.reason).toBe(
      'authenticity: the signing certificate\'s subject "C=US, ST=WA, L=Seattle, O=Notary, CN=e2e" matches none of the trusted identities "x509.subject: CN=e2e,O=Notary,L=Seattle,ST=WA,C=USB"',
    );
  });
});

describe("notation-go's verifier test envelopes", () => {
  const goStores = async (...references: [TrustStore['type'], string][]) =>
    Promise.all(
      references.map(([type, name]) =>
        readTrustStoreDirectory(fixturePath('notation-go/verifier/testdata'), { type, name }),
      ),
    );
  const mockImage = {
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    digest: 'sha256:60043cf45eaebc4c0867fea485a039b598f52fd09fd5b07b0b2d2f88fad9d74e',
    size: 528,
  };
  const mockRules = (level: string) =>
    rules(
      { level },
      ['ca:valid-trust-store', 'signingAuthority:valid-trust-store'],
      ['x509.subject:CN=Notation Test Root,O=Notary,L=Seattle,ST=WA,C=US'],
    );
  const verifyMock = async (file: string, level = 'strict', image = mockImage) =>
    verifyNotationSignature({
      envelope: fixture(`${GO}internal/mock/testdata/${file}`),
      mediaType: JWS,
      image,
      rules: mockRules(level),
      stores: await goStores(['ca', 'valid-trust-store'], ['signingAuthority', 'valid-trust-store']),
      revocation: revocation(),
      now: NOW,
    });

  it('valid signatures of both schemes verify at every level; a signing-authority signature is anchored in the signingAuthority store', async () => {
    for (const level of ['strict', 'permissive', 'audit']) {
      expect((await verifyMock('ca_valid_sig_env.json', level)).verified, level).toBe(true);
      const sa = await verifyMock('sa_valid_sig_env.json', level);
      expect(sa.verified, level).toBe(true);
      expect(sa.trustAnchor).toBe('signingAuthority:valid-trust-store');
      expect(sa.checks.find((check) => check.check === 'authenticTimestamp')?.reason).toMatch(
        /authentic signing time 2020-11-09/,
      );
    }
  });

  it('expired signatures fail at strict and warn at permissive and audit; corrupted ones fail integrity everywhere', async () => {
    for (const file of ['ca_expired_sig_env.json', 'sa_expired_sig_env.json']) {
      expect((await verifyMock(file)).reason).toBe(
        'expiry: the signature expired at 2022-07-29T23:59:00.000Z',
      );
      expect((await verifyMock(file, 'permissive')).warnings).toEqual([
        'expiry: the signature expired at 2022-07-29T23:59:00.000Z',
      ]);
      expect((await verifyMock(file, 'audit')).verified).toBe(true);
    }
    for (const file of ['ca_invalid_sig_env.json', 'sa_invalid_sig_env.json'])
      for (const level of ['strict', 'audit'])
        expect((await verifyMock(file, level)).reason).toMatch(/^integrity: .*base64url/);
  });

  it('a signature needing a verification plugin fails at every level, naming the plugin', async () => {
    for (const level of ['strict', 'audit'])
      expect((await verifyMock('ca_plugin_sig_env.json', level)).reason).toMatch(
        /^integrity: the signature requires the verification plugin "plugin-name"/,
      );
  });

  it('a CA-issued signer cannot pose as a signing authority: the scheme decides the store type', async () => {
    const result = await verifyNotationSignature({
      envelope: fixture(`${GO}internal/mock/testdata/sa_valid_sig_env.json`),
      mediaType: JWS,
      image: mockImage,
      rules: rules({ level: 'strict' }, ['ca:valid-trust-store']),
      stores: await goStores(['ca', 'valid-trust-store']),
      revocation: revocation(),
      now: NOW,
    });
    expect(result.reason).toMatch(
      /^authenticity: .*signingAuthority trust stores, and the trust policy names none/,
    );
  });

  it('timestamped JWS and COSE signatures (TimeStampToken over the signature, TSA root in the tsa store)', async () => {
    const stamped = (file: string, mediaType: string, stores: TrustStore[], verifyTimestamp = 'always') =>
      verifyNotationSignature({
        envelope: fixture(`${GO}verifier/testdata/timestamp/sigEnv/${file}`),
        mediaType,
        image: {
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          digest: 'sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda',
          size: 528,
        },
        rules: rules(
          { level: 'strict', verifyTimestamp },
          stores.map((store) => `${store.type}:${store.name}`),
        ),
        stores,
        revocation: revocationWithTsaChainTakenAsChecked(),
        now: NOW,
      });
    const [ca, tsa, mismatch] = await goStores(
      ['ca', 'valid-trust-store'],
      ['tsa', 'test-timestamp'],
      ['tsa', 'test-mismatch'],
    );
    for (const [file, mediaType] of [
      ['jwsWithTimestamp.sig', JWS],
      ['coseWithTimestamp.sig', COSE],
    ] as const) {
      const result = await stamped(file, mediaType, [ca!, tsa!]);
      expect(result.verified, file).toBe(true);
      expect(result.checks.find((check) => check.check === 'authenticTimestamp')?.reason).toMatch(
        /^timestamped at 2024-06-18/,
      );
    }
    expect((await stamped('withoutTimestamp.sig', JWS, [ca!, tsa!])).reason).toMatch(
      /^authenticTimestamp: the signature carries no timestamp countersignature/,
    );
    expect((await stamped('withoutTimestamp.sig', JWS, [ca!])).verified).toBe(true);
    expect((await stamped('jwsWithTimestamp.sig', JWS, [ca!, mismatch!])).reason).toMatch(
      /^authenticTimestamp: /,
    );
    // The signing certificates of these expired (or are not yet valid): pinned as their own ca store, the
    // timestamp decides. notation-go's expectations: expired passes with the timestamp, fails without a
    // tsa store; a timestamp before notBefore or after notAfter fails.
    const leafStore = (file: string) => {
      const der = parseJwsEnvelope(fixture(`${GO}verifier/testdata/timestamp/sigEnv/${file}`))
        .certificateChain[0]!;
      const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
      return trustStoreFromPem({ type: 'ca', name: 'leaf' }, pem, file);
    };
    const expiredLeaf = leafStore('jwsExpiredWithTimestamp.sig');
    expect((await stamped('jwsExpiredWithTimestamp.sig', JWS, [expiredLeaf, tsa!])).verified).toBe(true);
    expect((await stamped('coseExpiredWithTimestamp.sig', COSE, [expiredLeaf, tsa!])).verified).toBe(true);
    expect((await stamped('coseExpiredWithTimestamp.sig', COSE, [expiredLeaf])).reason).toMatch(
      /^authenticTimestamp: .*2024-06-18T07:30:31/,
    );
    expect(
      (await stamped('coseExpiredWithTimestamp.sig', COSE, [expiredLeaf, tsa!], 'afterCertExpiry')).verified,
    ).toBe(true);
    const futureLeaf = leafStore('timestampBeforeNotBefore.sig');
    expect((await stamped('timestampBeforeNotBefore.sig', JWS, [futureLeaf, tsa!])).reason).toMatch(
      /^authenticTimestamp: /,
    );
    expect((await stamped('timestampAfterNotAfter.sig', COSE, [expiredLeaf, tsa!])).verified).toBe(false);
  });
});
