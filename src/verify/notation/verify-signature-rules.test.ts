import { describe, expect, it } from 'vitest';
import { createCodeSigningPki, OID } from '../../../test/harness/notation-pki.js';
import {
  E2E_IMAGE,
  e2eSigner,
  e2eValidEnvelope,
  fixture,
  handMadeJws,
  LOCALKEYS,
} from '../../../test/notation/helpers.js';
import {
  COSE,
  e2eRules,
  e2eStore,
  JWS,
  NOW,
  revocation,
  rules,
  statuses,
} from '../../../test/notation/verification.js';
import { signNotation } from '../../signature/notation/index.js';
import { type TrustStore, trustStoreFromPem } from './trust-store.js';
import { type RevocationAnswer, verifyNotationSignature } from './verify-signature.js';

describe('attacks, each failing with its reason', () => {
  it('a signature for another digest, or the right digest with another size or media type', async () => {
    const base = {
      envelope: e2eValidEnvelope(),
      mediaType: JWS,
      rules: e2eRules('audit_trustpolicy.json'),
      stores: [e2eStore()],
      revocation: revocation(),
      now: NOW,
    };
    const other = await verifyNotationSignature({
      ...base,
      image: { ...E2E_IMAGE, digest: `sha256:${'e'.repeat(64)}` },
    });
    expect(other.reason).toMatch(
      /^integrity: the signature is for sha256:b8479de3.*not for the image sha256:eeee/,
    );
    expect((await verifyNotationSignature({ ...base, image: { ...E2E_IMAGE, size: 1 } })).reason).toMatch(
      /^integrity: .*size 517/,
    );
    expect(
      (
        await verifyNotationSignature({
          ...base,
          image: { ...E2E_IMAGE, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' },
        })
      ).reason,
    ).toMatch(/^integrity: .*media type/);
  });

  it('a chain that does not reach the trust store, and a leaf with a forbidden EKU (an integrity failure, as in notation)', async () => {
    const pki = await createCodeSigningPki();
    const stranger = await createCodeSigningPki();
    const signed = await signNotation({
      key: pki.leaf.key.privateKey,
      chain: pki.chainDer.map((der) => Buffer.from(der)),
      target: E2E_IMAGE,
      format: 'cose',
    });
    const verify = (stores: TrustStore[], level = 'strict', envelope = signed.envelope) =>
      verifyNotationSignature({
        envelope,
        mediaType: COSE,
        image: E2E_IMAGE,
        rules: rules({ level }, ['ca:acme']),
        stores,
        revocation: revocation(),
        now: new Date(),
      });
    const acme = trustStoreFromPem({ type: 'ca', name: 'acme' }, pki.root.pem, 'acme');
    expect((await verify([acme])).verified).toBe(true);
    const elsewhere = await verify([
      trustStoreFromPem({ type: 'ca', name: 'acme' }, stranger.root.pem, 'acme'),
    ]);
    expect(elsewhere.reason).toMatch(
      /^authenticity: .*does not reach any certificate in trust store ca:acme/,
    );

    const serverLeaf = await pki.issuer.issue({
      subject: 'C=US, ST=WA, O=acme, CN=web',
      basicConstraints: { ca: false },
      keyUsage: { usages: ['digitalSignature'] },
      extendedKeyUsage: { usages: [OID.serverAuth] },
    });
    const wrongEku = await signNotation({
      key: serverLeaf.key.privateKey,
      chain: serverLeaf.chainDer.map((der) => Buffer.from(der)),
      target: E2E_IMAGE,
      format: 'cose',
    });
    for (const level of ['strict', 'audit']) {
      const result = await verify([acme], level, wrongEku.envelope);
      expect(result.verified, level).toBe(false);
      expect(result.reason).toMatch(
        /^integrity: the certificate chain does not meet the Notary Project's requirements: .*serverAuth/,
      );
    }
  });

  it('an unknown critical header, a tampered payload, an envelope over the size limit', async () => {
    const { key } = e2eSigner();
    const x5c = [
      fixture(`${LOCALKEYS}e2e.crt`)
        .toString()
        .replace(/-----[A-Z ]+-----|\s/g, ''),
    ];
    const critical = handMadeJws({
      protectedHeader: {
        alg: 'PS256',
        crit: ['io.cncf.notary.signingScheme', 'com.example.policy'],
        cty: 'application/vnd.cncf.notary.payload.v1+json',
        'com.example.policy': 'strict',
        'io.cncf.notary.signingScheme': 'notary.x509',
        'io.cncf.notary.signingTime': '2024-01-01T00:00:00Z',
      },
      payload: JSON.stringify({ targetArtifact: E2E_IMAGE }),
      header: { x5c },
      key,
    });
    const base = {
      mediaType: JWS,
      image: E2E_IMAGE,
      rules: e2eRules('audit_trustpolicy.json'),
      stores: [e2eStore()],
      revocation: revocation(),
      now: NOW,
    };
    expect((await verifyNotationSignature({ ...base, envelope: critical })).reason).toMatch(
      /^integrity: .*unknown header critical \("com.example.policy"\)/,
    );
    const json = JSON.parse(e2eValidEnvelope().toString()) as Record<string, string>;
    json.payload = Buffer.from(JSON.stringify({ targetArtifact: { ...E2E_IMAGE, size: 518 } })).toString(
      'base64url',
    );
    expect(
      (await verifyNotationSignature({ ...base, envelope: Buffer.from(JSON.stringify(json)) })).reason,
    ).toMatch(/^integrity: .*does not verify/);
    const huge = Buffer.alloc(1024 * 1024 + 1, 0x20);
    expect((await verifyNotationSignature({ ...base, envelope: huge })).reason).toMatch(
      /^integrity: the signature envelope does not parse: .*limit is 1048576/,
    );
  });
});

describe('levels and overrides', () => {
  const verify = (signatureVerification: unknown, answer?: RevocationAnswer) =>
    verifyNotationSignature({
      envelope: e2eValidEnvelope(),
      mediaType: JWS,
      image: E2E_IMAGE,
      rules: rules(signatureVerification, ['ca:e2e']),
      stores: [e2eStore()],
      revocation: revocation(answer),
      now: NOW,
    });

  it('revocation: revoked or unknown fails when enforced, is a warning when logged, is not asked when skipped', async () => {
    const revoked: RevocationAnswer = { status: 'revoked', reason: 'CN=e2e is revoked (keyCompromise)' };
    const unknown: RevocationAnswer = {
      status: 'unknown',
      reason: 'http://crl.example/ca.crl did not answer',
    };
    expect((await verify({ level: 'strict' }, revoked)).reason).toBe(
      'revocation: a certificate of the chain is revoked: CN=e2e is revoked (keyCompromise)',
    );
    expect((await verify({ level: 'strict' }, unknown)).reason).toMatch(
      /^revocation: the revocation status cannot be determined/,
    );
    const permissive = await verify({ level: 'permissive' }, revoked);
    expect(permissive).toMatchObject({
      verified: true,
      warnings: ['revocation: a certificate of the chain is revoked: CN=e2e is revoked (keyCompromise)'],
    });
    expect(
      (await verify({ level: 'permissive', override: { revocation: 'enforce' } }, revoked)).verified,
    ).toBe(false);
    const skipped = await verify({ level: 'strict', override: { revocation: 'skip' } }, revoked);
    expect(skipped.verified).toBe(true);
    expect(statuses(skipped).revocation).toBe('skipped/skip');
  });

  it('skip checks nothing and verifies, whatever the envelope', async () => {
    const result = await verifyNotationSignature({
      envelope: Buffer.from('not an envelope'),
      mediaType: JWS,
      image: E2E_IMAGE,
      rules: rules({ level: 'skip' }, [], []),
      stores: [],
      revocation: revocation(),
    });
    expect(result.verified).toBe(true);
    expect(result.checks.every((check) => check.status === 'skipped')).toBe(true);
  });

  it('a check that throws fails closed', async () => {
    const result = await verifyNotationSignature({
      envelope: e2eValidEnvelope(),
      mediaType: JWS,
      image: E2E_IMAGE,
      rules: rules({ level: 'strict' }, ['ca:e2e']),
      stores: [e2eStore()],
      revocation: {
        signingChain: async () => {
          throw new Error('socket hang up');
        },
        timestampingChain: async () => ({ status: 'ok', reason: '' }),
      },
      now: NOW,
    });
    expect(result.reason).toBe('revocation: could not be checked: socket hang up');
  });
});

describe("vouch-made signatures, both envelopes, verify like notation's", () => {
  it('a test PKI chain (root, intermediate, ECDSA leaf) with an x509.subject identity', async () => {
    const pki = await createCodeSigningPki({ leafKey: 'ec-p384' });
    for (const format of ['jws', 'cose'] as const) {
      const signed = await signNotation({
        key: pki.leaf.key.privateKey,
        chain: pki.chainDer.map((der) => Buffer.from(der)),
        target: E2E_IMAGE,
        format,
      });
      const result = await verifyNotationSignature({
        envelope: signed.envelope,
        mediaType: signed.mediaType,
        image: E2E_IMAGE,
        rules: rules({ level: 'strict' }, ['ca:acme'], ['x509.subject: C=US, ST=WA, O=acme, CN=release']),
        stores: [trustStoreFromPem({ type: 'ca', name: 'acme' }, pki.root.pem, 'acme')],
        revocation: revocation(),
      });
      expect(result, format).toMatchObject({
        verified: true,
        signer: 'C=US, ST=WA, L=Seattle, O=acme, CN=release',
        trustAnchor: 'ca:acme',
      });
    }
  });
});
