/**
 * A throwaway, offline Sigstore for tests: a Fulcio-like CA (and an untrusted one), a CT log, a Rekor
 * v1 log (SETs and inclusion proofs), a Rekor v2 log (inclusion proofs only), an RFC 3161 TSA (and an
 * untrusted one), with fresh test-only keys per instance. It produces what real cosign and Sigstore
 * clients produce — legacy keyless `.sig` layer annotations and Sigstore bundles v0.1/v0.2/v0.3 for blobs
 * and DSSE in-toto statements — plus knobs to break each part. See README.md beside this file.
 */
import { dsse, json } from '@sigstore/core';
import { Entry } from '@sigstore/protobuf-specs/rekor/v2';
import { type InclusionProof, TestCtLog, TestTimestampAuthority, TestTransparencyLog } from './logs.js';
import {
  createTimestampingCertificates,
  FULCIO_OID,
  newKeyPair,
  pem,
  sha256,
  signBytes,
  TestCertificateAuthority,
  type TestKeyPair,
} from './pki.js';

export { newKeyPair, type TestKeyPair } from './pki.js';

export interface SignerIdentity {
  /** SAN email (default `signer@vouch.test` unless `uri` is given). */
  email?: string;
  /** SAN URI (GitHub Actions-style identities). */
  uri?: string;
  /** OIDC issuer extension; `null` issues a certificate without one. Default `https://issuer.vouch.test`. */
  issuer?: string | null;
  /** GitHub workflow values, written as Fulcio's deprecated extensions 1.3.6.1.4.1.57264.1.2–.6. */
  github?: { trigger?: string; sha?: string; name?: string; repository?: string; ref?: string };
  /** Any other extension. */
  extensions?: { oid: string; value: string; raw?: boolean }[];
}

export interface TlogOptions {
  /** `v1` (default): SET + inclusion proof. `v2`: inclusion proof only, 0.0.2 entries, needs a timestamp. */
  log?: 'v1' | 'v2';
  /** Integrated time of a v1 entry (default: certificate notBefore + 30 s). */
  integratedTime?: Date;
  /** Alter the logged body after the log signed it (the SET / proof no longer match it). */
  tamperBody?: boolean;
  /** Sign the SET and checkpoint with a key that is not the log's, still claiming the log's ID. */
  signedBy?: 'log' | 'other-key';
  /** Log a valid entry for another payload and signature (a genuine SET over the wrong body). */
  otherEntry?: boolean;
  /**
   * How a DSSE envelope is logged: a `dsse` entry (bundles' default), an `intoto` 0.0.2 entry (what
   * cosign's `attest` writes; legacy attestations' default), or a `hashedrekord` over the PAE digest.
   */
  kind?: 'dsse' | 'intoto' | 'hashedrekord';
}

export interface TimestampOptions {
  /** Time stamped (default: certificate notBefore + 30 s). */
  time?: Date;
  /** `untrusted`: a TSA that is not in the trusted root. */
  tsa?: 'trusted' | 'untrusted';
}

export interface KeylessSigningOptions {
  identity?: SignerIdentity;
  /** Certificate start (default: one minute before the instance's `now`). */
  notBefore?: Date;
  /** Certificate lifetime in seconds (default 600, Fulcio's). */
  lifetimeSeconds?: number;
  /** `valid` (default), `none`, `forged` (trusted log ID, wrong key), `untrusted-log` (a log not in the root). */
  sct?: 'valid' | 'none' | 'forged' | 'untrusted-log';
  /** `untrusted`: issue from a CA that is not in the trusted root. */
  ca?: 'trusted' | 'untrusted';
  /** `false`: do not log. */
  tlog?: TlogOptions | false;
  /** `true` or options: add an RFC 3161 timestamp. Default: only for Rekor v2 entries. */
  timestamp?: TimestampOptions | boolean;
}

export interface BundleSigningOptions extends KeylessSigningOptions {
  /** Bundle version (default 0.3). v0.1 and v0.2 carry an `x509CertificateChain`, v0.3 a `certificate`. */
  version?: '0.1' | '0.2' | '0.3';
  /** Sign with this key instead of a certificate: a public-key bundle (hint = base64 SHA-256 of the key). */
  key?: TestKeyPair;
}

/** A keyless cosign `.sig` layer: the payload, its annotations, and the same parts by name. */
export interface TestLegacySignature {
  payload: Buffer;
  signature: string;
  certificate: string;
  chain: string;
  rekorBundle?: string;
  rfc3161Timestamp?: string;
  /** The layer annotations cosign writes (`dev.cosignproject.cosign/signature`, `dev.sigstore.cosign/*`). */
  annotations: Record<string, string>;
}

/** A keyless cosign `.att` layer: the DSSE envelope blob, its signature, and the layer annotations. */
export interface TestLegacyAttestation {
  /** The envelope as the layer blob (`application/vnd.dsse.envelope.v1+json`). */
  envelope: Buffer;
  /** The envelope's signature (over the pre-authentication encoding). */
  signature: Buffer;
  /** `dev.cosignproject.cosign/signature` (empty), `dev.sigstore.cosign/{certificate,chain,bundle}`. */
  annotations: Record<string, string>;
}

/** A Sigstore bundle as JSON (`mediaType`, `verificationMaterial`, `messageSignature` | `dsseEnvelope`). */
export type BundleJson = Record<string, unknown>;

export interface TestSigstore {
  /** The instance's reference time (whole seconds). */
  readonly now: Date;
  /** trusted_root.json (protobuf JSON) trusting this instance's CA, CT log, both Rekor logs and TSA. */
  readonly trustedRootJson: Record<string, unknown>;
  readonly defaultIdentity: { subject: string; issuer: string };
  readonly ca: TestCertificateAuthority;
  readonly untrustedCa: TestCertificateAuthority;
  readonly ctlog: TestCtLog;
  readonly rekor: TestTransparencyLog;
  readonly rekorV2: TestTransparencyLog;
  readonly tsa: TestTimestampAuthority;
  readonly untrustedTsa: TestTimestampAuthority;
  /** A simple-signing payload for an image digest, byte for byte as cosign writes it. */
  imagePayload(dockerReference: string, digest: string): Buffer;
  /** An in-toto v1 statement about one subject. */
  statement(
    subject: { name: string; sha256: string },
    predicateType?: string,
    predicate?: unknown,
  ): Record<string, unknown>;
  signLegacy(payload: Uint8Array, options?: KeylessSigningOptions): Promise<TestLegacySignature>;
  /** A keyless legacy attestation: a DSSE envelope of `payload`, logged as an `intoto` 0.0.2 entry (or `dsse` 0.0.1). */
  signLegacyAttestation(
    payloadType: string,
    payload: Uint8Array,
    options?: KeylessSigningOptions,
  ): Promise<TestLegacyAttestation>;
  signBlobBundle(artifact: Uint8Array, options?: BundleSigningOptions): Promise<BundleJson>;
  signDsseBundle(statement: Record<string, unknown>, options?: BundleSigningOptions): Promise<BundleJson>;
  /** A DSSE bundle of exact payload bytes (what a client signing a statement it serialised itself makes). */
  signDssePayload(
    payloadType: string,
    payload: Uint8Array,
    options?: BundleSigningOptions,
  ): Promise<BundleJson>;
}

const DEFAULT_EMAIL = 'signer@vouch.test';
const DEFAULT_ISSUER = 'https://issuer.vouch.test';
const IN_TOTO = 'application/vnd.in-toto+json';

export async function createTestSigstore(options: { now?: Date } = {}): Promise<TestSigstore> {
  const now = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
  const [ca, untrustedCa, tsaCerts, untrustedTsaCerts] = await Promise.all([
    TestCertificateAuthority.create('vouch-test-fulcio', now),
    TestCertificateAuthority.create('untrusted-fulcio', now),
    createTimestampingCertificates('vouch-test', now),
    createTimestampingCertificates('untrusted', now),
  ]);
  const [ctKeys, untrustedCtKeys, rekorKeys, rekorV2Keys, otherKey] = await Promise.all([
    newKeyPair(),
    newKeyPair(),
    newKeyPair(),
    newKeyPair(),
    newKeyPair(),
  ]);
  const ctlog = new TestCtLog('https://ctfe.vouch.test', ctKeys);
  const untrustedCtlog = new TestCtLog('https://ctfe.untrusted.test', untrustedCtKeys);
  const rekor = new TestTransparencyLog('https://rekor.vouch.test', rekorKeys);
  const rekorV2 = new TestTransparencyLog('https://rekor-v2.vouch.test', rekorV2Keys);
  const tsa = new TestTimestampAuthority('https://tsa.vouch.test', tsaCerts.root, tsaCerts.leaf);
  const untrustedTsa = new TestTimestampAuthority(
    'https://tsa.untrusted.test',
    untrustedTsaCerts.root,
    untrustedTsaCerts.leaf,
  );
  const validFrom = new Date(now.getTime() - 365 * 24 * 3600 * 1000).toISOString();

  const logJson = (log: { baseUrl: string; keyPair: TestKeyPair; logId: Buffer }) => ({
    baseUrl: log.baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: log.keyPair.spki.toString('base64'),
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
      validFor: { start: validFrom },
    },
    logId: { keyId: log.logId.toString('base64') },
  });
  const trustedRootJson = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [logJson(rekor), logJson(rekorV2)],
    certificateAuthorities: [
      {
        subject: { organization: 'vouch-test-fulcio', commonName: 'vouch-test-fulcio root' },
        uri: 'https://fulcio.vouch.test',
        certChain: {
          certificates: [ca.intermediate, ca.root].map((c) => ({ rawBytes: c.der.toString('base64') })),
        },
        validFor: { start: validFrom },
      },
    ],
    ctlogs: [logJson(ctlog)],
    timestampAuthorities: [
      {
        subject: { organization: 'vouch-test', commonName: 'vouch-test TSA' },
        uri: tsa.baseUrl,
        certChain: {
          certificates: [tsa.leaf, tsa.root].map((c) => ({ rawBytes: c.der.toString('base64') })),
        },
        validFor: { start: validFrom },
      },
    ],
  };

  /** A fresh signing key and a certificate for it, per the options. */
  async function certify(opts: KeylessSigningOptions) {
    const signer = await newKeyPair();
    const identity = opts.identity ?? {};
    const notBefore = opts.notBefore ?? new Date(now.getTime() - 60_000);
    const notAfter = new Date(notBefore.getTime() + (opts.lifetimeSeconds ?? 600) * 1000);
    const issuingCa = opts.ca === 'untrusted' ? untrustedCa : ca;
    const extensions = [...(identity.extensions ?? [])];
    const github = identity.github ?? {};
    const githubOids: [keyof typeof github, string][] = [
      ['trigger', FULCIO_OID.githubWorkflowTrigger],
      ['sha', FULCIO_OID.githubWorkflowSha],
      ['name', FULCIO_OID.githubWorkflowName],
      ['repository', FULCIO_OID.githubWorkflowRepository],
      ['ref', FULCIO_OID.githubWorkflowRef],
    ];
    for (const [name, oid] of githubOids) {
      const value = github[name];
      if (value !== undefined) extensions.push({ oid, value, raw: true });
    }
    const sctMode = opts.sct ?? 'valid';
    const issuer = identity.issuer === undefined ? DEFAULT_ISSUER : identity.issuer;
    const leafDer = await issuingCa.issue({
      publicKey: signer.cryptoKeys.publicKey,
      san: identity.uri !== undefined ? { uri: identity.uri } : { email: identity.email ?? DEFAULT_EMAIL },
      ...(issuer !== null && { issuer }),
      extensions,
      notBefore,
      notAfter,
      ...(sctMode !== 'none' && {
        scts: (tbs: Buffer, issuerKeyHash: Buffer) => [
          sctMode === 'untrusted-log'
            ? untrustedCtlog.sct(tbs, issuerKeyHash, notBefore)
            : ctlog.sct(
                tbs,
                issuerKeyHash,
                notBefore,
                sctMode === 'forged' ? otherKey.privateKey : undefined,
              ),
        ],
      }),
    });
    return { signer, leafDer, leafPem: pem(leafDer), chainPem: issuingCa.chainPem, notBefore };
  }

  function stamp(
    data: Buffer,
    notBefore: Date,
    opts: KeylessSigningOptions,
    needed: boolean,
  ): Buffer | undefined {
    const wanted = opts.timestamp === undefined ? needed : opts.timestamp !== false;
    if (!wanted) return undefined;
    const timestampOptions = typeof opts.timestamp === 'object' ? opts.timestamp : {};
    const authority = timestampOptions.tsa === 'untrusted' ? untrustedTsa : tsa;
    return authority.timestamp(data, timestampOptions.time ?? new Date(notBefore.getTime() + 30_000));
  }

  /** Logs `body` in the chosen log and returns the bundle's tlog entry (JSON) and the legacy annotation. */
  function logEntry(
    body: Record<string, unknown>,
    kindVersion: { kind: string; version: string },
    tlogOptions: TlogOptions,
    notBefore: Date,
  ) {
    const log = tlogOptions.log === 'v2' ? rekorV2 : rekor;
    const canonical = Buffer.from(json.canonicalize(body), 'utf8');
    const signWith = tlogOptions.signedBy === 'other-key' ? otherKey.privateKey : undefined;
    const proof: InclusionProof = log.append(canonical, signWith);
    const integratedTime =
      tlogOptions.log === 'v2'
        ? 0
        : Math.floor((tlogOptions.integratedTime ?? new Date(notBefore.getTime() + 30_000)).getTime() / 1000);
    const bodyBase64 = canonical.toString('base64');
    const set =
      tlogOptions.log === 'v2'
        ? undefined
        : log.signedEntryTimestamp(bodyBase64, integratedTime, proof.logIndex, signWith);
    let loggedBody: Buffer = canonical;
    if (tlogOptions.tamperBody) loggedBody = tamper(canonical);
    const entry = {
      logIndex: String(proof.logIndex),
      logId: { keyId: log.logId.toString('base64') },
      kindVersion,
      integratedTime: String(integratedTime),
      ...(set && { inclusionPromise: { signedEntryTimestamp: set.toString('base64') } }),
      inclusionProof: {
        logIndex: String(proof.logIndex),
        rootHash: proof.rootHash.toString('base64'),
        treeSize: String(proof.treeSize),
        hashes: proof.hashes.map((hash) => hash.toString('base64')),
        checkpoint: { envelope: proof.checkpoint },
      },
      canonicalizedBody: loggedBody.toString('base64'),
    };
    const annotation =
      set &&
      JSON.stringify({
        SignedEntryTimestamp: set.toString('base64'),
        Payload: {
          body: loggedBody.toString('base64'),
          integratedTime,
          logIndex: proof.logIndex,
          logID: log.logId.toString('hex'),
        },
      });
    return { entry, annotation };
  }

  function hashedRekordV1(digest: Buffer, signature: Buffer, verifierPem: string) {
    return {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: digest.toString('hex') } },
        signature: {
          content: signature.toString('base64'),
          publicKey: { content: Buffer.from(verifierPem).toString('base64') },
        },
      },
    };
  }

  function verifierV2(material: { certificateDer?: Buffer; key?: TestKeyPair }) {
    return {
      ...(material.certificateDer
        ? { x509Certificate: { rawBytes: material.certificateDer } }
        : { publicKey: { rawBytes: (material.key as TestKeyPair).spki } }),
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
    };
  }

  function entryV2(spec: Record<string, unknown>, kind: string): Record<string, unknown> {
    return Entry.toJSON(Entry.fromJSON({ kind, apiVersion: '0.0.2', spec })) as Record<string, unknown>;
  }

  async function signLegacy(
    payloadBytes: Uint8Array,
    opts: KeylessSigningOptions = {},
  ): Promise<TestLegacySignature> {
    const payload = Buffer.from(payloadBytes);
    const { signer, leafPem, chainPem, notBefore } = await certify(opts);
    const signature = signBytes(signer.privateKey, payload);
    const annotations: Record<string, string> = {
      'dev.cosignproject.cosign/signature': signature.toString('base64'),
      'dev.sigstore.cosign/certificate': leafPem,
      'dev.sigstore.cosign/chain': chainPem,
    };
    const result: TestLegacySignature = {
      payload,
      signature: signature.toString('base64'),
      certificate: leafPem,
      chain: chainPem,
      annotations,
    };
    if (opts.tlog !== false) {
      const tlogOptions = { ...(opts.tlog ?? {}), log: 'v1' as const };
      let body = hashedRekordV1(sha256(payload), signature, leafPem);
      if (tlogOptions.otherEntry) {
        const other = Buffer.from('{"another":"payload"}');
        body = hashedRekordV1(sha256(other), signBytes(signer.privateKey, other), leafPem);
      }
      const { annotation } = logEntry(
        body,
        { kind: 'hashedrekord', version: '0.0.1' },
        tlogOptions,
        notBefore,
      );
      result.rekorBundle = annotation as string;
      annotations['dev.sigstore.cosign/bundle'] = result.rekorBundle;
    }
    const timestamp = stamp(signature, notBefore, opts, false);
    if (timestamp) {
      result.rfc3161Timestamp = JSON.stringify({ SignedRFC3161Timestamp: timestamp.toString('base64') });
      annotations['dev.sigstore.cosign/rfc3161timestamp'] = result.rfc3161Timestamp;
    }
    return result;
  }

  async function signLegacyAttestation(
    payloadType: string,
    payloadBytes: Uint8Array,
    opts: KeylessSigningOptions = {},
  ): Promise<TestLegacyAttestation> {
    const payload = Buffer.from(payloadBytes);
    const { signer, leafPem, chainPem, notBefore } = await certify(opts);
    const signature = signBytes(signer.privateKey, dsse.preAuthEncoding(payloadType, payload));
    const envelope = Buffer.from(
      JSON.stringify({
        payloadType,
        payload: payload.toString('base64'),
        signatures: [{ keyid: '', sig: signature.toString('base64') }],
      }),
    );
    const annotations: Record<string, string> = {
      'dev.cosignproject.cosign/signature': '',
      'dev.sigstore.cosign/certificate': leafPem,
      'dev.sigstore.cosign/chain': chainPem,
    };
    if (opts.tlog !== false) {
      const tlogOptions = { ...(opts.tlog ?? {}), log: 'v1' as const };
      let loggedPayload = payload;
      let loggedSignature = signature;
      if (tlogOptions.otherEntry) {
        loggedPayload = Buffer.from('{"another":"statement"}');
        loggedSignature = signBytes(signer.privateKey, dsse.preAuthEncoding(payloadType, loggedPayload));
      }
      const verifier = Buffer.from(leafPem).toString('base64');
      const body =
        tlogOptions.kind === 'dsse'
          ? {
              apiVersion: '0.0.1',
              kind: 'dsse',
              spec: {
                envelopeHash: { algorithm: 'sha256', value: sha256(envelope).toString('hex') },
                payloadHash: { algorithm: 'sha256', value: sha256(loggedPayload).toString('hex') },
                signatures: [{ signature: loggedSignature.toString('base64'), verifier }],
              },
            }
          : {
              apiVersion: '0.0.2',
              kind: 'intoto',
              spec: {
                content: {
                  envelope: {
                    payloadType,
                    // Rekor stores the envelope's base64 signature base64-encoded once more.
                    signatures: [
                      {
                        publicKey: verifier,
                        sig: Buffer.from(loggedSignature.toString('base64')).toString('base64'),
                      },
                    ],
                  },
                  hash: { algorithm: 'sha256', value: sha256(envelope).toString('hex') },
                  payloadHash: { algorithm: 'sha256', value: sha256(loggedPayload).toString('hex') },
                },
              },
            };
      const kindVersion =
        tlogOptions.kind === 'dsse'
          ? { kind: 'dsse', version: '0.0.1' }
          : { kind: 'intoto', version: '0.0.2' };
      const { annotation } = logEntry(body, kindVersion, tlogOptions, notBefore);
      annotations['dev.sigstore.cosign/bundle'] = annotation as string;
    }
    return { envelope, signature, annotations };
  }

  async function signBundle(
    content: { kind: 'message'; artifact: Buffer } | { kind: 'dsse'; payload: Buffer; payloadType: string },
    opts: BundleSigningOptions,
  ): Promise<BundleJson> {
    const version = opts.version ?? '0.3';
    const tlogOptions: TlogOptions | false = opts.tlog === undefined ? {} : opts.tlog;
    if (version === '0.1' && tlogOptions && tlogOptions.log === 'v2')
      throw new Error('a v0.1 bundle needs an inclusion promise, which a Rekor v2 log does not give');
    let signerKey: TestKeyPair;
    let verificationMaterial: Record<string, unknown>;
    let verifierPem: string;
    let certificateDer: Buffer | undefined;
    let notBefore: Date;
    if (opts.key) {
      signerKey = opts.key;
      verifierPem = opts.key.publicKeyPem;
      notBefore = new Date(now.getTime() - 60_000);
      verificationMaterial = { publicKey: { hint: sha256(opts.key.spki).toString('base64') } };
    } else {
      const issued = await certify(opts);
      signerKey = issued.signer;
      verifierPem = issued.leafPem;
      certificateDer = issued.leafDer;
      notBefore = issued.notBefore;
      verificationMaterial =
        version === '0.3'
          ? { certificate: { rawBytes: issued.leafDer.toString('base64') } }
          : { x509CertificateChain: { certificates: [{ rawBytes: issued.leafDer.toString('base64') }] } };
    }
    let signature: Buffer;
    let bundleContent: Record<string, unknown>;
    let body: Record<string, unknown> | undefined;
    let kindVersion = {
      kind: 'hashedrekord',
      version: tlogOptions && tlogOptions.log === 'v2' ? '0.0.2' : '0.0.1',
    };
    const v2 = tlogOptions !== false && tlogOptions.log === 'v2';
    const material = certificateDer ? { certificateDer } : { key: signerKey };
    if (content.kind === 'message') {
      signature = signBytes(signerKey.privateKey, content.artifact);
      const digest = sha256(content.artifact);
      bundleContent = {
        messageSignature: {
          messageDigest: { algorithm: 'SHA2_256', digest: digest.toString('base64') },
          signature: signature.toString('base64'),
        },
      };
      if (tlogOptions) {
        let loggedDigest = digest;
        let loggedSignature = signature;
        if (tlogOptions.otherEntry) {
          const other = Buffer.from('another artifact');
          loggedDigest = sha256(other);
          loggedSignature = signBytes(signerKey.privateKey, other);
        }
        body = v2
          ? entryV2(
              {
                hashedRekordV002: {
                  data: { algorithm: 'SHA2_256', digest: loggedDigest.toString('base64') },
                  signature: {
                    content: loggedSignature.toString('base64'),
                    verifier: verifierV2Json(material),
                  },
                },
              },
              'hashedrekord',
            )
          : hashedRekordV1(loggedDigest, loggedSignature, verifierPem);
      }
    } else {
      const pae = dsse.preAuthEncoding(content.payloadType, content.payload);
      signature = signBytes(signerKey.privateKey, pae);
      const envelope = {
        payload: content.payload.toString('base64'),
        payloadType: content.payloadType,
        signatures: [{ sig: signature.toString('base64'), keyid: '' }],
      };
      bundleContent = { dsseEnvelope: envelope };
      if (tlogOptions) {
        let loggedPayload = content.payload;
        let loggedSignature = signature;
        if (tlogOptions.otherEntry) {
          loggedPayload = Buffer.from('{"another":"statement"}');
          loggedSignature = signBytes(
            signerKey.privateKey,
            dsse.preAuthEncoding(content.payloadType, loggedPayload),
          );
        }
        const loggedPae = dsse.preAuthEncoding(content.payloadType, loggedPayload);
        if (tlogOptions.kind === 'hashedrekord') {
          body = v2
            ? entryV2(
                {
                  hashedRekordV002: {
                    data: { algorithm: 'SHA2_256', digest: sha256(loggedPae).toString('base64') },
                    signature: {
                      content: loggedSignature.toString('base64'),
                      verifier: verifierV2Json(material),
                    },
                  },
                },
                'hashedrekord',
              )
            : hashedRekordV1(sha256(loggedPae), loggedSignature, verifierPem);
        } else {
          kindVersion = { kind: 'dsse', version: v2 ? '0.0.2' : '0.0.1' };
          body = v2
            ? entryV2(
                {
                  dsseV002: {
                    payloadHash: { algorithm: 'SHA2_256', digest: sha256(loggedPayload).toString('base64') },
                    signatures: [
                      { content: loggedSignature.toString('base64'), verifier: verifierV2Json(material) },
                    ],
                  },
                },
                'dsse',
              )
            : {
                apiVersion: '0.0.1',
                kind: 'dsse',
                spec: {
                  envelopeHash: {
                    algorithm: 'sha256',
                    value: sha256(Buffer.from(JSON.stringify(envelope))).toString('hex'),
                  },
                  payloadHash: { algorithm: 'sha256', value: sha256(loggedPayload).toString('hex') },
                  signatures: [
                    {
                      signature: loggedSignature.toString('base64'),
                      verifier: Buffer.from(verifierPem).toString('base64'),
                    },
                  ],
                },
              };
        }
      }
    }
    const tlogEntries = [];
    if (tlogOptions && body) tlogEntries.push(logEntry(body, kindVersion, tlogOptions, notBefore).entry);
    const timestamp = stamp(signature, notBefore, opts, v2);
    return {
      mediaType:
        version === '0.3'
          ? 'application/vnd.dev.sigstore.bundle.v0.3+json'
          : `application/vnd.dev.sigstore.bundle+json;version=${version}`,
      verificationMaterial: {
        ...verificationMaterial,
        tlogEntries,
        ...(timestamp && {
          timestampVerificationData: {
            rfc3161Timestamps: [{ signedTimestamp: timestamp.toString('base64') }],
          },
        }),
      },
      ...bundleContent,
    };
  }

  function verifierV2Json(material: { certificateDer?: Buffer; key?: TestKeyPair }) {
    const verifier = verifierV2(material);
    return {
      ...('x509Certificate' in verifier
        ? {
            x509Certificate: {
              rawBytes: (verifier.x509Certificate as { rawBytes: Buffer }).rawBytes.toString('base64'),
            },
          }
        : {
            publicKey: { rawBytes: (verifier.publicKey as { rawBytes: Buffer }).rawBytes.toString('base64') },
          }),
      keyDetails: verifier.keyDetails,
    };
  }

  return {
    now,
    trustedRootJson,
    defaultIdentity: { subject: DEFAULT_EMAIL, issuer: DEFAULT_ISSUER },
    ca,
    untrustedCa,
    ctlog,
    rekor,
    rekorV2,
    tsa,
    untrustedTsa,
    imagePayload: (dockerReference, digest) =>
      Buffer.from(
        JSON.stringify({
          critical: {
            identity: { 'docker-reference': dockerReference },
            image: { 'docker-manifest-digest': digest },
            type: 'cosign container image signature',
          },
          optional: null,
        }),
      ),
    statement: (subject, predicateType = 'https://vouch.test/predicate/v1', predicate = {}) => ({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: subject.name, digest: { sha256: subject.sha256 } }],
      predicateType,
      predicate,
    }),
    signLegacy,
    signLegacyAttestation,
    signBlobBundle: (artifact, opts = {}) =>
      signBundle({ kind: 'message', artifact: Buffer.from(artifact) }, opts),
    signDsseBundle: (statement, opts = {}) =>
      signBundle(
        { kind: 'dsse', payload: Buffer.from(JSON.stringify(statement)), payloadType: IN_TOTO },
        opts,
      ),
    signDssePayload: (payloadType, payload, opts = {}) =>
      signBundle({ kind: 'dsse', payload: Buffer.from(payload), payloadType }, opts),
  };
}

/** Changes one hex digit inside the body (keeping it valid JSON), so it is no longer what was logged. */
function tamper(body: Buffer): Buffer {
  const text = body.toString('utf8');
  const match = /[0-9a-f]{40,}/.exec(text) ?? /[A-Za-z0-9+/]{40,}/.exec(text);
  if (!match) throw new Error('nothing to tamper with in the body');
  const index = match.index + 10;
  const original = text[index] as string;
  const replacement = original === 'a' ? 'b' : 'a';
  return Buffer.from(text.slice(0, index) + replacement + text.slice(index + 1), 'utf8');
}
