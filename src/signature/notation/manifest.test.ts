import { describe, expect, it } from 'vitest';
import { fixture, LAYOUTS } from '../../../test/notation/helpers.js';
import { type ImageManifest, parseManifest } from '../../registry/index.js';
import { SignatureError } from '../errors.js';
import { buildNotationSignatureManifest, chainThumbprints, parseNotationSignatureManifest } from './index.js';

const manifestOf = (layout: string, digest: string) =>
  parseManifest(fixture(`${LAYOUTS}${layout}/blobs/sha256/${digest}`), 'fixture');

const VALID = manifestOf(
  'e2e-valid-signature',
  '90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f',
) as ImageManifest;

const THUMB = 'e38aea13f2b051f7183cca64a51ee676f4d4456f41d9fecf15eb367efc7343b9';

/** The specification's example manifest (OCI 1.1 form, artifactType), with a one-certificate chain. */
function specManifest(overrides: Partial<ImageManifest> = {}): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.cncf.notary.signature',
    config: {
      mediaType: 'application/vnd.oci.empty.v1+json',
      digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      size: 2,
    },
    layers: [
      {
        mediaType: 'application/cose',
        digest: 'sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0',
        size: 32654,
      },
    ],
    subject: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: 'sha256:73c803930ea3ba1e54bc25c2bdc53edd0284c62ed651fe7b00369da519a3c333',
      size: 16724,
    },
    annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': `["${THUMB.toUpperCase()}"]` },
    ...overrides,
  };
}

function rejects(manifest: ImageManifest, code: string, message: RegExp) {
  let error: unknown;
  try {
    parseNotationSignatureManifest(manifest);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(SignatureError);
  expect((error as SignatureError).code).toBe(code);
  expect((error as SignatureError).message).toMatch(message);
}

describe('Notary Project signature manifests', () => {
  it('reads what notation pushed before OCI 1.1 (config media type as the marker)', () => {
    const parsed = parseNotationSignatureManifest(VALID);
    expect(parsed.legacyConfigMediaType).toBe(true);
    expect(parsed.envelope).toMatchObject({ mediaType: 'application/jose+json', size: 2070 });
    expect(parsed.subject.digest).toBe(
      'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9',
    );
    expect(parsed.thumbprints).toEqual([THUMB]);
  });

  it('reads the OCI 1.1 form (artifactType and the empty config), upper-case thumbprints as the spec writes them', () => {
    const parsed = parseNotationSignatureManifest(specManifest());
    expect(parsed.legacyConfigMediaType).toBe(false);
    expect(parsed.envelope.mediaType).toBe('application/cose');
    expect(parsed.thumbprints).toEqual([THUMB]);
  });

  it('refuses what notation calls an integrity failure: a layer that is no envelope (e2e-invalid-signature)', () => {
    const invalid = manifestOf(
      'e2e-invalid-signature',
      '321fcc674d6771dd0e5bd21e599f2df3a482de99a400fd3a3fe371221b97a9c9',
    );
    expect(() => parseNotationSignatureManifest(invalid)).toThrow(
      /layer of media type "application\/vnd.oci.image.layer.v1.tar"/,
    );
  });

  it('refuses every shape the specification rules out, each with its reason', () => {
    rejects(
      specManifest({ mediaType: 'application/vnd.docker.distribution.manifest.v2+json' }),
      'INVALID_MANIFEST',
      /media type/,
    );
    rejects(
      specManifest({ artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }),
      'INVALID_MANIFEST',
      /artifactType/,
    );
    rejects(
      specManifest({
        config: { ...specManifest().config, mediaType: 'application/vnd.oci.image.config.v1+json' },
      }),
      'INVALID_MANIFEST',
      /config media type .*expected application\/vnd.oci.empty.v1\+json/,
    );
    const { artifactType: _, ...unmarked } = specManifest();
    rejects(unmarked as ImageManifest, 'INVALID_MANIFEST', /neither artifactType nor config media type/);
    rejects(specManifest({ layers: [] }), 'INVALID_MANIFEST', /0 layers/);
    const layer = specManifest().layers[0]!;
    rejects(specManifest({ layers: [layer, layer] }), 'INVALID_MANIFEST', /2 layers/);
    rejects(specManifest({ subject: undefined }), 'INVALID_MANIFEST', /no subject/);
    rejects(
      specManifest({ annotations: {} }),
      'INVALID_MANIFEST',
      /no io.cncf.notary.x509chain.thumbprint#S256/,
    );
    rejects(
      specManifest({ annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': 'B7A6' } }),
      'INVALID_ANNOTATION',
      /not JSON/,
    );
    rejects(
      specManifest({ annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '[]' } }),
      'INVALID_ANNOTATION',
      /non-empty/,
    );
    rejects(
      specManifest({ annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '["abc"]' } }),
      'INVALID_ANNOTATION',
      /not a SHA-256/,
    );
    rejects(
      specManifest({
        annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': JSON.stringify(Array(11).fill(THUMB)) },
      }),
      'INVALID_ANNOTATION',
      /lists 11 certificates; the limit is 10/,
    );
  });

  it('refuses an index', () => {
    expect(() =>
      parseNotationSignatureManifest({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [],
      }),
    ).toThrow(/is an index/);
  });

  it('refuses an envelope over the size limit before anyone fetches it', () => {
    const big = specManifest({ layers: [{ ...specManifest().layers[0]!, size: 1024 * 1024 + 1 }] });
    rejects(big, 'TOO_LARGE', /1048577 bytes; the limit is 1048576/);
    expect(() =>
      parseNotationSignatureManifest(big, { maxEnvelopeBytes: 2 * 1024 * 1024, maxChainLength: 10 }),
    ).not.toThrow();
  });

  it('is built as notation pushes it, and reads back', () => {
    const envelope = Buffer.from('{"payload":"x"}');
    const certificate = Buffer.from('not really a certificate, only hashed');
    const { manifest, layer, annotations } = buildNotationSignatureManifest({
      envelope,
      envelopeMediaType: 'application/jose+json',
      subject: {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: VALID.subject!.digest,
        size: 517,
        annotations: { x: 'y' },
      },
      chain: [certificate],
      signingTime: new Date('2024-01-02T03:04:05.678Z'),
    });
    const [thumbprint] = chainThumbprints([certificate]);
    expect(manifest.toString()).toBe(
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.cncf.notary.signature",' +
        '"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="},' +
        `"layers":[{"mediaType":"application/jose+json","digest":"${layer.digest}","size":${envelope.byteLength}}],` +
        `"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${VALID.subject!.digest}","size":517},` +
        `"annotations":{"io.cncf.notary.x509chain.thumbprint#S256":"[\\"${thumbprint}\\"]","org.opencontainers.image.created":"2024-01-02T03:04:05Z"}}`,
    );
    expect(annotations['org.opencontainers.image.created']).toBe('2024-01-02T03:04:05Z');
    const reread = parseNotationSignatureManifest(parseManifest(manifest, 'test'));
    expect(reread.thumbprints).toEqual([thumbprint]);
    expect(reread.legacyConfigMediaType).toBe(false);
  });

  it('computes the thumbprints notation records for the e2e certificate', () => {
    const der = Buffer.from(
      fixture('notation/test/e2e/testdata/config/localkeys/e2e.crt')
        .toString()
        .replace(/-----[A-Z ]+-----|\s/g, ''),
      'base64',
    );
    expect(chainThumbprints([der])).toEqual([THUMB]);
  });
});
