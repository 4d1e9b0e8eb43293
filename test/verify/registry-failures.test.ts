import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/reference/index.js';
import { RegistryClient, StaticCredentials } from '../../src/registry/index.js';
import {
  ImageArtefacts,
  legacyTag,
  type PrivateKey,
  parsePrivateKey,
  signLegacy,
} from '../../src/signature/index.js';
import { Deadline } from '../../src/util/deadline.js';
import {
  keyAuthority,
  keylessAuthority,
  publicGoodTrustedRoot,
  verifySignatures,
} from '../../src/verify/index.js';
import {
  buildImage,
  type FakeRegistry,
  pushArtifact,
  startFakeRegistry,
  startRegistry,
  type TestRegistry,
} from '../harness/index.js';

async function newKey(): Promise<PrivateKey> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return parsePrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, async () => '');
}

const DIGEST = sha256Digest('an image');

/**
 * A registry that fails to answer must give a registry failure (or a timeout), never "no signatures
 * found": cosign v3 conflates the two (a throttled referrers listing reads as unsigned).
 */
describe('registry failures are reported as registry failures', () => {
  let fake: FakeRegistry;
  let client: RegistryClient;
  let key: PrivateKey;
  let mode: 'throttle-sig' | 'unauthorized-sig' | 'stall-sig' | 'throttle-referrers' = 'throttle-sig';

  beforeAll(async () => {
    key = await newKey();
    fake = await startFakeRegistry((request, response) => {
      const url = request.url ?? '';
      const isSig = url.endsWith(legacyTag(DIGEST, 'sig'));
      if (isSig && mode === 'throttle-sig') {
        response
          .writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' })
          .end('{"errors":[{"code":"TOOMANYREQUESTS","message":"pull rate limit"}]}');
        return;
      }
      if (isSig && mode === 'unauthorized-sig') {
        response
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      if (isSig && mode === 'stall-sig') return; // never answers
      if (
        mode === 'throttle-referrers' &&
        (url.includes('/referrers/') || url.endsWith(DIGEST.replace(':', '-')))
      ) {
        response
          .writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' })
          .end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
        return;
      }
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
    });
    client = new RegistryClient({ retryBaseDelayMs: 10 });
  });
  afterAll(async () => {
    await client?.close();
    await fake?.stop();
  });

  // The lookup (and so this rule) is shared by key and keyless authorities.
  describe.each(['key', 'keyless'] as const)('%s authority', (kind) => {
    const verify = (deadline?: Deadline) =>
      verifySignatures(
        new ImageArtefacts(
          client,
          { registry: fake.host, repository: 'app', digest: DIGEST },
          deadline ? { deadline } : {},
        ),
        kind === 'key'
          ? keyAuthority({ keys: [key.publicKey] })
          : keylessAuthority({
              policy: {
                identities: [{ subject: 'signer@example.com', issuer: 'https://issuer.example.com' }],
              },
              trustedRoot: publicGoodTrustedRoot(),
            }),
      );

    it('429 on the .sig manifest', async () => {
      mode = 'throttle-sig';
      const outcome = await verify();
      expect(outcome).toMatchObject({ passed: false, failure: 'registry' });
      expect(outcome.reason).toMatch(/registry failure while reading the signatures of .*429/);
      expect(outcome.reason).not.toMatch(/no signatures found/);
    });

    it('401 on the .sig manifest', async () => {
      mode = 'unauthorized-sig';
      const outcome = await verify();
      expect(outcome).toMatchObject({ passed: false, failure: 'registry' });
      expect(outcome.reason).toMatch(/reading the .sig signatures: .*requires authentication/);
      expect(outcome.reason).not.toMatch(/listing the referrers/);
    });

    it('429 on the referrers listing when there is no .sig', async () => {
      mode = 'throttle-referrers';
      const outcome = await verify();
      expect(outcome).toMatchObject({ passed: false, failure: 'registry' });
      expect(outcome.reason).toMatch(/listing the referrers: .*429/);
    });

    it('a registry that does not answer within the deadline', async () => {
      mode = 'stall-sig';
      const outcome = await verify(Deadline.after(300));
      expect(outcome).toMatchObject({ passed: false, failure: 'timeout' });
      expect(outcome.reason).toMatch(/timed out while reading the signatures/);
    });
  });
});

describe('a signature repository the credentials may not read (real token-auth registry)', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let key: PrivateKey;
  beforeAll(async () => {
    registry = await startRegistry({
      auth: 'token',
      access: (user, repository, requested) => (user && !repository.startsWith('locked/') ? requested : []),
    });
    client = new RegistryClient({
      credentials: new StaticCredentials({
        [registry.host]: { username: registry.username, password: registry.password },
      }),
    });
    key = await newKey();
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  it('is a registry failure, not an unsigned image', async () => {
    const image = buildImage({ seed: 'locked' });
    const repo = { registry: registry.host, repository: 'team/app' };
    await pushArtifact(client, repo, image, 'v1');
    await signLegacy(
      client,
      { ...repo, digest: image.digest, mediaType: image.mediaType, size: image.manifest.byteLength },
      key,
      {},
    );
    const outcome = await verifySignatures(
      new ImageArtefacts(
        client,
        { ...repo, digest: image.digest },
        {
          signatureRepository: { registry: registry.host, repository: 'locked/signatures' },
        },
      ),
      keyAuthority({ keys: [key.publicKey] }),
    );
    expect(outcome).toMatchObject({ passed: false, failure: 'registry' });
    expect(outcome.reason).not.toMatch(/no signatures found/);
  });
});
