import { describe, expect, it } from 'vitest';
import { E2E_IMAGE, e2eValidEnvelope, fixture, GO } from '../../../test/notation/helpers.js';
import { SignatureError } from '../errors.js';
import {
  buildNotationPayload,
  parseCoseEnvelope,
  parseJwsEnvelope,
  parseNotationPayload,
  targetArtifactMismatch,
} from './index.js';

const payload = (value: unknown) => Buffer.from(JSON.stringify(value));
const DIGEST = E2E_IMAGE.digest;

function rejects(bytes: Uint8Array, message: RegExp) {
  expect(() => parseNotationPayload(bytes)).toThrow(SignatureError);
  expect(() => parseNotationPayload(bytes)).toThrow(message);
}

describe('Notary Project payloads', () => {
  it('read the targetArtifact of a real notation signature', () => {
    const envelope = parseJwsEnvelope(e2eValidEnvelope());
    expect(parseNotationPayload(envelope.payload)).toEqual(E2E_IMAGE);
  });

  it('keep the signer annotations', () => {
    const envelope = parseJwsEnvelope(fixture(`${GO}internal/mock/testdata/sig_env_with_metadata.json`));
    expect(parseNotationPayload(envelope.payload).annotations).toEqual({
      'io.wabbit-networks.buildId': '123',
      'io.wabbit-networks.buildTime': '1672944615',
    });
  });

  it('match keys as notation decodes them (ignoring case), and refuse two keys that differ only in case', () => {
    expect(
      parseNotationPayload(payload({ TargetArtifact: { MediaType: 'm', Digest: DIGEST, SIZE: 1 } })),
    ).toEqual({
      mediaType: 'm',
      digest: DIGEST,
      size: 1,
    });
    rejects(
      payload({
        targetArtifact: { mediaType: 'm', digest: DIGEST, Digest: `sha256:${'0'.repeat(64)}`, size: 1 },
      }),
      /conflicting keys "digest" and "Digest"/,
    );
  });

  it('refuse payloads without a usable descriptor, each with its reason', () => {
    rejects(Buffer.from('not json'), /not valid JSON/);
    rejects(payload([]), /not a JSON object/);
    rejects(payload({}), /no targetArtifact/);
    rejects(payload({ targetArtifact: 'x' }), /not an object/);
    rejects(payload({ targetArtifact: { digest: DIGEST, size: 1 } }), /no mediaType/);
    rejects(payload({ targetArtifact: { mediaType: 'm', size: 1 } }), /no digest/);
    rejects(payload({ targetArtifact: { mediaType: 'm', digest: 'sha256:abc', size: 1 } }), /not a digest/);
    rejects(
      payload({ targetArtifact: { mediaType: 'm', digest: DIGEST, size: -1 } }),
      /non-negative integer/,
    );
    rejects(
      payload({ targetArtifact: { mediaType: 'm', digest: DIGEST, size: 1.5 } }),
      /non-negative integer/,
    );
    rejects(
      payload({ targetArtifact: { mediaType: 'm', digest: DIGEST, size: 1, annotations: { a: 1 } } }),
      /annotation "a" is not a string/,
    );
    const huge = Buffer.alloc(64 * 1024 + 1, 0x20);
    expect(() => parseNotationPayload(huge)).toThrow(/the limit is 65536/);
  });

  it('say why a target is not the image: another digest, another size, another media type', () => {
    const target = parseNotationPayload(parseJwsEnvelope(e2eValidEnvelope()).payload);
    expect(targetArtifactMismatch(target, E2E_IMAGE)).toBeUndefined();
    expect(targetArtifactMismatch(target, { ...E2E_IMAGE, digest: `sha256:${'1'.repeat(64)}` })).toMatch(
      /the signature is for sha256:b8479de3.*not for the image sha256:1111/,
    );
    expect(targetArtifactMismatch(target, { ...E2E_IMAGE, size: 518 })).toMatch(
      /size 517, but the image manifest is 518 bytes/,
    );
    expect(
      targetArtifactMismatch(target, {
        ...E2E_IMAGE,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      }),
    ).toMatch(/media type "application\/vnd.oci.image.manifest.v1\+json", but the image manifest is/);
  });

  it('are built byte for byte as notation signs them: sorted keys in JWS, struct order in COSE', () => {
    const jws = parseJwsEnvelope(e2eValidEnvelope());
    expect(buildNotationPayload(parseNotationPayload(jws.payload), 'jws')).toEqual(jws.payload);
    const cose = parseCoseEnvelope(fixture(`${GO}internal/testdata/cose_signature.sig`));
    expect(buildNotationPayload(parseNotationPayload(cose.payload), 'cose')).toEqual(cose.payload);
    const withMetadata = parseJwsEnvelope(fixture(`${GO}internal/mock/testdata/sig_env_with_metadata.json`));
    expect(buildNotationPayload(parseNotationPayload(withMetadata.payload), 'jws')).toEqual(
      withMetadata.payload,
    );
  });
});
