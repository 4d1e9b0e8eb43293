import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { preAuthEncoding } from './dsse.js';
import { decodeBase64, goJson } from './encoding.js';
import {
  buildLegacyManifest,
  buildSimpleSigningPayload,
  buildStatement,
  digestSet,
  legacyTag,
  missingAnnotations,
  parseDsseEnvelope,
  parseRekorBundle,
  parseSimpleSigningPayload,
  parseStatement,
  resolvePredicateType,
  subjectsNaming,
} from './index.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('simple-signing payloads', () => {
  it('are byte for byte what cosign writes', () => {
    expect(buildSimpleSigningPayload({ dockerReference: 'r.io/app', digest: DIGEST }).toString()).toBe(
      `{"critical":{"identity":{"docker-reference":"r.io/app"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`,
    );
    const withAnnotations = buildSimpleSigningPayload({
      dockerReference: 'r.io/app',
      digest: DIGEST,
      annotations: { z: '1', a: '<&>' },
    }).toString();
    expect(withAnnotations).toContain('"optional":{"a":"\\u003c\\u0026\\u003e","z":"1"}');
  });

  it('are read with case-insensitive keys, as Go decodes them', () => {
    const claims = parseSimpleSigningPayload(
      Buffer.from(
        `{"Critical":{"Identity":{"Docker-Reference":"x"},"Image":{"Docker-manifest-digest":"${DIGEST}"},"Type":"t"},"Optional":{"k":"v"}}`,
      ),
    );
    expect(claims).toEqual({ digest: DIGEST, dockerReference: 'x', type: 't', optional: { k: 'v' } });
  });

  it('refuse two keys that differ only in case, missing digests and non-digests', () => {
    expect(() =>
      parseSimpleSigningPayload(
        Buffer.from(
          `{"critical":{"image":{"docker-manifest-digest":"${DIGEST}","Docker-Manifest-Digest":"sha256:${'cd'.repeat(32)}"}}}`,
        ),
      ),
    ).toThrow(/conflicting keys/);
    expect(() => parseSimpleSigningPayload(Buffer.from('{"critical":{"image":{}}}'))).toThrow(
      /no critical.image.docker-manifest-digest/,
    );
    expect(() =>
      parseSimpleSigningPayload(Buffer.from('{"critical":{"image":{"docker-manifest-digest":"latest"}}}')),
    ).toThrow(/not a digest/);
    expect(() => parseSimpleSigningPayload(Buffer.from('not json'))).toThrow(/not valid JSON/);
  });

  it('annotations match only with exactly the same string', () => {
    expect(missingAnnotations({ a: '1', b: 2 }, { a: '1' })).toEqual([]);
    expect(missingAnnotations({ a: '1', b: 2 }, { b: '2', c: 'x' })).toEqual([
      'b=2 (signed b=2)',
      'c=x (absent)',
    ]);
    expect(missingAnnotations(null, { a: '1' })).toEqual(['a=1 (absent)']);
  });
});

describe('encodings', () => {
  it('base64 is strict except for line breaks', () => {
    expect(decodeBase64('aGk=', 'x').toString()).toBe('hi');
    expect(decodeBase64('aG\nk=', 'x').toString()).toBe('hi');
    expect(() => decodeBase64('aGk', 'x')).toThrow(/not valid base64/);
    expect(() => decodeBase64('a*Gk=', 'x')).toThrow(/not valid base64/);
  });

  it('goJson escapes like Go', () => {
    expect(goJson({ a: '<b>&\u2028' })).toBe('{"a":"\\u003cb\\u003e\\u0026\\u2028"}');
  });

  it('legacy tags', () => {
    expect(legacyTag(DIGEST, 'sig')).toBe(`sha256-${'ab'.repeat(32)}.sig`);
    expect(legacyTag(DIGEST, 'att', 'pre-')).toBe(`pre-sha256-${'ab'.repeat(32)}.att`);
  });

  it('signature manifests list each layer in the config diff_ids', () => {
    const layer = { mediaType: 'm', digest: DIGEST, size: 3, annotations: { b: '2', a: '1' } };
    const { manifest, config } = buildLegacyManifest([layer]);
    const parsedConfig = JSON.parse(config.toString());
    expect(parsedConfig.rootfs.diff_ids).toEqual([DIGEST]);
    const parsed = JSON.parse(manifest.toString());
    expect(parsed.config.digest).toBe(`sha256:${createHash('sha256').update(config).digest('hex')}`);
    expect(JSON.stringify(parsed.layers[0])).toBe(
      `{"mediaType":"m","size":3,"digest":"${DIGEST}","annotations":{"a":"1","b":"2"}}`,
    );
  });
});

describe('DSSE and in-toto', () => {
  it('PAE follows the DSSE spec', () => {
    expect(preAuthEncoding('t', Buffer.from('hello')).toString()).toBe('DSSEv1 1 t 5 hello');
  });

  it('envelopes parse with standard or URL-safe base64 and refuse junk', () => {
    const envelope = parseDsseEnvelope(
      Buffer.from(JSON.stringify({ payloadType: 't', payload: '-_8=', signatures: [{ sig: 'aGk=' }] })),
    );
    expect([...envelope.payload]).toEqual([0xfb, 0xff]);
    expect(envelope.signatures[0]?.keyid).toBe('');
    expect(() => parseDsseEnvelope(Buffer.from('{"payloadType":"t","payload":"","signatures":[]}'))).toThrow(
      /no signatures/,
    );
  });

  it('statements name digests and predicate types', () => {
    const statement = parseStatement(
      buildStatement({
        subject: [{ name: 'r/app', digest: digestSet(DIGEST) }],
        predicateType: 'p',
        predicate: {},
      }),
    );
    expect(statement.type).toBe('https://in-toto.io/Statement/v1');
    expect(subjectsNaming(statement, DIGEST)).toHaveLength(1);
    expect(subjectsNaming(statement, `sha256:${'cd'.repeat(32)}`)).toHaveLength(0);
    expect(() => parseStatement(Buffer.from('{"_type":"x","subject":[],"predicateType":"p"}'))).toThrow(
      /_type/,
    );
  });

  it('short predicate types map to cosign’s URIs', () => {
    expect(resolvePredicateType('cyclonedx')).toBe('https://cyclonedx.org/bom');
    expect(resolvePredicateType('slsaprovenance1')).toBe('https://slsa.dev/provenance/v1');
    expect(resolvePredicateType('https://example.com/p/v1')).toBe('https://example.com/p/v1');
    expect(() => resolvePredicateType('sbom')).toThrow(/neither a URI/);
  });
});

describe('Rekor bundle annotations', () => {
  it('parse strictly', () => {
    const good = {
      SignedEntryTimestamp: 'aGk=',
      Payload: { body: 'e30=', integratedTime: 1, logIndex: 2, logID: 'ab'.repeat(32) },
    };
    expect(parseRekorBundle(JSON.stringify(good)).payload.logIndex).toBe(2);
    expect(() =>
      parseRekorBundle(JSON.stringify({ ...good, Payload: { ...good.Payload, logID: 'xyz' } })),
    ).toThrow(/logID/);
    expect(() => parseRekorBundle('[]')).toThrow(/not a JSON object/);
  });
});
