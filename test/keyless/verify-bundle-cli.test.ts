import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVouch, tempDir } from '../harness/index.js';
import { createTestSigstore, newKeyPair, type TestKeyPair, type TestSigstore } from '../sigstore/index.js';

// Spawns bin/vouch: run `npm run build` first (`npm test` does).

let sigstore: TestSigstore;
let dir: string;
let key: TestKeyPair;
const files: Record<string, string> = {};
const artifactBytes = Buffer.from('release tarball bytes\n');
const artifactDigest = `sha256:${createHash('sha256').update(artifactBytes).digest('hex')}`;

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  files[name] = path;
  return path;
}

beforeAll(async () => {
  sigstore = await createTestSigstore();
  key = await newKeyPair();
  dir = await tempDir('verify-bundle');
  const statement = sigstore.statement({
    name: 'release.tar',
    sha256: artifactDigest.slice('sha256:'.length),
  });
  await file('artifact', artifactBytes);
  await file('other', 'not the artifact');
  await file('trusted_root.json', JSON.stringify(sigstore.trustedRootJson));
  await file('key.pub', key.publicKeyPem);
  await file('other.pub', (await newKeyPair()).publicKeyPem);
  await file('blob.sigstore.json', JSON.stringify(await sigstore.signBlobBundle(artifactBytes)));
  await file(
    'blob-v01.sigstore.json',
    JSON.stringify(await sigstore.signBlobBundle(artifactBytes, { version: '0.1' })),
  );
  await file('dsse.sigstore.json', JSON.stringify(await sigstore.signDsseBundle(statement)));
  await file(
    'dsse-rekor2.sigstore.json',
    JSON.stringify(await sigstore.signDsseBundle(statement, { tlog: { log: 'v2', kind: 'hashedrekord' } })),
  );
  await file('blob-key.sigstore.json', JSON.stringify(await sigstore.signBlobBundle(artifactBytes, { key })));
  await file('dsse-key.sigstore.json', JSON.stringify(await sigstore.signDsseBundle(statement, { key })));
  await file(
    'expired.sigstore.json',
    JSON.stringify(
      await sigstore.signBlobBundle(artifactBytes, {
        tlog: { integratedTime: new Date(sigstore.now.getTime() + 3600_000) },
      }),
    ),
  );
  const root = sigstore.trustedRootJson as { tlogs: { publicKey: { validFor: Record<string, string> } }[] };
  await file(
    'no-start.trusted_root.json',
    JSON.stringify({
      ...root,
      tlogs: root.tlogs.map((log) => ({ ...log, publicKey: { ...log.publicKey, validFor: {} } })),
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const identity = () => [
  '--certificate-identity',
  sigstore.defaultIdentity.subject,
  '--certificate-oidc-issuer',
  sigstore.defaultIdentity.issuer,
];
const verifyBundle = (bundle: string, subject: string, ...flags: string[]) =>
  runVouch(['verify-bundle', '--bundle', files[bundle] as string, ...flags, subject]);

describe('vouch verify-bundle (sigstore-conformance protocol)', () => {
  it('verifies a blob bundle for the file and for its digest, with a certificate identity', async () => {
    for (const subject of [files.artifact as string, artifactDigest]) {
      const run = await verifyBundle(
        'blob.sigstore.json',
        subject,
        ...identity(),
        '--trusted-root',
        files['trusted_root.json'] as string,
      );
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain(`verified ${subject}: signed by signer@vouch.test`);
      expect(run.code).toBe(0);
    }
    const v01 = await verifyBundle(
      'blob-v01.sigstore.json',
      files.artifact as string,
      ...identity(),
      '--trusted-root',
      files['trusted_root.json'] as string,
    );
    expect(v01.code).toBe(0);
  });

  it('verifies DSSE bundles for an in-toto subject, given as the file or its digest (Rekor v1 and v2)', async () => {
    for (const bundle of ['dsse.sigstore.json', 'dsse-rekor2.sigstore.json'])
      for (const subject of [files.artifact as string, artifactDigest]) {
        const run = await verifyBundle(
          bundle,
          subject,
          ...identity(),
          '--trusted-root',
          files['trusted_root.json'] as string,
        );
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
      }
  });

  it('verifies blob and DSSE bundles with --key', async () => {
    for (const bundle of ['blob-key.sigstore.json', 'dsse-key.sigstore.json']) {
      const run = await verifyBundle(
        bundle,
        files.artifact as string,
        '--key',
        files['key.pub'] as string,
        '--trusted-root',
        files['trusted_root.json'] as string,
      );
      expect(run.stdout).toContain('signed with the given key');
      expect(run.code).toBe(0);
    }
  });

  describe('fails (exit 1, reason on stderr)', () => {
    const trusted = () => ['--trusted-root', files['trusted_root.json'] as string];

    it('with another identity or issuer', async () => {
      const wrongIdentity = await verifyBundle(
        'blob.sigstore.json',
        files.artifact as string,
        '--certificate-identity',
        'mallory@vouch.test',
        '--certificate-oidc-issuer',
        sigstore.defaultIdentity.issuer,
        ...trusted(),
      );
      expect(wrongIdentity.code).toBe(1);
      expect(wrongIdentity.stderr).toContain('[IDENTITY_MISMATCH]');
      expect(wrongIdentity.stderr).toContain('signer@vouch.test');
      const wrongIssuer = await verifyBundle(
        'blob.sigstore.json',
        files.artifact as string,
        '--certificate-identity',
        sigstore.defaultIdentity.subject,
        '--certificate-oidc-issuer',
        'https://accounts.google.com',
        ...trusted(),
      );
      expect(wrongIssuer.code).toBe(1);
      expect(wrongIssuer.stderr).toContain('[ISSUER_MISMATCH]');
    });

    it('with another artifact or digest', async () => {
      const run = await verifyBundle(
        'blob.sigstore.json',
        files.other as string,
        ...identity(),
        ...trusted(),
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('[DIGEST_MISMATCH]');
      const dsse = await verifyBundle(
        'dsse.sigstore.json',
        `sha256:${'0'.repeat(64)}`,
        ...identity(),
        ...trusted(),
      );
      expect(dsse.code).toBe(1);
      expect(dsse.stderr).toContain('[DIGEST_MISMATCH]');
    });

    it('with another key, or a key for a certificate bundle', async () => {
      const otherKey = await verifyBundle(
        'blob-key.sigstore.json',
        files.artifact as string,
        '--key',
        files['other.pub'] as string,
        ...trusted(),
      );
      expect(otherKey.code).toBe(1);
      expect(otherKey.stderr).toContain('[SIGNATURE_INVALID]');
      const keyForCertificate = await verifyBundle(
        'blob.sigstore.json',
        files.artifact as string,
        '--key',
        files['key.pub'] as string,
        ...trusted(),
      );
      expect(keyForCertificate.code).toBe(1);
      expect(keyForCertificate.stderr).toContain('[KEY_MISMATCH]');
    });

    it('against the embedded public-good or staging root, which do not trust the test Sigstore', async () => {
      const publicGood = await verifyBundle('blob.sigstore.json', files.artifact as string, ...identity());
      expect(publicGood.code).toBe(1);
      expect(publicGood.stderr).toContain('[TLOG_UNTRUSTED]');
      const staging = await verifyBundle(
        'blob.sigstore.json',
        files.artifact as string,
        '--staging',
        ...identity(),
      );
      expect(staging.code).toBe(1);
    });

    it('when the certificate was not valid at the integrated time', async () => {
      const run = await verifyBundle(
        'expired.sigstore.json',
        files.artifact as string,
        ...identity(),
        ...trusted(),
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('[CERTIFICATE_EXPIRED]');
    });
  });

  describe('usage and configuration errors (exit 2)', () => {
    it('needs exactly one of --key or an identity with an issuer', async () => {
      const neither = await verifyBundle('blob.sigstore.json', files.artifact as string);
      expect(neither.code).toBe(2);
      expect(neither.stderr).toContain('--certificate-identity and --certificate-oidc-issuer');
      const onlyIdentity = await verifyBundle(
        'blob.sigstore.json',
        files.artifact as string,
        '--certificate-identity',
        'x',
      );
      expect(onlyIdentity.code).toBe(2);
      const both = await verifyBundle(
        'blob.sigstore.json',
        files.artifact as string,
        ...identity(),
        '--key',
        files['key.pub'] as string,
      );
      expect(both.code).toBe(2);
    });

    it('rejects a trusted root whose log key has no validFor.start', async () => {
      const run = await verifyBundle(
        'blob.sigstore.json',
        files.artifact as string,
        ...identity(),
        '--trusted-root',
        files['no-start.trusted_root.json'] as string,
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('validFor.start');
    });

    it('reports unreadable inputs', async () => {
      const missingBundle = await runVouch([
        'verify-bundle',
        '--bundle',
        join(dir, 'nope.json'),
        ...identity(),
        files.artifact as string,
      ]);
      expect(missingBundle.code).toBe(2);
      expect(missingBundle.stderr).toContain('cannot read --bundle');
      const missingArtifact = await verifyBundle('blob.sigstore.json', join(dir, 'nope'), ...identity());
      expect(missingArtifact.code).toBe(2);
    });
  });

  it('treats sha256:<hex> as a path when such a file exists', async () => {
    const path = await file(artifactDigest, 'a file whose name looks like a digest');
    const run = await runVouch(
      [
        'verify-bundle',
        '--bundle',
        files['blob.sigstore.json'] as string,
        ...identity(),
        '--trusted-root',
        files['trusted_root.json'] as string,
        artifactDigest,
      ],
      { cwd: dir },
    );
    expect(path).toContain(artifactDigest);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('[DIGEST_MISMATCH]');
  });
});
