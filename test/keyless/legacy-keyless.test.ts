import { beforeAll, describe, expect, it } from 'vitest';
import { VerifyError } from '../../src/verify/errors.js';
import { verifyLegacyKeyless } from '../../src/verify/keyless/legacy.js';
import type { KeylessPolicy } from '../../src/verify/keyless/policy.js';
import { parseTrustedRoot, type TrustedRoot } from '../../src/verify/trust/trusted-root.js';
import { createTestSigstore, type TestSigstore } from '../sigstore/index.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

let sigstore: TestSigstore;
let trustedRoot: TrustedRoot;
let policy: KeylessPolicy;
let payload: Buffer;

beforeAll(async () => {
  sigstore = await createTestSigstore();
  trustedRoot = parseTrustedRoot(sigstore.trustedRootJson, 'test sigstore');
  policy = { identities: [sigstore.defaultIdentity] };
  payload = sigstore.imagePayload('registry.test/app', DIGEST);
});

describe('legacy keyless cosign signatures made with the test Sigstore', () => {
  it('verify: chain, SCT, Rekor SET and body, identity, digest claim', async () => {
    const signature = await sigstore.signLegacy(payload);
    const result = verifyLegacyKeyless(signature, policy, { trustedRoot, expectedDigest: DIGEST });
    expect(result.reason).toContain('signed by signer@vouch.test (issuer https://issuer.vouch.test)');
    expect(result.verified).toBe(true);
    expect(result.tlog).toMatchObject({ status: 'verified' });
    expect(result.tlog.detail).toContain('https://rekor.vouch.test');
    expect(result.judgedAt.map((time) => time.source)).toEqual(['tlog']);
  });

  describe('expired certificate', () => {
    const expired = () => ({ notBefore: new Date(sigstore.now.getTime() - 2 * 3600_000) });

    it('passes with a Rekor entry integrated while it was valid', async () => {
      const signature = await sigstore.signLegacy(payload, expired());
      expect(verifyLegacyKeyless(signature, policy, { trustedRoot }).verified).toBe(true);
    });

    it('fails without a transparency log and without a timestamp: judged now, it has expired', async () => {
      const signature = await sigstore.signLegacy(payload, { ...expired(), tlog: false });
      const result = verifyLegacyKeyless(signature, { ...policy, insecureIgnoreTlog: true }, { trustedRoot });
      expect(result.failure).toBe('CERTIFICATE_EXPIRED');
      expect(result.reason).toContain('(now)');
      expect(result.tlog.status).toBe('ignored');
    });

    it('passes without a transparency log when a trusted RFC 3161 timestamp falls in its validity', async () => {
      const signature = await sigstore.signLegacy(payload, { ...expired(), tlog: false, timestamp: true });
      const result = verifyLegacyKeyless(
        signature,
        { ...policy, insecureIgnoreTlog: true, useSignedTimestamps: true },
        { trustedRoot },
      );
      expect(result.reason).toContain('signer@vouch.test');
      expect(result.verified).toBe(true);
      expect(result.judgedAt.map((time) => time.source)).toEqual(['tsa']);
    });

    it('fails when the Rekor entry was integrated after the certificate expired', async () => {
      const notBefore = new Date(sigstore.now.getTime() - 2 * 3600_000);
      const signature = await sigstore.signLegacy(payload, {
        notBefore,
        tlog: { integratedTime: new Date(notBefore.getTime() + 3600_000) },
      });
      const result = verifyLegacyKeyless(signature, policy, { trustedRoot });
      expect(result.failure).toBe('CERTIFICATE_EXPIRED');
      expect(result.reason).toContain('transparency-log integrated time');
    });
  });

  it('fails when the Rekor body was tampered with after logging', async () => {
    const signature = await sigstore.signLegacy(payload, { tlog: { tamperBody: true } });
    const result = verifyLegacyKeyless(signature, policy, { trustedRoot });
    expect(result.failure).toBe('SET_INVALID');
  });

  it('fails when the SET is signed by another key under the trusted log ID', async () => {
    const signature = await sigstore.signLegacy(payload, { tlog: { signedBy: 'other-key' } });
    const result = verifyLegacyKeyless(signature, policy, { trustedRoot });
    expect(result.failure).toBe('SET_INVALID');
  });

  it('fails when a genuine Rekor entry is about another signature', async () => {
    const signature = await sigstore.signLegacy(payload, { tlog: { otherEntry: true } });
    const result = verifyLegacyKeyless(signature, policy, { trustedRoot });
    expect(result.failure).toBe('TLOG_BODY_MISMATCH');
    expect(result.reason).toContain('signature');
  });

  it('fails when the Rekor log is not trusted', async () => {
    const signature = await sigstore.signLegacy(payload);
    const withoutRekor = parseTrustedRoot({ ...sigstore.trustedRootJson, tlogs: [] }, 'no tlogs');
    const result = verifyLegacyKeyless(signature, policy, { trustedRoot: withoutRekor });
    expect(result.failure).toBe('TLOG_UNTRUSTED');
    expect(result.reason).toContain(sigstore.rekor.logId.toString('hex'));
  });

  it('fails without a Rekor bundle unless the transparency log is ignored', async () => {
    const signature = await sigstore.signLegacy(payload, { tlog: false });
    expect(verifyLegacyKeyless(signature, policy, { trustedRoot }).failure).toBe('TLOG_MISSING');
    const ignored = verifyLegacyKeyless(signature, { ...policy, insecureIgnoreTlog: true }, { trustedRoot });
    expect(ignored.verified).toBe(true);
    expect(ignored.warnings).toEqual(['transparency log check skipped (--insecure-ignore-tlog)']);
  });

  describe('SCT', () => {
    it('fails when the certificate carries none', async () => {
      const signature = await sigstore.signLegacy(payload, { sct: 'none' });
      expect(verifyLegacyKeyless(signature, policy, { trustedRoot }).failure).toBe('SCT_MISSING');
    });

    it('passes without one under --insecure-ignore-sct, and says so', async () => {
      const signature = await sigstore.signLegacy(payload, { sct: 'none' });
      const result = verifyLegacyKeyless(signature, { ...policy, insecureIgnoreSct: true }, { trustedRoot });
      expect(result.verified).toBe(true);
      expect(result.warnings).toEqual(['SCT check skipped (--insecure-ignore-sct)']);
    });

    it('fails when the SCT is forged (trusted log ID, another key)', async () => {
      const signature = await sigstore.signLegacy(payload, { sct: 'forged' });
      expect(verifyLegacyKeyless(signature, policy, { trustedRoot }).failure).toBe('SCT_INVALID');
    });

    it('still checks an SCT that is present under --insecure-ignore-sct (stricter than cosign)', async () => {
      // @sigstore/verify checks every embedded SCT it finds; the flag makes an SCT optional, not unverified.
      const signature = await sigstore.signLegacy(payload, { sct: 'forged' });
      const result = verifyLegacyKeyless(signature, { ...policy, insecureIgnoreSct: true }, { trustedRoot });
      expect(result.failure).toBe('SCT_INVALID');
    });

    it('fails when the SCT comes from a CT log that is not trusted', async () => {
      const signature = await sigstore.signLegacy(payload, { sct: 'untrusted-log' });
      expect(verifyLegacyKeyless(signature, policy, { trustedRoot }).failure).toBe('SCT_INVALID');
    });
  });

  it('fails when the certificate comes from an untrusted CA', async () => {
    const signature = await sigstore.signLegacy(payload, { ca: 'untrusted' });
    const result = verifyLegacyKeyless(signature, policy, { trustedRoot });
    expect(result.failure).toBe('UNTRUSTED_CA');
    expect(result.reason).toContain('untrusted-fulcio intermediate');
  });

  it('does not let the chain annotation make an untrusted CA trusted', async () => {
    const signature = await sigstore.signLegacy(payload, { ca: 'untrusted' });
    // The annotation carries the untrusted intermediate and root: they are only path material.
    expect(signature.chain).toContain('BEGIN CERTIFICATE');
    expect(verifyLegacyKeyless(signature, policy, { trustedRoot }).failure).toBe('UNTRUSTED_CA');
  });

  describe('RFC 3161 timestamps (--use-signed-timestamps)', () => {
    it('fails when the signature has none', async () => {
      const signature = await sigstore.signLegacy(payload);
      const result = verifyLegacyKeyless(
        signature,
        { ...policy, useSignedTimestamps: true },
        { trustedRoot },
      );
      expect(result.failure).toBe('TIMESTAMP_MISSING');
    });

    it('fails when it comes from an untrusted TSA', async () => {
      const signature = await sigstore.signLegacy(payload, { timestamp: { tsa: 'untrusted' } });
      const result = verifyLegacyKeyless(
        signature,
        { ...policy, useSignedTimestamps: true },
        { trustedRoot },
      );
      expect(result.failure).toBe('TIMESTAMP_INVALID');
    });

    it('is used together with the Rekor entry', async () => {
      const signature = await sigstore.signLegacy(payload, { timestamp: true });
      const result = verifyLegacyKeyless(
        signature,
        { ...policy, useSignedTimestamps: true },
        { trustedRoot },
      );
      expect(result.verified).toBe(true);
      expect(result.judgedAt.map((time) => time.source).sort()).toEqual(['tlog', 'tsa']);
    });
  });

  describe('identity', () => {
    const uri = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
    const issuer = 'https://token.actions.githubusercontent.com';
    const github = {
      trigger: 'push',
      sha: 'a'.repeat(40),
      name: 'release',
      repository: 'acme/app',
      ref: 'refs/heads/main',
    };
    let signature: Awaited<ReturnType<TestSigstore['signLegacy']>>;
    beforeAll(async () => {
      signature = await sigstore.signLegacy(payload, { identity: { uri, issuer, github } });
    });
    const verify = (identity: KeylessPolicy['identities'][number], extra: Partial<KeylessPolicy> = {}) =>
      verifyLegacyKeyless(signature, { identities: [identity], ...extra }, { trustedRoot });

    it('matches an exact subject and issuer', () => {
      expect(verify({ subject: uri, issuer }).verified).toBe(true);
    });

    it('matches regular expressions anywhere in the value, as cosign does (unanchored)', () => {
      expect(verify({ subjectRegExp: 'acme/app', issuerRegExp: 'actions\\.github' }).verified).toBe(true);
      expect(
        verify({ subjectRegExp: '^https://github\\.com/acme/.*@refs/heads/main$', issuer }).verified,
      ).toBe(true);
    });

    it('does not match a regexp that would match only if anchored differently', () => {
      // `^acme/app` would match the path of the SAN, but the SAN starts with https://.
      const result = verify({ subjectRegExp: '^acme/app', issuer });
      expect(result.failure).toBe('IDENTITY_MISMATCH');
      expect(result.reason).toContain(uri);
      // `release\.yml$` would match the workflow file, but the SAN ends with the ref.
      expect(verify({ subjectRegExp: 'release\\.yml$', issuer }).failure).toBe('IDENTITY_MISMATCH');
    });

    it('reports an issuer mismatch with the issuer seen', () => {
      const result = verify({ subject: uri, issuerRegExp: '^https://accounts\\.google\\.com$' });
      expect(result.failure).toBe('ISSUER_MISMATCH');
      expect(result.reason).toContain(issuer);
    });

    it('passes when any one of several identities matches (policy-controller identities)', () => {
      const result = verifyLegacyKeyless(
        signature,
        {
          identities: [
            { subject: 'someone@else', issuer },
            { subjectRegExp: 'acme/app', issuer },
          ],
        },
        { trustedRoot },
      );
      expect(result.verified).toBe(true);
    });

    it('checks the GitHub workflow extensions', () => {
      expect(verify({ subject: uri, issuer }, { github }).verified).toBe(true);
      const result = verify({ subject: uri, issuer }, { github: { ref: 'refs/heads/dev' } });
      expect(result.failure).toBe('EXTENSION_MISMATCH');
      expect(result.reason).toContain('"refs/heads/main"');
      expect(verify({ subject: uri, issuer }, { github: { trigger: 'release' } }).failure).toBe(
        'EXTENSION_MISMATCH',
      );
    });

    it('exposes the signer for policies', () => {
      const result = verify({ subject: uri, issuer });
      expect(result.signer).toMatchObject({
        kind: 'certificate',
        identity: {
          subjects: [uri],
          issuer,
          githubWorkflowTrigger: 'push',
          githubWorkflowRepository: 'acme/app',
          githubWorkflowRef: 'refs/heads/main',
        },
      });
    });

    it('rejects a regular expression RE2 rejects, before verifying anything', () => {
      expect(() => verify({ subjectRegExp: '(?=acme)', issuer })).toThrow(VerifyError);
      expect(() => verify({ subjectRegExp: '(a)\\1', issuer })).toThrow(/not a valid RE2 regular expression/);
    });
  });

  it('fails when the payload was altered (no transparency log to catch it first)', async () => {
    const signature = await sigstore.signLegacy(payload, { tlog: false });
    const altered = {
      ...signature,
      payload: sigstore.imagePayload('registry.test/app', `sha256:${'cd'.repeat(32)}`),
    };
    const result = verifyLegacyKeyless(altered, { ...policy, insecureIgnoreTlog: true }, { trustedRoot });
    expect(result.failure).toBe('SIGNATURE_INVALID');
  });

  it('fails when the payload was altered, on the logged payload hash', async () => {
    const signature = await sigstore.signLegacy(payload);
    const altered = {
      ...signature,
      payload: sigstore.imagePayload('registry.test/app', `sha256:${'cd'.repeat(32)}`),
    };
    const result = verifyLegacyKeyless(altered, policy, { trustedRoot });
    expect(result.failure).toBe('TLOG_BODY_MISMATCH');
    expect(result.reason).toContain('payload hash');
  });

  it('fails when the payload names another image', async () => {
    const signature = await sigstore.signLegacy(payload);
    const result = verifyLegacyKeyless(signature, policy, {
      trustedRoot,
      expectedDigest: `sha256:${'cd'.repeat(32)}`,
    });
    expect(result.failure).toBe('DIGEST_MISMATCH');
    expect(result.reason).toContain(DIGEST);
  });

  it('reports malformed material as such', async () => {
    const signature = await sigstore.signLegacy(payload);
    const cases: [Partial<typeof signature>, RegExp][] = [
      [{ signature: 'not base64!' }, /signature annotation/],
      [{ certificate: 'garbage' }, /certificate annotation/],
      [{ rekorBundle: '{"SignedEntryTimestamp":"x"}' }, /Rekor bundle annotation is malformed/],
      [{ rekorBundle: 'not json' }, /not JSON/],
    ];
    for (const [change, reason] of cases) {
      const result = verifyLegacyKeyless({ ...signature, ...change }, policy, { trustedRoot });
      expect(result.failure).toBe('MALFORMED');
      expect(result.reason).toMatch(reason);
    }
  });
});
