import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { toTrustMaterial } from '@sigstore/verify';
import { describe, expect, it } from 'vitest';
import { VerifyError } from '../errors.js';
import { publicGoodTrustedRoot, stagingTrustedRoot } from './embedded.js';
import { withPrivatePki } from './private-pki.js';
import { parseTrustedRoot, parseTrustedRootText } from './trusted-root.js';
import { parseTrustRootResources, trustRootFromResource } from './trustroot-resource.js';

const publicGoodJson = JSON.parse(
  readFileSync(new URL('./public-good.trusted_root.json', import.meta.url), 'utf8'),
) as RootJson;
interface RootJson {
  tlogs: { publicKey: { rawBytes: string; validFor: Record<string, string> } }[];
  certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
  [field: string]: unknown;
}
const fixtures = new URL('../../../test/fixtures/cosign-real/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, fixtures), 'utf8');

function rejects(run: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(VerifyError);
  expect((caught as VerifyError).code).toBe(code);
  expect((caught as VerifyError).message).toMatch(message);
}

describe('embedded trusted roots', () => {
  it('public-good: Rekor v1 and v2, two Fulcio CAs, two CT logs, a TSA', () => {
    const root = publicGoodTrustedRoot();
    expect(root.tlogs.map((log) => log.baseUrl)).toEqual([
      'https://rekor.sigstore.dev',
      'https://log2025-1.rekor.sigstore.dev',
    ]);
    expect(root.certificateAuthorities).toHaveLength(2);
    expect(root.ctlogs).toHaveLength(2);
    expect(root.timestampAuthorities).toHaveLength(1);
    // The Rekor log ID that cosign writes in its bundle annotation (hex of SHA-256 of the key).
    expect(root.tlogs[0]?.logId?.keyId.toString('hex')).toBe(
      'c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d',
    );
  });

  it('staging: the sigstage.dev services', () => {
    const root = stagingTrustedRoot();
    expect(root.tlogs[0]?.baseUrl).toBe('https://rekor.sigstage.dev');
    expect(root.certificateAuthorities[0]?.uri).toBe('https://fulcio.sigstage.dev');
  });
});

describe('parseTrustedRoot (strict)', () => {
  const copy = () => JSON.parse(JSON.stringify(publicGoodJson)) as typeof publicGoodJson;

  it('rejects a transparency-log key without validFor.start, which sigstore-js would trust forever', () => {
    const json = copy();
    delete json.tlogs[0]?.publicKey.validFor.start;
    rejects(
      () => parseTrustedRoot(json, 'test'),
      'TRUSTED_ROOT_INVALID',
      /tlogs\.0\.publicKey\.validFor\.start/,
    );
    // The gap being closed: @sigstore/verify 3.1 takes the same root and trusts the key since 1970.
    const original = publicGoodTrustedRoot();
    const withoutValidity = {
      ...original,
      tlogs: original.tlogs.map((log) => ({
        ...log,
        publicKey: log.publicKey && { ...log.publicKey, validFor: undefined },
      })),
    };
    expect(toTrustMaterial(withoutValidity).tlogs[0]?.validFor.start.getTime()).toBe(0);
  });

  it('rejects unknown fields, unknown media types, bad keys, bad certificates, inverted windows', () => {
    rejects(
      () => parseTrustedRoot({ ...copy(), extra: 1 }, 'test'),
      'TRUSTED_ROOT_INVALID',
      /Unrecognized key/,
    );
    rejects(
      () => parseTrustedRoot({ ...copy(), mediaType: 'application/json' }, 'test'),
      'TRUSTED_ROOT_INVALID',
      /mediaType/,
    );
    const badKey = copy();
    (badKey.tlogs[0] as RootJson['tlogs'][number]).publicKey.rawBytes = 'AAAA';
    rejects(
      () => parseTrustedRoot(badKey, 'test'),
      'TRUSTED_ROOT_INVALID',
      /tlogs\.0\.publicKey: not a valid/,
    );
    const badCertificate = copy();
    (badCertificate.certificateAuthorities[0]?.certChain.certificates[0] as { rawBytes: string }).rawBytes =
      'AAAA';
    rejects(() => parseTrustedRoot(badCertificate, 'test'), 'TRUSTED_ROOT_INVALID', /not a valid X\.509/);
    const inverted = copy();
    (inverted.tlogs[0] as RootJson['tlogs'][number]).publicKey.validFor = {
      start: '2024-01-01T00:00:00Z',
      end: '2023-01-01T00:00:00Z',
    };
    rejects(() => parseTrustedRoot(inverted, 'test'), 'TRUSTED_ROOT_INVALID', /end is before start/);
    rejects(() => parseTrustedRootText('{', 'test'), 'TRUSTED_ROOT_INVALID', /not JSON/);
  });

  it('reads a null field as unset, as protobuf JSON does, without relaxing what is required', () => {
    const json = copy() as RootJson & { tlogs: Record<string, unknown>[] };
    const log = json.tlogs[0] as Record<string, unknown> & RootJson['tlogs'][number];
    log.checkpointKeyId = null;
    log.operator = null;
    (log.publicKey.validFor as Record<string, string | null>).end = null;
    (json.certificateAuthorities[0] as Record<string, unknown>).validFor = null;
    const root = parseTrustedRoot(json, 'test');
    expect(root.tlogs[0]?.checkpointKeyId).toBeUndefined();
    expect(root.tlogs[0]?.publicKey?.validFor?.end).toBeUndefined();
    expect(root.tlogs[0]?.publicKey?.validFor?.start).toEqual(new Date('2021-01-12T11:53:27Z'));
    // Null where a value is required is still refused: a missing start would trust the key forever.
    (log.publicKey.validFor as Record<string, string | null>).start = null;
    rejects(
      () => parseTrustedRoot(json, 'test'),
      'TRUSTED_ROOT_INVALID',
      /tlogs\.0\.publicKey\.validFor\.start/,
    );
    // A null inside a list is not an unset field, and stays an error.
    rejects(() => parseTrustedRoot({ ...copy(), tlogs: [null] }, 'test'), 'TRUSTED_ROOT_INVALID', /tlogs\.0/);
  });

  it('accepts the versioned media types', () => {
    for (const mediaType of [
      'application/vnd.dev.sigstore.trustedroot.v0.1+json',
      'application/vnd.dev.sigstore.trustedroot.v0.2+json',
    ])
      expect(parseTrustedRoot({ ...copy(), mediaType }, 'test').tlogs).toHaveLength(2);
  });
});

describe('policy-controller TrustRoot', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const rekor = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const rekorPem = rekor.export({ format: 'pem', type: 'spki' }).toString();
  const resource = (spec: Record<string, unknown>) => ({
    apiVersion: 'policy.sigstore.dev/v1alpha1',
    kind: 'TrustRoot',
    metadata: { name: 'private' },
    spec,
  });
  const sigstoreKeys = {
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.dev', commonName: 'sigstore' },
        uri: 'https://fulcio.example.com',
        // policy-controller's own examples indent the PEM inside the base64.
        certChain: b64(fixture('fulcio_v1.crt.pem').replace(/^/gm, '\t')),
      },
    ],
    tLogs: [{ baseURL: 'https://rekor.example.com', hashAlgorithm: 'sha-256', publicKey: b64(rekorPem) }],
  };

  it('turns spec.sigstoreKeys into a trusted root, deriving log IDs from the keys', () => {
    const { name, trustedRoot } = trustRootFromResource(resource({ sigstoreKeys }), 'test');
    expect(name).toBe('private');
    const spki = rekor.export({ format: 'der', type: 'spki' });
    expect(trustedRoot.tlogs[0]?.logId?.keyId.equals(createHash('sha256').update(spki).digest())).toBe(true);
    expect(trustedRoot.tlogs[0]?.publicKey?.validFor?.start?.getTime()).toBe(0);
    expect(trustedRoot.certificateAuthorities[0]?.certChain?.certificates).toHaveLength(1);
  });

  it('reads YAML, and spec.trustedRootJSON', () => {
    const yaml = `apiVersion: policy.sigstore.dev/v1alpha1
kind: TrustRoot
metadata:
  name: from-json
spec:
  trustedRootJSON: ${JSON.stringify(JSON.stringify(publicGoodJson))}
`;
    const [parsed] = parseTrustRootResources(yaml, 'test.yaml');
    expect(parsed?.name).toBe('from-json');
    expect(parsed?.trustedRoot.tlogs).toHaveLength(2);
  });

  it('refuses remote and repository (TUF) with a clear "not supported"', () => {
    rejects(
      () =>
        trustRootFromResource(
          resource({ remote: { mirror: 'https://tuf.example.com', root: 'e30=' } }),
          'test',
        ),
      'TRUSTROOT_UNSUPPORTED',
      /spec\.remote \(a TUF repository\) is not supported/,
    );
    rejects(
      () =>
        trustRootFromResource(
          resource({ repository: { root: 'e30=', mirrorFS: 'AA==', targets: 'targets' } }),
          'test',
        ),
      'TRUSTROOT_UNSUPPORTED',
      /spec\.repository/,
    );
  });

  it('validates like policy-controller: one source, a CA or TSA, required fields', () => {
    rejects(() => trustRootFromResource(resource({}), 'test'), 'TRUSTROOT_INVALID', /exactly one of/);
    rejects(
      () => trustRootFromResource(resource({ sigstoreKeys, remote: {} }), 'test'),
      'TRUSTROOT_INVALID',
      /exactly one of.*found remote, sigstoreKeys/,
    );
    rejects(
      () => trustRootFromResource(resource({ sigstoreKeys: { tLogs: sigstoreKeys.tLogs } }), 'test'),
      'TRUSTROOT_INVALID',
      /at least one of certificateAuthorities, timestampAuthorities/,
    );
    const noUri = { certificateAuthorities: [{ ...sigstoreKeys.certificateAuthorities[0], uri: '' }] };
    rejects(
      () => trustRootFromResource(resource({ sigstoreKeys: noUri }), 'test'),
      'TRUSTROOT_INVALID',
      /uri/,
    );
    const badHash = { ...sigstoreKeys, tLogs: [{ ...sigstoreKeys.tLogs[0], hashAlgorithm: 'md5' }] };
    rejects(
      () => trustRootFromResource(resource({ sigstoreKeys: badHash }), 'test'),
      'TRUSTROOT_INVALID',
      /hashAlgorithm/,
    );
    const notPem = { ...sigstoreKeys, tLogs: [{ ...sigstoreKeys.tLogs[0], publicKey: b64('not pem') }] };
    rejects(
      () => trustRootFromResource(resource({ sigstoreKeys: notPem }), 'test'),
      'TRUSTROOT_INVALID',
      /not base64 of PEM/,
    );
  });
});

describe('private PKI (--ca-roots, --ca-intermediates, --certificate-chain)', () => {
  it('replaces the CAs and keeps the logs', () => {
    const root = withPrivatePki(publicGoodTrustedRoot(), {
      roots: fixture('pki_root_crts.pem'),
      intermediates: fixture('pki_intermediate_crts.pem'),
    });
    expect(root.certificateAuthorities).toHaveLength(1);
    expect(root.certificateAuthorities[0]?.certChain?.certificates).toHaveLength(2);
    expect(root.tlogs).toEqual(publicGoodTrustedRoot().tlogs);
  });

  it('splits a --certificate-chain into intermediates and its root', () => {
    const root = withPrivatePki(publicGoodTrustedRoot(), { chain: fixture('pki-chain') });
    expect(root.certificateAuthorities[0]?.certChain?.certificates).toHaveLength(2);
  });

  it('rejects a root that is not self-signed, and intermediates without roots', () => {
    rejects(
      () => withPrivatePki(publicGoodTrustedRoot(), { roots: fixture('pki_intermediate_crts.pem') }),
      'PEM_INVALID',
      /not self-signed/,
    );
    rejects(
      () => withPrivatePki(publicGoodTrustedRoot(), { intermediates: fixture('pki_intermediate_crts.pem') }),
      'PEM_INVALID',
      /needs --ca-roots/,
    );
    rejects(
      () => withPrivatePki(publicGoodTrustedRoot(), { roots: 'hello' }),
      'PEM_INVALID',
      /outside a PEM block/,
    );
  });
});
