import { describe, expect, it } from 'vitest';
import { RegistryError } from './errors.js';
import { parseManifest } from './manifest.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const descriptor = (extra: Record<string, unknown> = {}) => ({
  mediaType: 'application/vnd.oci.image.layer.v1.tar',
  digest: DIGEST,
  size: 12,
  ...extra,
});
const manifest = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: descriptor({ mediaType: 'application/vnd.oci.image.config.v1+json' }),
  layers: [descriptor()],
  ...extra,
});
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function problem(value: unknown): string {
  try {
    parseManifest(typeof value === 'string' ? new TextEncoder().encode(value) : bytes(value), 'r.example');
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe('MANIFEST_INVALID');
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('parseManifest', () => {
  it('accepts image manifests and indexes with every optional field, and unknown fields', () => {
    const full = manifest({
      artifactType: 'application/vnd.example',
      annotations: { a: 'b' },
      subject: descriptor(),
      extra: { anything: [1, null] },
      layers: [
        descriptor({
          annotations: { 'dev.cosignproject.cosign/signature': 'MEUC' },
          artifactType: 'x',
          platform: { architecture: 'amd64', os: 'linux', variant: 'v8', 'os.version': '1', more: 1 },
          urls: ['https://example.com/x'],
          data: 'e30=',
          unknown: true,
        }),
      ],
    });
    expect(parseManifest(bytes(full), 'r')).toEqual(full);
    const index = {
      schemaVersion: 2,
      manifests: [descriptor({ platform: { architecture: 'arm64', os: 'linux' } })],
    };
    expect(parseManifest(bytes(index), 'r')).toEqual(index);
    expect(parseManifest(bytes({ schemaVersion: 2, manifests: [] }), 'r')).toEqual({
      schemaVersion: 2,
      manifests: [],
    });
  });

  it.each<[string, unknown, string]>([
    ['not JSON', '{', 'is not valid JSON'],
    ['an array', [], 'malformed: manifest: expected an object, got an array'],
    ['schema version 1', manifest({ schemaVersion: 1 }), 'schemaVersion: expected 2'],
    ['schema version as a string', manifest({ schemaVersion: '2' }), 'schemaVersion: expected 2'],
    ['no config', manifest({ config: undefined }), 'config: expected an object, got nothing'],
    [
      'layers not an array',
      { schemaVersion: 2, config: descriptor(), layers: 'nope' },
      'layers: expected an array',
    ],
    ['null media type', manifest({ mediaType: null }), 'mediaType: expected a string, got null'],
    [
      'empty descriptor media type',
      manifest({ layers: [descriptor({ mediaType: '' })] }),
      'layers.0.mediaType: must not be empty',
    ],
    [
      'bad digest',
      manifest({ layers: [descriptor({ digest: 'sha256:xyz' })] }),
      'layers.0.digest: not a valid digest',
    ],
    [
      'digest not a string',
      manifest({ layers: [descriptor({ digest: 5 })] }),
      'layers.0.digest: expected a string',
    ],
    [
      'negative size',
      manifest({ layers: [descriptor({ size: -1 })] }),
      'layers.0.size: expected a non-negative integer',
    ],
    ['fractional size', manifest({ layers: [descriptor({ size: 1.5 })] }), 'layers.0.size'],
    ['size as a string', manifest({ layers: [descriptor({ size: '12' })] }), 'layers.0.size'],
    [
      'annotation not a string',
      manifest({ layers: [descriptor({ annotations: { a: 1 } })] }),
      'layers.0.annotations.a: expected a string',
    ],
    [
      'annotations an array',
      manifest({ annotations: ['a'] }),
      'annotations: expected an object, got an array',
    ],
    [
      'platform without os',
      manifest({ layers: [descriptor({ platform: { architecture: 'amd64' } })] }),
      'layers.0.platform.os',
    ],
    [
      'urls not strings',
      manifest({ layers: [descriptor({ urls: [1] })] }),
      'layers.0.urls.0: expected a string',
    ],
    [
      'null data',
      manifest({ layers: [descriptor({ data: null })] }),
      'layers.0.data: expected a string, got null',
    ],
    ['bad subject', manifest({ subject: { mediaType: 'x' } }), 'subject.digest'],
    [
      'bad index entry',
      { schemaVersion: 2, manifests: [descriptor(), { digest: DIGEST }] },
      'manifests.1.mediaType',
    ],
    ['null artifact type', manifest({ artifactType: null }), 'artifactType: expected a string, got null'],
  ])('refuses %s', (_name, value, expected) => {
    const message = problem(value);
    expect(message).toContain('manifest from r.example');
    expect(message).toContain(expected);
  });
});
