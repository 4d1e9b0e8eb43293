/**
 * Trust material for authorities: the CIP `ctlog` (Rekor keys from a TrustRoot or the embedded
 * public-good root) replayed on a real cosign signature with a Rekor bundle, through a real registry;
 * keyless authorities built with the right trusted root (trustRootRef, embedded default, ca-cert); the
 * CEL input document; and flag-based authorities going through the same engine.
 * (Keyless verification itself is dispatched by the verify layer; its rows come with that.)
 */

import { TrustedRoot } from '@sigstore/protobuf-specs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KEY_WITHOUT_TLOG,
  PolicyEngine,
  policySetFromAuthority,
  preparedPolicySet,
  singleClient,
} from '../../src/policy/engine/index.js';
import type { PolicySet } from '../../src/policy/index.js';
import { parseReference } from '../../src/reference/index.js';
import { RegistryClient } from '../../src/registry/index.js';
import { parsePublicKey } from '../../src/signature/index.js';
import { rekorKey, keyAuthority as verifyKeyAuthority } from '../../src/verify/authority.js';
import { publicGoodTrustedRoot } from '../../src/verify/trust/embedded.js';
import { parseTrustedRoot } from '../../src/verify/trust/trusted-root.js';
import { startRegistry, type TestRegistry } from '../harness/index.js';
import { fixtureDescriptor, fixtureText, readCase } from '../signature/cosign-fixtures.js';
import { placeManifest, pushLegacyManifest } from '../signature/helpers.js';
import { createTestSigstore, type TestSigstore } from '../sigstore/index.js';
import { cip, engineFor, policies } from './helpers.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function trustRoot(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'policy.sigstore.dev/v1alpha1', kind: 'TrustRoot', metadata: { name }, spec };
}

/** A sigstoreKeys TrustRoot whose Rekor key is `rekorPem` (a CA is required by the schema). */
function rekorTrustRoot(name: string, rekorPem: string) {
  return trustRoot(name, {
    sigstoreKeys: {
      certificateAuthorities: [
        {
          subject: { organization: 'sigstore.dev', commonName: 'sigstore' },
          uri: 'https://fulcio.sigstore.dev',
          certChain: b64(fixtureText('fulcio_v1.crt.pem')),
        },
      ],
      tLogs: [{ baseURL: 'https://rekor.sigstore.dev', hashAlgorithm: 'sha-256', publicKey: b64(rekorPem) }],
    },
  });
}

describe('ctlog on a real cosign signature with a Rekor bundle (real registry)', () => {
  let registry: TestRegistry;
  let image: string;
  const signerPem = fixtureText('cosign2.pub');

  beforeAll(async () => {
    registry = await startRegistry();
    const client = new RegistryClient();
    const fixture = readCase('dir-img-cosign-key-rekor-valid');
    const repository = 'fixtures/key-rekor';
    await placeManifest(registry.storageDir, repository, 'latest', fixture.manifest as Buffer);
    const { digest } = await client.resolve(parseReference(`${registry.host}/${repository}:latest`));
    await pushLegacyManifest(
      client,
      { registry: registry.host, repository },
      digest,
      fixture.signatures.map((signature) => ({
        blob: signature.payload,
        descriptor: fixtureDescriptor(signature),
      })),
    );
    await client.close();
    image = `${registry.host}/${repository}:latest`;
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const policy = (ctlog?: Record<string, unknown>) =>
    cip('rekor', {
      images: [{ glob: `${registry.host}/fixtures/**` }],
      authorities: [{ key: { data: signerPem }, ...(ctlog && { ctlog }) }],
    });

  async function check(...documents: unknown[]) {
    const { engine, close } = engineFor(await policies(...documents));
    try {
      return await engine.check({ image });
    } finally {
      await close();
    }
  }

  it('without ctlog the key alone vouches, and the verdict says so', async () => {
    const verdict = await check(policy());
    expect(verdict.allowed).toBe(true);
    expect(verdict.policies[0]?.authorities[0]?.tlog).toEqual({
      status: 'not-checked',
      detail: KEY_WITHOUT_TLOG,
    });
  });

  it('ctlog with no trustRootRef: the Rekor entry is verified offline with the embedded public-good keys', async () => {
    const verdict = await check(policy({ url: 'https://rekor.sigstore.dev' }));
    expect(verdict.allowed).toBe(true);
    expect(verdict.policies[0]?.authorities[0]?.tlog).toMatchObject({
      status: 'verified',
      detail: expect.stringContaining('Rekor entry 11608800'),
    });
  });

  it('ctlog.trustRootRef: Rekor keys from that TrustRoot; a TrustRoot with another key denies', async () => {
    const good = await check(
      policy({ trustRootRef: 'rekor' }),
      rekorTrustRoot('rekor', fixtureText('rekor.pub')),
    );
    expect(good.allowed).toBe(true);
    expect(good.policies[0]?.authorities[0]?.tlog?.status).toBe('verified');
    const wrong = await check(
      policy({ trustRootRef: 'rekor' }),
      rekorTrustRoot('rekor', fixtureText('cosign.pub')),
    );
    expect(wrong).toMatchObject({ allowed: false, failure: 'signature' });
    expect(wrong.errors[0]).toMatch(/not a trusted Rekor key/);
  });

  it('flag-based authorities (--key, --rekor-key, -a) go through the same engine and verdict', async () => {
    const authority = verifyKeyAuthority({
      name: '--key',
      keys: [parsePublicKey(signerPem)],
      rekorKeys: [rekorKey(parsePublicKey(fixtureText('rekor.pub')))],
    });
    const set = policySetFromAuthority(authority);
    const client = new RegistryClient();
    try {
      const engine = new PolicyEngine({ policySet: set, clients: singleClient(client) });
      const verdict = await engine.check({ image });
      expect(verdict.allowed).toBe(true);
      expect(verdict.policies[0]?.authorities[0]).toMatchObject({ name: '--key', type: 'key', passed: true });
      expect(verdict.policies[0]?.authorities[0]?.tlog?.status).toBe('verified');
      const claimed = new PolicyEngine({
        policySet: policySetFromAuthority(authority, { annotations: { env: 'prod' } }),
        clients: singleClient(client),
      });
      const mismatch = await claimed.check({ image });
      expect(mismatch.allowed).toBe(false);
      expect(mismatch.errors[0]).toMatch(
        /^failed policy: --key: signature key validation failed for authority --key .*annotation mismatch/,
      );
    } finally {
      await client.close();
    }
  });
});

describe('keyless authorities are built with the right trust material', () => {
  let sigstore: TestSigstore;
  beforeAll(async () => {
    sigstore = await createTestSigstore();
  });

  const keyless = (extra: Record<string, unknown> = {}) => ({
    keyless: {
      identities: [{ issuer: 'https://issuer.vouch.test', subjectRegExp: '^signer@vouch\\.test$' }],
      ...extra,
    },
  });

  async function prepared(set: PolicySet, index = 0) {
    const policy = set.policies[0];
    if (!policy) throw new Error('no policy');
    return (await preparedPolicySet(set).get(policy)).authorities[index];
  }

  it('no trustRootRef: the embedded public-good root; identities as written', async () => {
    const set = await policies(cip('p', { images: [{ glob: '**' }], authorities: [keyless()] }));
    const authority = await prepared(set);
    expect(authority).toMatchObject({ kind: 'verify', type: 'keyless', usesEmbeddedRoot: true });
    if (authority?.kind !== 'verify' || authority.authority.type !== 'keyless')
      throw new Error('not keyless');
    expect(authority.authority.trustedRoot).toBe(publicGoodTrustedRoot());
    expect(authority.authority.policy).toEqual({
      identities: [{ issuer: 'https://issuer.vouch.test', subjectRegExp: '^signer@vouch\\.test$' }],
    });
  });

  it('trustRootRef: the named TrustRoot (trustedRootJSON), insecureIgnoreSCT carried over', async () => {
    const set = await policies(
      cip('p', {
        images: [{ glob: '**' }],
        authorities: [keyless({ trustRootRef: 'test-sigstore', insecureIgnoreSCT: true })],
      }),
      trustRoot('test-sigstore', { trustedRootJSON: JSON.stringify(sigstore.trustedRootJson) }),
    );
    const authority = await prepared(set);
    if (authority?.kind !== 'verify' || authority.authority.type !== 'keyless')
      throw new Error('not keyless');
    const expected = parseTrustedRoot(sigstore.trustedRootJson, 'test');
    expect(authority.usesEmbeddedRoot).toBe(false);
    expect(authority.authority.trustedRoot.certificateAuthorities).toEqual(expected.certificateAuthorities);
    expect(authority.authority.trustedRoot.tlogs).toEqual(expected.tlogs);
    expect(authority.authority.policy.insecureIgnoreSct).toBe(true);
  });

  it('trustRootRef to sigstoreKeys: the CA chain and Rekor key from the resource', async () => {
    const ca = sigstore.ca;
    const set = await policies(
      cip('p', { images: [{ glob: '**' }], authorities: [keyless({ trustRootRef: 'corp' })] }),
      trustRoot('corp', {
        sigstoreKeys: {
          certificateAuthorities: [
            {
              subject: { organization: 'corp', commonName: 'corp' },
              uri: 'https://fulcio.corp.example',
              certChain: b64(ca.intermediate.pem + ca.root.pem),
            },
          ],
          tLogs: [
            {
              baseURL: 'https://rekor.corp.example',
              hashAlgorithm: 'sha-256',
              publicKey: b64(fixtureText('rekor.pub')),
            },
          ],
        },
      }),
    );
    const authority = await prepared(set);
    if (authority?.kind !== 'verify' || authority.authority.type !== 'keyless')
      throw new Error('not keyless');
    const chain = authority.authority.trustedRoot.certificateAuthorities[0]?.certChain?.certificates ?? [];
    expect(chain.map((c) => Buffer.from(c.rawBytes as Buffer).toString('base64'))).toEqual([
      ca.intermediate.der.toString('base64'),
      ca.root.der.toString('base64'),
    ]);
    expect(authority.authority.trustedRoot.tlogs.map((log) => log.baseUrl)).toEqual([
      'https://rekor.corp.example',
    ]);
  });

  it('ca-cert: private PKI roots replace the CAs (self-signed certificates anchor, others are intermediates)', async () => {
    const ca = sigstore.ca;
    const set = await policies(
      cip('p', {
        images: [{ glob: '**' }],
        authorities: [
          {
            keyless: {
              'ca-cert': { data: ca.intermediate.pem + ca.root.pem },
              identities: [{ issuer: 'i', subject: 's' }],
            },
          },
        ],
      }),
    );
    const authority = await prepared(set);
    if (authority?.kind !== 'verify' || authority.authority.type !== 'keyless')
      throw new Error('not keyless');
    const cas = authority.authority.trustedRoot.certificateAuthorities;
    expect(cas).toHaveLength(1);
    expect(cas[0]?.uri).toBe('private-pki');
    expect(
      (cas[0]?.certChain?.certificates ?? []).map((c) =>
        Buffer.from(c.rawBytes as Buffer).toString('base64'),
      ),
    ).toEqual([ca.intermediate.der.toString('base64'), ca.root.der.toString('base64')]);
    // The logs stay those of the base (embedded) root.
    expect(authority.authority.trustedRoot.tlogs).toEqual(publicGoodTrustedRoot().tlogs);
  });

  it('ca-cert without a self-signed root: the authority denies with the reason', async () => {
    const set = await policies(
      cip('p', {
        images: [{ glob: '**' }],
        authorities: [
          {
            keyless: {
              'ca-cert': { data: sigstore.ca.intermediate.pem },
              identities: [{ issuer: 'i', subject: 's' }],
            },
          },
        ],
      }),
    );
    expect(await prepared(set)).toMatchObject({
      kind: 'broken',
      problem: expect.stringContaining('no self-signed root'),
    });
  });

  it('rfc3161timestamp: signed timestamps required; they stand in for the tlog unless ctlog is given too', async () => {
    const root = trustRoot('test-sigstore', { trustedRootJSON: JSON.stringify(sigstore.trustedRootJson) });
    const alone = await prepared(
      await policies(
        cip('p', {
          images: [{ glob: '**' }],
          authorities: [
            {
              ...keyless({ trustRootRef: 'test-sigstore' }),
              rfc3161timestamp: { trustRootRef: 'test-sigstore' },
            },
          ],
        }),
        root,
      ),
    );
    if (alone?.kind !== 'verify' || alone.authority.type !== 'keyless') throw new Error('not keyless');
    expect(alone.authority.policy).toMatchObject({ useSignedTimestamps: true, insecureIgnoreTlog: true });
    const both = await prepared(
      await policies(
        cip('p', {
          images: [{ glob: '**' }],
          authorities: [
            {
              ...keyless({ trustRootRef: 'test-sigstore' }),
              rfc3161timestamp: { trustRootRef: 'test-sigstore' },
              ctlog: { trustRootRef: 'test-sigstore' },
            },
          ],
        }),
        root,
      ),
    );
    if (both?.kind !== 'verify' || both.authority.type !== 'keyless') throw new Error('not keyless');
    expect(both.authority.policy.useSignedTimestamps).toBe(true);
    expect(both.authority.policy.insecureIgnoreTlog).toBeUndefined();
  });

  it('a TUF TrustRoot (spec.remote) cannot be used offline: the authority denies and says why', async () => {
    const set = await policies(
      cip('p', { images: [{ glob: '**' }], authorities: [keyless({ trustRootRef: 'tuf' })] }),
      trustRoot('tuf', {
        remote: { root: b64(JSON.stringify({ signed: {}, signatures: [] })), mirror: 'https://tuf.example' },
      }),
    );
    expect(await prepared(set)).toMatchObject({
      kind: 'broken',
      problem: expect.stringContaining('is not supported'),
    });
  });

  it('keyless flags (policySetFromAuthority) keep their trusted root, identities and GitHub checks', async () => {
    const trustedRoot = parseTrustedRoot(sigstore.trustedRootJson, 'test');
    const set = policySetFromAuthority({
      type: 'keyless',
      name: 'keyless flags',
      trustedRoot,
      policy: {
        identities: [{ subject: 'signer@vouch.test', issuer: 'https://issuer.vouch.test' }],
        github: { repository: 'acme/app' },
        insecureIgnoreTlog: true,
      },
    });
    expect(set.policies[0]?.images).toEqual([{ glob: '**', pattern: '**' }]);
    const authority = await prepared(set);
    if (authority?.kind !== 'verify' || authority.authority.type !== 'keyless')
      throw new Error('not keyless');
    expect(TrustedRoot.toJSON(authority.authority.trustedRoot)).toEqual(TrustedRoot.toJSON(trustedRoot));
    expect(authority.authority.policy).toEqual({
      identities: [{ subject: 'signer@vouch.test', issuer: 'https://issuer.vouch.test' }],
      github: { repository: 'acme/app' },
      insecureIgnoreTlog: true,
    });
  });

  it('a keyless policy’s verdict fingerprint includes the embedded root it relies on', async () => {
    const client = new RegistryClient();
    try {
      const withEmbedded = new PolicyEngine({
        policySet: await policies(cip('p', { images: [{ glob: '**' }], authorities: [keyless()] })),
        clients: singleClient(client),
      });
      const withOwn = new PolicyEngine({
        policySet: await policies(
          cip('p', { images: [{ glob: '**' }], authorities: [keyless({ trustRootRef: 'test-sigstore' })] }),
          trustRoot('test-sigstore', { trustedRootJSON: JSON.stringify(sigstore.trustedRootJson) }),
        ),
        clients: singleClient(client),
      });
      expect(withEmbedded.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(withEmbedded.fingerprint).not.toBe(withOwn.fingerprint);
    } finally {
      await client.close();
    }
  });
});

describe('the policy-level CEL input document', () => {
  it('authorityMatches, spec, metadata and typemeta as policy-controller builds them (no registry needed)', async () => {
    const set = await policies(
      cip('p', {
        images: [{ glob: '**' }],
        authorities: [{ name: 'allow', static: { action: 'pass' } }],
        policy: {
          type: 'cel',
          data:
            'authorityMatches.allow.static && authorityMatches.allow.signatures.size() == 0 && ' +
            'spec.containers[0].name == "app" && metadata.labels.team == "web" && ' +
            'typemeta.kind == "Pod" && typemeta.apiVersion == "v1"',
          includeSpec: true,
          includeObjectMeta: true,
          includeTypeMeta: true,
        },
      }),
    );
    const client = new RegistryClient();
    try {
      const engine = new PolicyEngine({ policySet: set, clients: singleClient(client) });
      expect(engine.resourceSensitive).toBe(true);
      const pod = (team: string) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', labels: { team } },
        spec: { containers: [{ name: 'app', image: 'x' }] },
      });
      const web = await engine.check({ image: 'registry.example/app:1', resource: pod('web') });
      expect(web.allowed).toBe(true);
      const db = await engine.check({ image: 'registry.example/app:1', resource: pod('db') });
      expect(db).toMatchObject({ allowed: false, failure: 'policy' });
      expect(client.stats.total).toBe(0);
    } finally {
      await client.close();
    }
  });
});
