import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/index.js';
import {
  attachBundle,
  attestLegacy,
  buildStatement,
  COSIGN_SIGN_PREDICATE_TYPE,
  digestSet,
  type SignTarget,
  signatureStatement,
  signLegacy,
} from '../../src/signature/index.js';
import {
  buildImage,
  pushArtifact,
  runVouch,
  startRegistry,
  type TestRegistry,
  tempDir,
} from '../harness/index.js';
import { type BundleSigningOptions, createTestSigstore, type TestSigstore } from '../sigstore/index.js';
import { sigstoreSigner } from '../sigstore/signer.js';

const PREDICATE = 'https://vouch.test/provenance/v1';

/**
 * `vouch verify` and `vouch verify-attestation` with keyless flags, end to end: signatures made by the
 * test Sigstore and written by the project's own signing code to a real registry (legacy `.sig` /
 * `.att` layers with certificate, chain and Rekor bundle annotations, and Sigstore-bundle referrers),
 * then verified by the built CLI against the test Sigstore's trusted root.
 */
describe('vouch verify, keyless (CLI, real registry, test Sigstore)', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let sigstore: TestSigstore;
  let dir: string;
  let root: string;
  let identity: string[];
  let seeds = 0;

  beforeAll(async () => {
    [registry, sigstore, dir] = await Promise.all([
      startRegistry(),
      createTestSigstore(),
      tempDir('keyless-cli'),
    ]);
    client = new RegistryClient();
    root = join(dir, 'trusted_root.json');
    await writeFile(root, JSON.stringify(sigstore.trustedRootJson));
    identity = [
      '--certificate-identity',
      sigstore.defaultIdentity.subject,
      '--certificate-oidc-issuer',
      sigstore.defaultIdentity.issuer,
      '--trusted-root',
      root,
    ];
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  /** A fresh image in the registry: its reference by tag and its target for signing. */
  async function push(): Promise<{ ref: string; target: SignTarget }> {
    const seed = `keyless-cli-${seeds++}`;
    const image = buildImage({ seed });
    const repo = { registry: registry.host, repository: `keyless/${seed}` };
    await pushArtifact(client, repo, image, 'v1');
    return {
      ref: `${registry.host}/keyless/${seed}:v1`,
      target: { ...repo, digest: image.digest, mediaType: image.mediaType, size: image.manifest.byteLength },
    };
  }

  type Format = 'legacy' | 'bundle';
  async function signed(format: Format, options: BundleSigningOptions = {}, annotations = {}) {
    const pushed = await push();
    const signer = sigstoreSigner(sigstore, options);
    if (format === 'legacy') await signLegacy(client, pushed.target, signer, { annotations });
    else
      await attachBundle(client, pushed.target, signer, {
        statement: signatureStatement(pushed.target.digest, annotations),
        predicateType: COSIGN_SIGN_PREDICATE_TYPE,
      });
    return pushed;
  }

  describe.each(['legacy', 'bundle'] as const)('%s format', (format) => {
    it('verifies with the identity flags, naming the signer and the log', async () => {
      const { ref, target } = await signed(format);
      const run = await runVouch(['verify', ...identity, ref]);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe(
        `✔ ${ref}@${target.digest} verified (1 signature(s), signed by signer@vouch.test (issuer https://issuer.vouch.test))\n`,
      );
      expect(run.code).toBe(0);
      const json = await runVouch(['verify', ...identity, '-o', 'json', ref]);
      expect(JSON.parse(json.stdout)).toEqual([
        {
          image: ref,
          digest: target.digest,
          verified: true,
          signatures: [
            {
              verified: true,
              reason: expect.stringContaining('signed by signer@vouch.test'),
              format,
              identity: { subjects: ['signer@vouch.test'], issuer: 'https://issuer.vouch.test' },
            },
          ],
          tlog: { status: 'verified', detail: expect.stringContaining('rekor.vouch.test') },
        },
      ]);
    });

    it('checks -a annotations against what was signed', async () => {
      const { ref } = await signed(format, {}, { env: 'prod' });
      expect((await runVouch(['verify', ...identity, '-a', 'env=prod', ref])).code).toBe(0);
      const wrong = await runVouch(['verify', ...identity, '-a', 'env=dev', ref]);
      expect(wrong.stdout).toContain('annotation mismatch: wanted env=dev (signed env=prod)');
      expect(wrong.code).toBe(1);
    });

    const failures: Array<[string, BundleSigningOptions, string[], string]> = [
      [
        'an expired certificate without a timestamp (judged now)',
        { notBefore: new Date(Date.now() - 2 * 3600_000), tlog: false },
        ['--insecure-ignore-tlog'],
        'CERTIFICATE_EXPIRED',
      ],
      ['a tampered Rekor body', { tlog: { tamperBody: true } }, [], 'SET_INVALID'],
      ['an SET signed by another key', { tlog: { signedBy: 'other-key' } }, [], 'SET_INVALID'],
      [
        'a genuine Rekor entry for another signature',
        { tlog: { otherEntry: true } },
        [],
        'TLOG_BODY_MISMATCH',
      ],
      ['a missing SCT', { sct: 'none' }, [], 'SCT_MISSING'],
      ['a forged SCT', { sct: 'forged' }, [], 'SCT_INVALID'],
      ['a certificate from an untrusted CA', { ca: 'untrusted' }, [], 'UNTRUSTED_CA'],
      // A bundle needs some trusted time; a legacy signature is judged by its (missing) Rekor entry.
      [
        'no Rekor entry at all',
        { tlog: false },
        [],
        format === 'legacy' ? 'TLOG_MISSING' : 'TIMESTAMP_MISSING',
      ],
    ];
    it.each(failures)('fails on %s, with its own reason', async (_name, options, flags, code) => {
      const { ref } = await signed(format, options);
      const run = await runVouch(['verify', ...identity, ...flags, ref]);
      expect(run.stdout).toMatch(
        new RegExp(`^✘ ${ref}: no signature of sha256:[0-9a-f]{64} verified: .*\\[${code}\\]`),
      );
      expect(run.code).toBe(1);
    });

    it('matches identities by unanchored RE2 regular expressions, as cosign does', async () => {
      const { ref } = await signed(format);
      const withRegexp = (subject: string, issuer = '^https://issuer\\.vouch\\.test$') =>
        runVouch([
          'verify',
          '--certificate-identity-regexp',
          subject,
          '--certificate-oidc-issuer-regexp',
          issuer,
          '--trusted-root',
          root,
          ref,
        ]);
      expect((await withRegexp('@vouch\\.test$')).code).toBe(0);
      // Unanchored: a pattern matching the middle of the SAN is enough.
      expect((await withRegexp('vouch')).code).toBe(0);
      // Matches only if anchored at the end instead of the start: refused, naming what the certificate holds.
      const anchored = await withRegexp('^vouch\\.test');
      expect(anchored.stdout).toContain('certificate identity does not match regexp "^vouch\\\\.test"');
      expect(anchored.stdout).toContain('certificate has subjects ["signer@vouch.test"]');
      expect(anchored.stdout).toContain('[IDENTITY_MISMATCH]');
      expect(anchored.code).toBe(1);
      const issuer = await withRegexp('@vouch\\.test$', '^issuer\\.vouch\\.test');
      expect(issuer.stdout).toContain('[ISSUER_MISMATCH]');
      expect(issuer.code).toBe(1);
    });

    it('fails with another identity or another issuer, saying what the certificate holds', async () => {
      const { ref } = await signed(format);
      const base = ['verify', '--trusted-root', root];
      const otherIdentity = await runVouch([
        ...base,
        '--certificate-identity',
        'someone@vouch.test',
        '--certificate-oidc-issuer',
        sigstore.defaultIdentity.issuer,
        ref,
      ]);
      expect(otherIdentity.stdout).toContain('[IDENTITY_MISMATCH]');
      expect(otherIdentity.stdout).toContain('"signer@vouch.test"');
      expect(otherIdentity.code).toBe(1);
      const otherIssuer = await runVouch([
        ...base,
        '--certificate-identity',
        sigstore.defaultIdentity.subject,
        '--certificate-oidc-issuer',
        'https://accounts.google.com',
        ref,
      ]);
      expect(otherIssuer.stdout).toContain('[ISSUER_MISMATCH]');
      expect(otherIssuer.stdout).toContain('issuer "https://issuer.vouch.test"');
      expect(otherIssuer.code).toBe(1);
    });
  });

  it('--insecure-ignore-sct and --insecure-ignore-tlog: a warning on stderr, and recorded in the outcome', async () => {
    const { ref } = await signed('legacy', { sct: 'none', tlog: false });
    const run = await runVouch([
      'verify',
      ...identity,
      '--insecure-ignore-sct',
      '--insecure-ignore-tlog',
      ref,
    ]);
    expect(run.stderr).toBe(
      'vouch: warning: SCT check skipped (--insecure-ignore-sct)\n' +
        'vouch: warning: transparency log check skipped (--insecure-ignore-tlog)\n',
    );
    expect(run.stdout).toContain('verified (1 signature(s), signed by signer@vouch.test');
    expect(run.code).toBe(0);
    const json = JSON.parse(
      (
        await runVouch([
          'verify',
          ...identity,
          '--insecure-ignore-sct',
          '--insecure-ignore-tlog',
          '-o',
          'json',
          ref,
        ])
      ).stdout,
    );
    expect(json[0]).toMatchObject({
      verified: true,
      tlog: { status: 'ignored', detail: '--insecure-ignore-tlog' },
      warnings: [
        'SCT check skipped (--insecure-ignore-sct)',
        'transparency log check skipped (--insecure-ignore-tlog)',
      ],
    });
    expect(json[0].signatures[0].reason).toContain('SCT check skipped (--insecure-ignore-sct)');
  });

  it('checks the GitHub workflow extensions', async () => {
    const github = { trigger: 'push', repository: 'acme/app', ref: 'refs/heads/main' };
    const { ref } = await signed('legacy', {
      identity: { uri: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main', github },
    });
    const flags = [
      'verify',
      '--certificate-identity-regexp',
      '^https://github\\.com/acme/app/',
      '--certificate-oidc-issuer',
      sigstore.defaultIdentity.issuer,
      '--trusted-root',
      root,
    ];
    expect(
      (await runVouch([...flags, '--certificate-github-workflow-repository', 'acme/app', ref])).code,
    ).toBe(0);
    const wrong = await runVouch([...flags, '--certificate-github-workflow-trigger', 'pull_request', ref]);
    expect(wrong.stdout).toContain('GitHub workflow trigger is "push", expected "pull_request"');
    expect(wrong.code).toBe(1);
  });

  it('accepts a policy-controller TrustRoot resource as --trusted-root, and --rekor-key replaces its logs', async () => {
    const { ref } = await signed('legacy');
    const resource = join(dir, 'trustroot.yaml');
    await writeFile(
      resource,
      [
        'apiVersion: policy.sigstore.dev/v1alpha1',
        'kind: TrustRoot',
        'metadata:',
        '  name: test-sigstore',
        'spec:',
        `  trustedRootJSON: '${JSON.stringify(sigstore.trustedRootJson)}'`,
        '',
      ].join('\n'),
    );
    const flags = ['verify', ...identity.slice(0, 4), '--trusted-root', resource];
    expect((await runVouch([...flags, ref])).code).toBe(0);
    const rekorPub = join(dir, 'rekor.pub');
    const otherPub = join(dir, 'other-log.pub');
    await writeFile(rekorPub, sigstore.rekor.keyPair.publicKeyPem);
    await writeFile(otherPub, sigstore.ctlog.keyPair.publicKeyPem);
    expect((await runVouch([...flags, '--rekor-key', rekorPub, ref])).code).toBe(0);
    const other = await runVouch([...flags, '--rekor-key', otherPub, ref]);
    expect(other.stdout).toContain(
      `the Rekor entry is from log ${sigstore.rekor.logId.toString('hex')}, which is not a trusted Rekor key [TLOG_UNTRUSTED]`,
    );
    expect(other.code).toBe(1);
  });

  it('verify-attestation: legacy .att and bundle attestations, keyless, with a CEL condition', async () => {
    for (const format of ['legacy', 'bundle'] as const) {
      const { ref, target } = await push();
      const statement = buildStatement({
        subject: [{ name: target.repository, digest: digestSet(target.digest) }],
        predicateType: PREDICATE,
        predicate: { builder: 'ci' },
      });
      const attach = format === 'legacy' ? attestLegacy : attachBundle;
      await attach(client, target, sigstoreSigner(sigstore), { statement, predicateType: PREDICATE });
      const verify = (...extra: string[]) =>
        runVouch(['verify-attestation', ...identity, '--type', PREDICATE, ...extra, ref]);
      const good = await verify('--condition', 'statement.predicate.builder == "ci"');
      expect(good.stdout, format).toBe(
        `✔ ${ref}@${target.digest} verified (1 attestation(s), signed by signer@vouch.test (issuer https://issuer.vouch.test))\n`,
      );
      expect(good.code).toBe(0);
      const condition = await verify('--condition', 'statement.predicate.builder == "laptop"');
      expect(condition.stdout).toContain('the condition statement.predicate.builder == "laptop" is false');
      expect(condition.code).toBe(1);
      const otherType = await runVouch(['verify-attestation', ...identity, '--type', 'slsaprovenance', ref]);
      expect(otherType.code).toBe(1);
      const otherIdentity = await runVouch([
        'verify-attestation',
        '--certificate-identity',
        'someone@vouch.test',
        ...identity.slice(2),
        '--type',
        PREDICATE,
        ref,
      ]);
      expect(otherIdentity.stdout).toContain('[IDENTITY_MISMATCH]');
      expect(otherIdentity.code).toBe(1);
    }
  });

  it('bad flag combinations and unusable files exit 2 with a clear message', async () => {
    const { ref } = await signed('legacy');
    const missing = join(dir, 'missing.json');
    const garbage = join(dir, 'garbage.json');
    await writeFile(
      garbage,
      '{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1", "tlogs": 7}',
    );
    const pub = join(dir, 'some.pub');
    await writeFile(pub, sigstore.rekor.keyPair.publicKeyPem);
    const issuer = ['--certificate-oidc-issuer', sigstore.defaultIdentity.issuer];
    const cases: Array<[string[], RegExp]> = [
      [
        [],
        /say what to verify against: --key PUB, --certificate-identity\[-regexp\] with --certificate-oidc-issuer\[-regexp\] \(keyless\), or --policy PATH/,
      ],
      [
        ['--key', pub, ...identity],
        /--key cannot be combined with --certificate-identity, --certificate-oidc-issuer, --trusted-root/,
      ],
      [['--key', pub, '--insecure-ignore-sct'], /--key cannot be combined with --insecure-ignore-sct/],
      [
        ['--certificate-identity', 'a@b'],
        /--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required/,
      ],
      [
        ['--certificate-identity', 'a@b', '--certificate-identity-regexp', 'a', ...issuer],
        /give --certificate-identity or --certificate-identity-regexp, not both/,
      ],
      [['--certificate-identity-regexp', '(?=a)', ...issuer], /not a valid RE2 regular expression/],
      [
        ['--certificate-identity', 'a@b', ...issuer, '--rekor-key', pub, '--insecure-ignore-tlog'],
        /--rekor-key requires a transparency-log entry/,
      ],
      [
        ['--certificate-identity', 'a@b', ...issuer, '--trusted-root', missing],
        /cannot read trusted root .*missing\.json/,
      ],
      [
        ['--certificate-identity', 'a@b', ...issuer, '--trusted-root', garbage],
        /trusted root .*garbage\.json is malformed: tlogs/,
      ],
      [
        ['--certificate-identity', 'a@b', ...issuer, '--ca-intermediates', pub],
        /--ca-intermediates needs --ca-roots/,
      ],
      [
        ['--certificate-identity', 'a@b', ...issuer, '--ca-roots', pub],
        /--ca-roots: block 1 is "PUBLIC KEY", expected "CERTIFICATE"/,
      ],
      [
        ['--certificate-identity', 'a@b', ...issuer, '--rekor-key', missing],
        /cannot read Rekor public key file/,
      ],
      [['--key', pub, '-a', 'novalue'], /annotation "novalue" must be key=value/],
    ];
    for (const [flags, message] of cases) {
      const run = await runVouch(['verify', ...flags, ref]);
      expect(run.stderr, flags.join(' ')).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.code, flags.join(' ')).toBe(2);
    }
  });
});
