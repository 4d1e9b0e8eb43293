import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type LegacyKeylessSignature,
  legacyKeylessFromAnnotations,
  verifyLegacyKeyless,
} from '../../src/verify/keyless/legacy.js';
import { publicGoodTrustedRoot } from '../../src/verify/trust/embedded.js';
import { withPrivatePki } from '../../src/verify/trust/private-pki.js';
import { trustRootFromResource } from '../../src/verify/trust/trustroot-resource.js';

const FIXTURES = new URL('../fixtures/cosign-real/', import.meta.url);

/** containers/image's on-disk signature form: NUL, "sigstore-json\n", then {mimeType, payload, annotations}. */
function readSignature(dir: string): { payload: Buffer; annotations: Record<string, string> } {
  const raw = readFileSync(new URL(`${dir}/signature-1`, FIXTURES));
  const prefix = Buffer.from('\0sigstore-json\n');
  expect(raw.subarray(0, prefix.length).equals(prefix)).toBe(true);
  const parsed = JSON.parse(raw.subarray(prefix.length).toString('utf8')) as {
    payload: string;
    annotations: Record<string, string>;
  };
  return { payload: Buffer.from(parsed.payload, 'base64'), annotations: parsed.annotations };
}

function manifestDigest(dir: string): string {
  return `sha256:${createHash('sha256')
    .update(readFileSync(new URL(`${dir}/manifest.json`, FIXTURES)))
    .digest('hex')}`;
}

function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

describe('dir-img-cosign-fulcio-rekor-valid (real cosign keyless signature, Fulcio + Rekor)', () => {
  const dir = 'dir-img-cosign-fulcio-rekor-valid';
  const { payload, annotations } = readSignature(dir);
  const signature = legacyKeylessFromAnnotations(payload, annotations) as LegacyKeylessSignature;
  const identity = { subject: 'mitr@redhat.com', issuer: 'https://github.com/login/oauth' };
  const options = { trustedRoot: publicGoodTrustedRoot(), expectedDigest: manifestDigest(dir) };

  it('verifies with the right identity and issuer, judging the long-expired certificate at the integrated time', () => {
    const result = verifyLegacyKeyless(signature, { identities: [identity] }, options);
    expect(result.reason).toContain('mitr@redhat.com');
    expect(result.verified).toBe(true);
    expect(result.tlog.status).toBe('verified');
    expect(result.judgedAt).toEqual([{ source: 'tlog', time: '2023-01-20T20:51:33.000Z' }]);
    expect(result.signer?.kind === 'certificate' && result.signer.identity.issuer).toBe(
      'https://github.com/login/oauth',
    );
  });

  it('fails with another identity, naming the subjects it saw', () => {
    const result = verifyLegacyKeyless(
      signature,
      { identities: [{ ...identity, subject: 'someone@redhat.com' }] },
      options,
    );
    expect(result.verified).toBe(false);
    expect(result.failure).toBe('IDENTITY_MISMATCH');
    expect(result.reason).toContain('"mitr@redhat.com"');
  });

  it('fails with another issuer', () => {
    const result = verifyLegacyKeyless(
      signature,
      { identities: [{ ...identity, issuer: 'https://accounts.google.com' }] },
      options,
    );
    expect(result.verified).toBe(false);
    expect(result.failure).toBe('ISSUER_MISMATCH');
    expect(result.reason).toContain('https://github.com/login/oauth');
  });
});

describe('real cosign keyless signature against other trust material', () => {
  const dir = 'dir-img-cosign-fulcio-rekor-valid';
  const { payload, annotations } = readSignature(dir);
  const signature = legacyKeylessFromAnnotations(payload, annotations) as LegacyKeylessSignature;
  const policy = { identities: [{ subject: 'mitr@redhat.com', issuer: 'https://github.com/login/oauth' }] };
  const ctlogPem = publicKeyPem(
    publicGoodTrustedRoot().ctlogs.find((log) => log.baseUrl === 'https://ctfe.sigstore.dev/2022')?.publicKey
      ?.rawBytes as Buffer,
  );

  function trustRoot(rekorPem: string) {
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    return trustRootFromResource(
      {
        apiVersion: 'policy.sigstore.dev/v1alpha1',
        kind: 'TrustRoot',
        metadata: { name: 'fixture' },
        spec: {
          sigstoreKeys: {
            // The Fulcio root only: the intermediate comes from the signature's chain annotation.
            certificateAuthorities: [
              {
                subject: { organization: 'sigstore.dev', commonName: 'sigstore' },
                uri: 'https://fulcio.sigstore.dev',
                certChain: b64(fixture('fulcio_v1.crt.pem')),
              },
            ],
            tLogs: [
              { baseURL: 'https://rekor.sigstore.dev', hashAlgorithm: 'sha-256', publicKey: b64(rekorPem) },
            ],
            ctLogs: [
              {
                baseURL: 'https://ctfe.sigstore.dev/2022',
                hashAlgorithm: 'sha-256',
                publicKey: b64(ctlogPem),
              },
            ],
          },
        },
      },
      'test',
    ).trustedRoot;
  }

  it('verifies with a TrustRoot resource holding the fixture Fulcio root and rekor.pub', () => {
    const result = verifyLegacyKeyless(signature, policy, { trustedRoot: trustRoot(fixture('rekor.pub')) });
    expect(result.reason).toContain('mitr@redhat.com');
    expect(result.verified).toBe(true);
  });

  it('fails when the trusted Rekor key is not the one that signed the entry (cosign.pub as Rekor key)', () => {
    const result = verifyLegacyKeyless(signature, policy, { trustedRoot: trustRoot(fixture('cosign.pub')) });
    expect(result.verified).toBe(false);
    expect(result.failure).toBe('TLOG_UNTRUSTED');
    expect(result.reason).toContain('c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d');
  });

  it('fails the SET when a trusted root pairs the real log ID with another key', () => {
    const root = publicGoodTrustedRoot();
    const cosignKey = createPublicKey(fixture('cosign.pub')).export({ format: 'der', type: 'spki' });
    const forged = {
      ...root,
      tlogs: root.tlogs.map((log) => ({
        ...log,
        publicKey: { ...log.publicKey, rawBytes: cosignKey } as typeof log.publicKey,
      })),
    };
    const result = verifyLegacyKeyless(signature, policy, { trustedRoot: forged });
    expect(result.verified).toBe(false);
    expect(result.failure).toBe('SET_INVALID');
  });
});

describe('dir-img-cosign-pki-valid (real cosign signature from a private PKI)', () => {
  const dir = 'dir-img-cosign-pki-valid';
  const { payload, annotations } = readSignature(dir);
  const signature = legacyKeylessFromAnnotations(payload, annotations) as LegacyKeylessSignature;
  // No Rekor entry and no SCT: a private PKI without Sigstore logs, as cosign verifies it with
  // --ca-roots/--ca-intermediates --insecure-ignore-tlog --insecure-ignore-sct. The certificate has no
  // OIDC issuer extension, so only an issuer regexp that accepts the empty issuer matches.
  const base = { insecureIgnoreTlog: true, insecureIgnoreSct: true };
  const trustedRoot = withPrivatePki(publicGoodTrustedRoot(), {
    roots: fixture('pki_root_crts.pem'),
    intermediates: fixture('pki_intermediate_crts.pem'),
  });
  const options = { trustedRoot, expectedDigest: manifestDigest(dir) };

  it('verifies with the roots and intermediates and the right identity', () => {
    const result = verifyLegacyKeyless(
      signature,
      { ...base, identities: [{ subject: 'qiwan@redhat.com', issuerRegExp: '.*' }] },
      options,
    );
    expect(result.reason).toContain('qiwan@redhat.com');
    expect(result.verified).toBe(true);
    expect(result.tlog.status).toBe('ignored');
    expect(result.judgedAt.map((time) => time.source)).toEqual(['now']);
    expect(result.warnings).toEqual([
      'SCT check skipped (--insecure-ignore-sct)',
      'transparency log check skipped (--insecure-ignore-tlog)',
    ]);
  });

  it('verifies with the roots alone, taking the intermediate from the chain annotation', () => {
    const rootsOnly = withPrivatePki(publicGoodTrustedRoot(), { roots: fixture('pki_root_crts.pem') });
    const result = verifyLegacyKeyless(
      signature,
      { ...base, identities: [{ subject: 'myhost.example.com', issuerRegExp: '^$' }] },
      { trustedRoot: rootsOnly },
    );
    expect(result.verified).toBe(true);
  });

  it('fails with a wrong identity', () => {
    const result = verifyLegacyKeyless(
      signature,
      { ...base, identities: [{ subject: 'mitr@redhat.com', issuerRegExp: '.*' }] },
      options,
    );
    expect(result.failure).toBe('IDENTITY_MISMATCH');
    expect(result.reason).toContain('"qiwan@redhat.com", "myhost.example.com"');
  });

  it('fails with a wrong issuer (the certificate has none)', () => {
    const result = verifyLegacyKeyless(
      signature,
      { ...base, identities: [{ subject: 'qiwan@redhat.com', issuer: 'https://accounts.google.com' }] },
      options,
    );
    expect(result.failure).toBe('ISSUER_MISMATCH');
    expect(result.reason).toContain('issuer (none)');
  });

  it('fails against the public-good root: the private CA is not trusted there', () => {
    const result = verifyLegacyKeyless(
      signature,
      { ...base, identities: [{ subject: 'qiwan@redhat.com', issuerRegExp: '.*' }] },
      { trustedRoot: publicGoodTrustedRoot() },
    );
    expect(result.failure).toBe('UNTRUSTED_CA');
    expect(result.reason).toContain('Linuxera Intermediate Certificate Authority');
  });

  it('fails without --insecure-ignore-tlog: there is no Rekor entry', () => {
    const result = verifyLegacyKeyless(
      signature,
      { insecureIgnoreSct: true, identities: [{ subject: 'qiwan@redhat.com', issuerRegExp: '.*' }] },
      options,
    );
    expect(result.failure).toBe('TLOG_MISSING');
  });

  it('fails without --insecure-ignore-sct: the certificate carries no SCT', () => {
    const result = verifyLegacyKeyless(
      signature,
      { insecureIgnoreTlog: true, identities: [{ subject: 'qiwan@redhat.com', issuerRegExp: '.*' }] },
      options,
    );
    expect(result.failure).toBe('SCT_MISSING');
  });

  it('fails when the payload names another image', () => {
    const result = verifyLegacyKeyless(
      signature,
      { ...base, identities: [{ subject: 'qiwan@redhat.com', issuerRegExp: '.*' }] },
      { trustedRoot, expectedDigest: `sha256:${'0'.repeat(64)}` },
    );
    expect(result.failure).toBe('DIGEST_MISMATCH');
  });
});

function publicKeyPem(der: Buffer): string {
  return createPublicKey({ key: der, format: 'der', type: 'spki' })
    .export({ format: 'pem', type: 'spki' })
    .toString();
}
