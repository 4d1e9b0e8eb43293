import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/verify/keyless/bundle.js';
import {
  type LegacyKeylessSignature,
  legacyKeylessFromAnnotations,
  verifyLegacyKeyless,
} from '../../src/verify/keyless/legacy.js';
import { publicGoodTrustedRoot } from '../../src/verify/trust/embedded.js';
import { parseTrustedRoot } from '../../src/verify/trust/trusted-root.js';
import { tempDir } from '../harness/index.js';
import { createTestSigstore } from '../sigstore/index.js';
import { blockNetwork } from './no-network.js';
import { runVouch } from './run-vouch.js';

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
      env,
    );
    await rm(dir, { recursive: true, force: true });
    expect(run.stderr).not.toContain('no-network: blocked');
    expect(run.stdout).toContain('verified');
    expect(run.code).toBe(0);
  });
});
