/**
 * `vouch verify --policy` and `vouch policy test` as a user runs them (the built bin/vouch), against
 * a real registry with images signed by the signature layer: output lines, JSON, warnings on stderr,
 * exit codes (0 verified, 1 not, 2 invalid policies or usage).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseReference } from '../../src/reference/index.js';
import { RegistryClient } from '../../src/registry/index.js';
import type { PrivateKey } from '../../src/signature/index.js';
import { runVouch, startRegistry, type TestRegistry, tempDir } from '../harness/index.js';
import { fixtureDescriptor, fixtureText, readCase } from '../signature/cosign-fixtures.js';
import { placeManifest, pushLegacyManifest } from '../signature/helpers.js';
import { cip, keyAuthority, newKey, type PushedImage, pushImage, sign } from './helpers.js';

describe('vouch verify --policy and vouch policy test', () => {
  let registry: TestRegistry;
  let dir: string;
  let release: PrivateKey;
  let signed: PushedImage;
  let unsigned: PushedImage;
  let policyFile: string;
  let fixtureImage: string;

  const write = async (name: string, ...documents: unknown[]) => {
    const path = join(dir, name);
    await writeFile(path, documents.map((document) => stringify(document)).join('---\n'));
    return path;
  };

  beforeAll(async () => {
    registry = await startRegistry();
    dir = await tempDir('engine-cli');
    const client = new RegistryClient();
    release = await newKey();
    signed = await pushImage(client, registry.host, 'org/app');
    await sign(client, signed, release);
    unsigned = await pushImage(client, registry.host, 'org/unsigned');
    policyFile = await write(
      'release.yaml',
      cip('release', { images: [{ glob: `${registry.host}/org/**` }], authorities: [keyAuthority(release)] }),
    );
    // A real cosign signature with a Rekor bundle, for ctlog with a TrustRoot given by --trustroot.
    const fixture = readCase('dir-img-cosign-key-rekor-valid');
    await placeManifest(registry.storageDir, 'fixtures/rekor', 'latest', fixture.manifest as Buffer);
    fixtureImage = `${registry.host}/fixtures/rekor:latest`;
    const { digest } = await client.resolve(parseReference(fixtureImage));
    await pushLegacyManifest(
      client,
      { registry: registry.host, repository: 'fixtures/rekor' },
      digest,
      fixture.signatures.map((signature) => ({
        blob: signature.payload,
        descriptor: fixtureDescriptor(signature),
      })),
    );
    await client.close();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  describe('vouch verify --policy', () => {
    it('verified: ✔ with the digest, exit 0, and the key-alone note on stderr', async () => {
      const { code, stdout, stderr } = await runVouch(['verify', '--policy', policyFile, signed.ref]);
      expect(stdout).toBe(`✔ ${signed.ref}@${signed.digest} verified (policy release)\n`);
      expect(stderr).toContain('no transparency log was checked for a key authority without ctlog');
      expect(code).toBe(0);
    });

    it('not verified: ✘ with policy-controller’s message, exit 1; one bad image fails the run', async () => {
      const { code, stdout } = await runVouch(['verify', '--policy', policyFile, signed.ref, unsigned.ref]);
      const lines = stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(`✔ ${signed.ref}@${signed.digest} verified (policy release)`);
      expect(lines[1]).toBe(
        `✘ ${unsigned.ref}: failed policy: release: signature key validation failed for authority authority-0 for ${unsigned.byDigest}: no signatures found for ${unsigned.digest} (looked in ${registry.host}/org/unsigned:sha256-${unsigned.digest.slice(7)}.sig and the referrers of ${unsigned.digest} (tag schema))`,
      );
      expect(code).toBe(1);
    });

    it('--output json: the key-verification keys plus the verdict', async () => {
      const { code, stdout, stderr } = await runVouch([
        'verify',
        '--policy',
        policyFile,
        '--output',
        'json',
        signed.ref,
        unsigned.ref,
      ]);
      expect(code).toBe(1);
      const results = JSON.parse(stdout) as Array<Record<string, unknown>>;
      expect(results[0]).toMatchObject({
        image: signed.ref,
        digest: signed.digest,
        verified: true,
        allowed: true,
        errors: [],
        warnings: [],
        signatures: [{ verified: true, format: 'legacy', reason: expect.stringContaining('signed by key') }],
        tlog: { status: 'not-checked' },
      });
      expect(results[1]).toMatchObject({
        image: unsigned.ref,
        verified: false,
        failure: 'signature',
        digest: unsigned.digest,
      });
      expect(Object.keys(results[0] as object)).toEqual(
        expect.arrayContaining(['image', 'digest', 'verified', 'signatures', 'tlog', 'policies']),
      );
      expect(stderr).toContain(`✘ ${unsigned.ref}: failed policy: release:`);
    });

    it('mode warn: allowed, exit 0, the warning on stderr', async () => {
      const warn = await write(
        'warn.yaml',
        cip('release', {
          images: [{ glob: `${registry.host}/org/**` }],
          mode: 'warn',
          authorities: [keyAuthority(release)],
        }),
      );
      const { code, stdout, stderr } = await runVouch(['verify', '--policy', warn, unsigned.ref]);
      expect(code).toBe(0);
      expect(stdout).toBe(
        `✔ ${unsigned.ref}@${unsigned.digest} allowed (policy release failed in warn mode)\n`,
      );
      expect(stderr).toContain(
        `vouch: warning: ${unsigned.ref}: failed policy: release: signature key validation failed`,
      );
    });

    it('no matching policies: denied by default, --no-match-policy warn or allow admits', async () => {
      const elsewhere = `${registry.host}/elsewhere/app:v1`;
      const denied = await runVouch(['verify', '--policy', policyFile, elsewhere]);
      expect(denied.stdout).toBe(`✘ ${elsewhere}: no matching policies\n`);
      expect(denied.code).toBe(1);
      const warned = await runVouch([
        'verify',
        '--policy',
        policyFile,
        '--no-match-policy',
        'warn',
        elsewhere,
      ]);
      expect(warned.stdout).toBe(`✔ ${elsewhere} allowed (no matching policies)\n`);
      expect(warned.stderr).toContain(`vouch: warning: ${elsewhere}: no matching policies`);
      expect(warned.code).toBe(0);
      const allowed = await runVouch([
        'verify',
        '--policy',
        policyFile,
        '--no-match-policy',
        'allow',
        elsewhere,
      ]);
      expect(allowed.code).toBe(0);
      expect(allowed.stderr).not.toContain('no matching policies');
    });

    it('a registry host spelt another way does not escape the globs with --no-match-policy allow', async () => {
      // `.invalid` never resolves: once a policy applies, the image cannot be verified and is refused.
      const policy = await write(
        'acme.yaml',
        cip('acme', { images: [{ glob: 'registry.invalid/acme/**' }], authorities: [keyAuthority(release)] }),
      );
      for (const image of ['REGISTRY.INVALID/acme/app:v1', 'registry.invalid:443/acme/app:v1']) {
        const run = await runVouch([
          'verify',
          '--policy',
          policy,
          '--no-match-policy',
          'allow',
          '--timeout',
          '5',
          image,
        ]);
        expect(run.stdout).toMatch(new RegExp(`^✘ ${image.replace(/[.]/g, '\\.')}: `));
        expect(run.code).toBe(1);
      }
    });

    it('invalid policies: exit 2 with located errors, nothing verified', async () => {
      const bad = await write('bad.yaml', cip('bad', { images: [{ glob: '**' }], authorities: [] }));
      const { code, stdout, stderr } = await runVouch(['verify', '--policy', bad, signed.ref]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain(
        `vouch: ${bad}: document 1 (ClusterImagePolicy "bad"): spec.authorities: at least one authority is required`,
      );
    });

    it('--key with --policy, or neither: usage errors (exit 2)', async () => {
      const both = await runVouch(['verify', '--policy', policyFile, '--key', policyFile, signed.ref]);
      expect(both).toMatchObject({
        code: 2,
        stderr: 'vouch: --policy replaces --key and the keyless flags: give one or the other\n',
      });
      const neither = await runVouch(['verify', signed.ref]);
      expect(neither.code).toBe(2);
      expect(neither.stderr).toContain('--key PUB, --certificate-identity[-regexp] with');
      expect(neither.stderr).toContain('or --policy PATH');
    });
  });

  describe('vouch policy test', () => {
    it('prints the verdict with every policy and authority; exit 0', async () => {
      const { code, stdout } = await runVouch([
        'policy',
        'test',
        '--policy',
        policyFile,
        '--image',
        signed.ref,
      ]);
      expect(code).toBe(0);
      const lines = stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(`✔ ${signed.ref}@${signed.digest} verified (policy release)`);
      expect(lines[1]).toBe('  policy release (enforce): passed');
      expect(lines[2]).toMatch(
        /^ {4}authority authority-0 \(key\): passed: 1 signature\(s\) of sha256:[0-9a-f]{64} verified with key sha256:[0-9a-f]{16} \[no transparency log was checked: the key alone vouches/,
      );
    });

    it('--output json: {"errors":[…],"warnings":[…]}, exit 1 on errors', async () => {
      const { code, stdout } = await runVouch([
        'policy',
        'test',
        '--policy',
        policyFile,
        '--image',
        unsigned.ref,
        '--output',
        'json',
      ]);
      expect(code).toBe(1);
      const result = JSON.parse(stdout) as { errors: string[]; warnings: string[] };
      expect(Object.keys(result)).toEqual(['errors', 'warnings']);
      expect(result.warnings).toEqual([]);
      expect(result.errors).toEqual([
        expect.stringMatching(
          /^failed policy: release: signature key validation failed for authority authority-0 for /,
        ),
      ]);
      const passing = await runVouch([
        'policy',
        'test',
        '--policy',
        policyFile,
        '--image',
        signed.ref,
        '-o',
        'json',
      ]);
      expect(JSON.parse(passing.stdout)).toEqual({ errors: [], warnings: [] });
      expect(passing.code).toBe(0);
    });

    it('--resource: match rules and CEL over the object’s metadata', async () => {
      const labelled = await write(
        'labelled.yaml',
        cip('labelled', {
          images: [{ glob: `${registry.host}/org/**` }],
          authorities: [keyAuthority(release)],
          match: [{ version: 'v1', resource: 'pods' }],
          policy: { type: 'cel', data: 'metadata.labels.team == "web"', includeObjectMeta: true },
        }),
      );
      const pod = (team: string) =>
        write(`pod-${team}.yaml`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'p', labels: { team } },
          spec: {},
        });
      const web = await runVouch([
        'policy',
        'test',
        '--policy',
        labelled,
        '--image',
        signed.ref,
        '--resource',
        await pod('web'),
      ]);
      expect(web.code).toBe(0);
      const db = await runVouch([
        'policy',
        'test',
        '--policy',
        labelled,
        '--image',
        signed.ref,
        '--resource',
        await pod('db'),
        '-o',
        'json',
      ]);
      expect(JSON.parse(db.stdout)).toEqual({
        errors: [
          'failed policy: labelled: failed evaluating cel policy for ClusterImagePolicy: the condition metadata.labels.team == "web" is false',
        ],
        warnings: [],
      });
      expect(db.code).toBe(1);
      // Without the resource, the match rule (pods only) leaves the image uncovered: denied.
      const none = await runVouch([
        'policy',
        'test',
        '--policy',
        labelled,
        '--image',
        signed.ref,
        '-o',
        'json',
      ]);
      expect(JSON.parse(none.stdout)).toEqual({ errors: ['no matching policies'], warnings: [] });
    });

    it('--trustroot: the TrustRoot a policy’s ctlog refers to (a real cosign signature with its Rekor bundle)', async () => {
      const rekor = await write(
        'rekor-policy.yaml',
        cip('rekor', {
          images: [{ glob: `${registry.host}/fixtures/**` }],
          authorities: [
            { key: { data: fixtureText('cosign2.pub') }, ctlog: { trustRootRef: 'public-rekor' } },
          ],
        }),
      );
      const b64 = (text: string) => Buffer.from(text).toString('base64');
      const trustroot = await write('trustroot.yaml', {
        apiVersion: 'policy.sigstore.dev/v1alpha1',
        kind: 'TrustRoot',
        metadata: { name: 'public-rekor' },
        spec: {
          sigstoreKeys: {
            certificateAuthorities: [
              {
                subject: { organization: 'sigstore.dev', commonName: 'sigstore' },
                uri: 'https://fulcio.sigstore.dev',
                certChain: b64(fixtureText('fulcio_v1.crt.pem')),
              },
            ],
            tLogs: [
              {
                baseURL: 'https://rekor.sigstore.dev',
                hashAlgorithm: 'sha-256',
                publicKey: b64(fixtureText('rekor.pub')),
              },
            ],
          },
        },
      });
      const { code, stdout } = await runVouch([
        'policy',
        'test',
        '--policy',
        rekor,
        '--trustroot',
        trustroot,
        '--image',
        fixtureImage,
      ]);
      expect(stdout).toContain('authority authority-0 (key): passed');
      expect(stdout).not.toContain('the key alone vouches');
      expect(code).toBe(0);
      // Without the TrustRoot the policy refers to nothing: an invalid policy set.
      const missing = await runVouch(['policy', 'test', '--policy', rekor, '--image', fixtureImage]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('TrustRoot "public-rekor" was not supplied');
    });

    it('an invalid image is an error (exit 1); invalid policies exit 2', async () => {
      const invalid = await runVouch([
        'policy',
        'test',
        '--policy',
        policyFile,
        '--image',
        'in@valid',
        '-o',
        'json',
      ]);
      expect(invalid.code).toBe(1);
      expect((JSON.parse(invalid.stdout) as { errors: string[] }).errors[0]).toMatch(
        /^could not parse reference: in@valid/,
      );
      const bad = await write(
        'cue.yaml',
        cip('cue', {
          images: [{ glob: '**' }],
          authorities: [{ static: { action: 'pass' } }],
          policy: { type: 'cue', data: 'x: 1' },
        }),
      );
      const refused = await runVouch(['policy', 'test', '--policy', bad, '--image', signed.ref]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('spec.policy.type: cue policies are not supported by vouch');
    });
  });
});
