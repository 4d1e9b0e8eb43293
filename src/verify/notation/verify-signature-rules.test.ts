import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCodeSigningPki,
  OID,
  type RevocationServer,
  startRevocationServer,
} from '../../../test/harness/notation-pki.js';
import { freePort } from '../../../test/harness/processes.js';
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
import { verifyNotationSignature } from './verify-signature.js';

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

describe('revocation against a CRL server on loopback, at each level', () => {
  let server: RevocationServer;
  let unique = 0;
  beforeAll(async () => {
    server = await startRevocationServer();
  });
  afterAll(() => server.stop());

  /** A PKI whose certificates name CRLs on the server (or on a port nobody listens on), and a signature by its leaf. */
  async function signedWithCrls(revoke: 'none' | 'leaf' | 'intermediate' | 'unreachable') {
    const prefix = `/levels${++unique}`;
    const base = revoke === 'unreachable' ? `http://127.0.0.1:${await freePort()}` : server.url;
    const pathOf = new Map<string, string>();
    const pki = await createCodeSigningPki({
      crlUrls: (issuer, depth) => {
        pathOf.set(issuer.serialNumber, `${prefix}/crl-${depth}.crl`);
        return [`${base}${prefix}/crl-${depth}.crl`];
      },
    });
    const revoked = revoke === 'leaf' ? [pki.leaf] : revoke === 'intermediate' ? [pki.intermediates[0]!] : [];
    for (const issuer of [pki.root, ...pki.intermediates]) {
      const entries = revoked
        .filter((certificate) => certificate.issuer === issuer)
        .map((certificate) => ({ serialNumber: certificate.serialNumber, reason: 1 }));
      server.route(pathOf.get(issuer.serialNumber)!, { crl: await issuer.crl({ entries }) });
    }
    const signed = await signNotation({
      key: pki.leaf.key.privateKey,
      chain: pki.chainDer.map((der) => Buffer.from(der)),
      target: E2E_IMAGE,
      format: 'jws',
    });
    const store = trustStoreFromPem({ type: 'ca', name: 'acme' }, pki.root.pem, 'acme');
    return (signatureVerification: unknown) =>
      verifyNotationSignature({
        envelope: signed.envelope,
        mediaType: JWS,
        image: E2E_IMAGE,
        rules: rules(signatureVerification, ['ca:acme']),
        stores: [store],
        revocation: revocation(),
      });
  }

  it('nothing revoked: verified, the revocation check passed', async () => {
    const verify = await signedWithCrls('none');
    const result = await verify({ level: 'strict' });
    expect(result.verified).toBe(true);
    expect(statuses(result).revocation).toBe('passed/enforce');
  });

  it('a revoked leaf fails when enforced, is a warning when logged, is not asked when skipped', async () => {
    const verify = await signedWithCrls('leaf');
    const strict = await verify({ level: 'strict' });
    expect(strict.verified).toBe(false);
    expect(strict.reason).toMatch(/^revocation: a certificate of the chain is revoked: .*CN=release/);
    for (const logged of [
      { level: 'permissive' },
      { level: 'audit' },
      { level: 'strict', override: { revocation: 'log' } },
    ]) {
      const result = await verify(logged);
      expect(result.verified, JSON.stringify(logged)).toBe(true);
      expect(result.warnings).toEqual([
        expect.stringMatching(/^revocation: a certificate of the chain is revoked/),
      ]);
    }
    expect((await verify({ level: 'permissive', override: { revocation: 'enforce' } })).verified).toBe(false);
    const skipped = await verify({ level: 'strict', override: { revocation: 'skip' } });
    expect(skipped).toMatchObject({ verified: true, warnings: [] });
    expect(statuses(skipped).revocation).toBe('skipped/skip');
  });

  it('a revoked intermediate fails too', async () => {
    const verify = await signedWithCrls('intermediate');
    expect((await verify({ level: 'strict' })).reason).toMatch(
      /^revocation: a certificate of the chain is revoked: .*Intermediate/,
    );
  });

  it('an unreachable CRL server: the status cannot be determined, which fails when enforced and warns when logged', async () => {
    const verify = await signedWithCrls('unreachable');
    expect((await verify({ level: 'strict' })).reason).toMatch(
      /^revocation: the revocation status cannot be determined/,
    );
    const permissive = await verify({ level: 'permissive' });
    expect(permissive.verified).toBe(true);
    expect(permissive.warnings).toEqual([
      expect.stringMatching(/^revocation: the revocation status cannot be determined/),
    ]);
  });
});

describe('levels', () => {
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
