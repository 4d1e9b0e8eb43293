import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/index.js';
import {
  attachBundle,
  COSIGN_SIGN_PREDICATE_TYPE,
  signatureStatement,
  signLegacy,
} from '../../src/signature/index.js';
import { verifyBundle } from '../../src/verify/keyless/bundle.js';
import {
  type LegacyKeylessSignature,
  legacyKeylessFromAnnotations,
  verifyLegacyKeyless,
} from '../../src/verify/keyless/legacy.js';
import { publicGoodTrustedRoot } from '../../src/verify/trust/embedded.js';
import { parseTrustedRoot } from '../../src/verify/trust/trusted-root.js';
import {
  buildImage,
  pushArtifact,
  runVouch,
  startRegistry,
  type TestRegistry,
  tempDir,
} from '../harness/index.js';
import { FIXTURES } from '../signature/cosign-fixtures.js';
import { placeFixture } from '../signature/helpers.js';
import { createTestSigstore } from '../sigstore/index.js';
import { sigstoreSigner } from '../sigstore/signer.js';
import { blockNetwork } from './no-network.js';

const PRELOAD = fileURLToPath(new URL('./no-network.mjs', import.meta.url));

describe('keyless verification needs no network', () => {
  let blocked: ReturnType<typeof blockNetwork>;
  beforeAll(() => {
    blocked = blockNetwork();
  });
  afterAll(() => blocked.restore());

  it('the block is real: fetch, https and raw sockets to other hosts fail; loopback works', async () => {
    await expect(fetch('https://tuf-repo-cdn.sigstore.dev/')).rejects.toThrow();
    await expect(
      new Promise((resolve, reject) =>
        https.get('https://rekor.sigstore.dev/api/v1/log', resolve).on('error', reject),
      ),
    ).rejects.toThrow(/blocked/);
    expect(() => net.connect({ host: '198.51.100.7', port: 443 })).toThrow(/blocked/);
    expect(blocked.attempts).toEqual(
      expect.arrayContaining(['tuf-repo-cdn.sigstore.dev', 'rekor.sigstore.dev', '198.51.100.7']),
    );

    const server = net.createServer((socket) => socket.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => undefined);
      socket.on('data', (data) => resolve(data.toString()));
      socket.on('error', reject);
    });
    server.close();
    expect(reply).toBe('ok');
    blocked.attempts.length = 0;
  });

  it('verifies the real cosign keyless signature against the embedded public-good root', () => {
    const raw = readFileSync(
      new URL('../fixtures/cosign-real/dir-img-cosign-fulcio-rekor-valid/signature-1', import.meta.url),
    );
    const parsed = JSON.parse(raw.subarray('\0sigstore-json\n'.length).toString('utf8')) as {
      payload: string;
      annotations: Record<string, string>;
    };
    const signature = legacyKeylessFromAnnotations(Buffer.from(parsed.payload, 'base64'), parsed.annotations);
    const result = verifyLegacyKeyless(
      signature as LegacyKeylessSignature,
      { identities: [{ subject: 'mitr@redhat.com', issuer: 'https://github.com/login/oauth' }] },
      { trustedRoot: publicGoodTrustedRoot() },
    );
    expect(result.verified).toBe(true);
    expect(blocked.attempts).toEqual([]);
  });

  it('signs with the test Sigstore and verifies legacy signatures and bundles (Rekor v1 and v2, TSA)', async () => {
    const sigstore = await createTestSigstore();
    const trustedRoot = parseTrustedRoot(sigstore.trustedRootJson, 'test');
    const policy = { identities: [sigstore.defaultIdentity] };
    const legacy = await sigstore.signLegacy(
      sigstore.imagePayload('registry.test/app', `sha256:${'1'.repeat(64)}`),
    );
    expect(verifyLegacyKeyless(legacy, policy, { trustedRoot }).verified).toBe(true);
    const artifact = Buffer.from('offline');
    for (const bundle of [
      await sigstore.signBlobBundle(artifact),
      await sigstore.signBlobBundle(artifact, { tlog: { log: 'v2' } }),
    ])
      expect(verifyBundle(bundle, { bytes: artifact }, { keyless: policy }, { trustedRoot }).verified).toBe(
        true,
      );
    expect(blocked.attempts).toEqual([]);
  });
});

describe('vouch verify-bundle in a process where every non-loopback connection throws', () => {
  const env = { NODE_OPTIONS: `--import=${PRELOAD}` };

  it('the preload blocks the network', async () => {
    const probe = await new Promise<number>((resolve) => {
      import('node:child_process').then(({ execFile }) =>
        execFile(
          process.execPath,
          [
            '-e',
            "fetch('https://tuf-repo-cdn.sigstore.dev/').then(() => process.exit(0), () => process.exit(3))",
          ],
          { env: { ...process.env, ...env } },
          (error) => resolve(error ? (error.code as number) : 0),
        ),
      );
    });
    expect(probe).toBe(3);
  });

  it('verifies a bundle with a certificate identity', async () => {
    const sigstore = await createTestSigstore();
    const dir = await tempDir('offline-cli');
    const artifact = join(dir, 'artifact.txt');
    await writeFile(artifact, 'offline artifact');
    await writeFile(
      join(dir, 'bundle.json'),
      JSON.stringify(await sigstore.signBlobBundle(readFileSync(artifact))),
    );
    await writeFile(join(dir, 'trusted_root.json'), JSON.stringify(sigstore.trustedRootJson));
    const run = await runVouch(
      [
        'verify-bundle',
        '--bundle',
        join(dir, 'bundle.json'),
        '--certificate-identity',
        sigstore.defaultIdentity.subject,
        '--certificate-oidc-issuer',
        sigstore.defaultIdentity.issuer,
        '--trusted-root',
        join(dir, 'trusted_root.json'),
        artifact,
      ],
      { env },
    );
    await rm(dir, { recursive: true, force: true });
    expect(run.stderr).not.toContain('no-network: blocked');
    expect(run.stdout).toContain('verified');
    expect(run.code).toBe(0);
  });
});

describe('vouch verify, keyless, from a loopback registry in a process where every non-loopback connection throws', () => {
  const env = { NODE_OPTIONS: `--import=${PRELOAD}` };
  let registry: TestRegistry;
  let client: RegistryClient;
  let dir: string;

  beforeAll(async () => {
    [registry, dir] = await Promise.all([startRegistry(), tempDir('offline-verify')]);
    client = new RegistryClient();
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  /** Places a real-cosign fixture (manifest and `.sig`) in the registry; returns its reference. */
  async function place(name: string): Promise<string> {
    const repository = `fixtures/${name}`;
    await placeFixture(registry, client, name, repository);
    return `${registry.host}/${repository}:latest`;
  }

  it('verifies the real cosign keyless signature against the embedded public-good root, and only with its identity', async () => {
    const ref = await place('dir-img-cosign-fulcio-rekor-valid');
    const flags = (subject: string, issuer: string) => [
      'verify',
      '--certificate-identity',
      subject,
      '--certificate-oidc-issuer',
      issuer,
    ];
    const good = await runVouch([...flags('mitr@redhat.com', 'https://github.com/login/oauth'), ref], {
      env,
    });
    expect(good.stderr).not.toContain('no-network: blocked');
    expect(good.stdout).toMatch(
      /^✔ \S+ verified \(1 signature\(s\), signed by mitr@redhat\.com \(issuer https:\/\/github\.com\/login\/oauth\)\)\n$/,
    );
    expect(good.code).toBe(0);
    const identity = await runVouch([...flags('someone@redhat.com', 'https://github.com/login/oauth'), ref], {
      env,
    });
    expect(identity.stdout).toContain('[IDENTITY_MISMATCH]');
    expect(identity.code).toBe(1);
    const issuer = await runVouch([...flags('mitr@redhat.com', 'https://accounts.google.com'), ref], { env });
    expect(issuer.stdout).toContain('[ISSUER_MISMATCH]');
    expect(issuer.code).toBe(1);
    const rekorKey = [...flags('mitr@redhat.com', 'https://github.com/login/oauth'), '--rekor-key'];
    const otherLog = await runVouch([...rekorKey, join(FIXTURES, 'cosign.pub'), ref], { env });
    expect(otherLog.stdout).toContain('which is not a trusted Rekor key [TLOG_UNTRUSTED]');
    expect(otherLog.code).toBe(1);
    const fixtureLog = await runVouch([...rekorKey, join(FIXTURES, 'rekor.pub'), ref], { env });
    expect(fixtureLog.code).toBe(0);
    for (const run of [identity, issuer, otherLog, fixtureLog])
      expect(run.stderr).not.toContain('no-network');
  });

  it('verifies the real cosign private-PKI signature with --ca-roots/--ca-intermediates or --certificate-chain', async () => {
    const ref = await place('dir-img-cosign-pki-valid');
    const base = [
      'verify',
      '--insecure-ignore-sct',
      '--insecure-ignore-tlog',
      '--certificate-oidc-issuer-regexp',
      '.*',
    ];
    const pki = [
      '--ca-roots',
      join(FIXTURES, 'pki_root_crts.pem'),
      '--ca-intermediates',
      join(FIXTURES, 'pki_intermediate_crts.pem'),
    ];
    const good = await runVouch([...base, ...pki, '--certificate-identity', 'qiwan@redhat.com', ref], {
      env,
    });
    expect(good.stdout).toContain(
      'verified (1 signature(s), signed by qiwan@redhat.com, myhost.example.com (issuer none))',
    );
    expect(good.stderr).toBe(
      'vouch: warning: SCT check skipped (--insecure-ignore-sct)\n' +
        'vouch: warning: transparency log check skipped (--insecure-ignore-tlog)\n',
    );
    expect(good.code).toBe(0);
    const chain = await runVouch(
      [
        ...base,
        '--certificate-chain',
        join(FIXTURES, 'pki-chain'),
        '--certificate-identity',
        'myhost.example.com',
        ref,
      ],
      { env },
    );
    expect(chain.code).toBe(0);
    const identity = await runVouch([...base, ...pki, '--certificate-identity', 'mitr@redhat.com', ref], {
      env,
    });
    expect(identity.stdout).toContain('[IDENTITY_MISMATCH]');
    expect(identity.code).toBe(1);
    const issuer = await runVouch(
      [
        'verify',
        '--insecure-ignore-sct',
        '--insecure-ignore-tlog',
        ...pki,
        '--certificate-identity',
        'qiwan@redhat.com',
        '--certificate-oidc-issuer',
        'https://accounts.google.com',
        ref,
      ],
      { env },
    );
    expect(issuer.stdout).toContain('[ISSUER_MISMATCH]');
    expect(issuer.code).toBe(1);
    const publicGood = await runVouch([...base, '--certificate-identity', 'qiwan@redhat.com', ref], { env });
    expect(publicGood.stdout).toContain('[UNTRUSTED_CA]');
    expect(publicGood.code).toBe(1);
    for (const run of [good, chain, identity, issuer, publicGood])
      expect(run.stderr).not.toContain('no-network');
  });

  it('verifies test-Sigstore signatures (legacy and bundle) with --trusted-root', async () => {
    const sigstore = await createTestSigstore();
    const root = join(dir, 'trusted_root.json');
    await writeFile(root, JSON.stringify(sigstore.trustedRootJson));
    const refs: string[] = [];
    for (const format of ['legacy', 'bundle'] as const) {
      const image = buildImage({ seed: `offline-${format}` });
      const repo = { registry: registry.host, repository: `offline/${format}` };
      await pushArtifact(client, repo, image, 'v1');
      const target = {
        ...repo,
        digest: image.digest,
        mediaType: image.mediaType,
        size: image.manifest.byteLength,
      };
      if (format === 'legacy') await signLegacy(client, target, sigstoreSigner(sigstore), {});
      else
        await attachBundle(client, target, sigstoreSigner(sigstore), {
          statement: signatureStatement(target.digest),
          predicateType: COSIGN_SIGN_PREDICATE_TYPE,
        });
      refs.push(`${registry.host}/offline/${format}:v1`);
    }
    const run = await runVouch(
      [
        'verify',
        '--certificate-identity',
        sigstore.defaultIdentity.subject,
        '--certificate-oidc-issuer',
        sigstore.defaultIdentity.issuer,
        '--trusted-root',
        root,
        ...refs,
      ],
      { env },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split('\n')).toHaveLength(2);
    expect(run.code).toBe(0);
  });
});
