import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CORE,
  E2E_IMAGE,
  e2eSigner,
  e2eValidEnvelope,
  fixture,
  GO,
  handMadeJws,
  jwsProtected,
  LAYOUTS,
} from '../../../test/notation/helpers.js';
import { SignatureError } from '../errors.js';
import {
  criticalAttributeProblem,
  parseJwsEnvelope,
  parseNotationPayload,
  verifyEnvelopeIntegrity,
} from './index.js';

const signer = e2eSigner();
const x5c = [signer.certificate.toString('base64')];
const PAYLOAD = JSON.stringify({ targetArtifact: E2E_IMAGE });

const baseHeader = (): Record<string, unknown> => ({
  alg: 'PS256',
  crit: ['io.cncf.notary.signingScheme'],
  cty: 'application/vnd.cncf.notary.payload.v1+json',
  'io.cncf.notary.signingScheme': 'notary.x509',
  'io.cncf.notary.signingTime': '2024-06-18T14:29:33+08:00',
});

function envelope(
  protectedHeader = baseHeader(),
  header: Record<string, unknown> = { x5c },
  payload = PAYLOAD,
) {
  return handMadeJws({ protectedHeader, payload, header, key: signer.key });
}

function mutate(bytes: Buffer, change: (json: Record<string, unknown>) => void): Buffer {
  const json = JSON.parse(bytes.toString()) as Record<string, unknown>;
  change(json);
  return Buffer.from(JSON.stringify(json));
}

function parseError(bytes: Uint8Array): SignatureError {
  try {
    parseJwsEnvelope(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureError);
    return error as SignatureError;
  }
  throw new Error('expected the envelope to be refused');
}

describe('JWS envelopes: real notation signatures', () => {
  it('parse and pass integrity: the e2e signature notation made', async () => {
    const parsed = parseJwsEnvelope(e2eValidEnvelope());
    expect(parsed).toMatchObject({
      format: 'jws',
      algorithm: { name: 'PS256' },
      signingScheme: 'notary.x509',
      signingTime: new Date('2023-06-27T05:30:33Z'),
      criticalHeaders: ['io.cncf.notary.signingScheme'],
      extendedAttributes: [],
    });
    expect(parsed.certificateChain).toEqual([signer.certificate]);
    expect(parsed.signingAgent).toBe('Notation/1.0.0');
    expect(await verifyEnvelopeIntegrity(parsed)).toEqual({ ok: true });
  });

  it('read the signing-authority scheme, an expiry, and a two-certificate chain (notation-go mock envelopes)', async () => {
    const sa = parseJwsEnvelope(fixture(`${GO}internal/mock/testdata/sa_valid_sig_env.json`));
    expect(sa).toMatchObject({
      algorithm: { name: 'PS384' },
      signingScheme: 'notary.x509.signingAuthority',
      authenticSigningTime: new Date('2020-11-09T07:00:00Z'),
      expiry: new Date('2120-11-09T07:00:00Z'),
    });
    expect(sa.signingTime).toBeUndefined();
    expect(sa.certificateChain).toHaveLength(2);
    // The mock envelopes spell the agent "io.cncf.notary.SigningAgent"; notation's Go decoder reads it anyway.
    expect(sa.signingAgent).toBe('Notation/1.0.0');
    expect(await verifyEnvelopeIntegrity(sa)).toEqual({ ok: true });
  });

  it('carry the timestamp countersignature as bytes', () => {
    const stamped = parseJwsEnvelope(fixture(`${GO}verifier/testdata/timestamp/sigEnv/jwsWithTimestamp.sig`));
    expect(stamped.timestampToken?.[0]).toBe(0x30); // a DER SEQUENCE (ContentInfo)
    expect(
      parseJwsEnvelope(fixture(`${GO}verifier/testdata/timestamp/sigEnv/withoutTimestamp.sig`))
        .timestampToken,
    ).toBeUndefined();
  });

  it('refuse what notation refuses as an integrity failure: a corrupted payload (ca_invalid_sig_env)', () => {
    expect(parseError(fixture(`${GO}internal/mock/testdata/ca_invalid_sig_env.json`)).code).toBe(
      'INVALID_BASE64',
    );
  });

  it('name the verification plugin a signature requires instead of passing without it', async () => {
    const plugin = parseJwsEnvelope(fixture(`${GO}internal/mock/testdata/ca_plugin_sig_env.json`));
    const result = await verifyEnvelopeIntegrity(plugin);
    expect(result).toEqual({
      ok: false,
      reason: expect.stringContaining('verification plugin "plugin-name"'),
    });
    const versioned = parseJwsEnvelope(
      fixture(`${GO}internal/mock/testdata/ca_compatible_pluginver_sig_env_1.0.0.json`),
    );
    expect(criticalAttributeProblem(versioned)).toMatch(
      /"io.cncf.notary.plugin.unittest.mock" \(version "1.0.0" or later\)/,
    );
  });

  it('match the encoding notation-core-go publishes as its JWS conformance vector', () => {
    const conformance = JSON.parse(
      fixture(`${CORE}signature/jws/testdata/conformance.json`).toString(),
    ) as Record<string, unknown>;
    // The published vector carries no chain (its key is generated at test time); add one to read it.
    const parsed = parseJwsEnvelope(
      Buffer.from(JSON.stringify({ ...conformance, header: { ...(conformance.header as object), x5c } })),
    );
    expect(parsed.payload.toString()).toBe('{"key":"hello JWS"}');
    expect(parsed).toMatchObject({
      algorithm: { name: 'ES256' },
      signingTime: new Date('2022-08-29T13:50:00Z'),
      expiry: new Date('2099-08-30T13:50:00Z'),
      criticalHeaders: ['io.cncf.notary.signingScheme', 'signedCritKey1', 'io.cncf.notary.expiry'],
      signingAgent: 'NotationConformanceTest/1.0.0',
    });
    expect(parsed.extendedAttributes).toEqual([
      { name: 'signedCritKey1', value: 'signedCritValue1', critical: true },
      { name: 'signedKey1', value: 'signedValue1', critical: false },
      { name: 'signedKey2', value: 'signedValue1', critical: false },
      { name: 'signedKey3', value: 'signedValue1', critical: false },
      { name: 'signedKey4', value: 'signedValue1', critical: false },
    ]);
    expect(criticalAttributeProblem(parsed)).toMatch(/unknown header critical \("signedCritKey1"\)/);
  });
});

describe('JWS envelopes: attacks and integrity', () => {
  it('a hand-made envelope passes, so the failures below are about the one thing each changes', async () => {
    expect(await verifyEnvelopeIntegrity(parseJwsEnvelope(envelope()))).toEqual({ ok: true });
  });

  it('a tampered payload fails integrity', async () => {
    const tampered = mutate(e2eValidEnvelope(), (json) => {
      const other = JSON.stringify({ targetArtifact: { ...E2E_IMAGE, digest: `sha256:${'1'.repeat(64)}` } });
      json.payload = Buffer.from(other).toString('base64url');
    });
    const parsed = parseJwsEnvelope(tampered);
    expect(parseNotationPayload(parsed.payload).digest).toBe(`sha256:${'1'.repeat(64)}`);
    expect(await verifyEnvelopeIntegrity(parsed)).toEqual({
      ok: false,
      reason: expect.stringContaining('does not verify'),
    });
  });

  it('a tampered protected header fails integrity', async () => {
    const tampered = mutate(e2eValidEnvelope(), (json) => {
      const header = {
        ...jwsProtected(e2eValidEnvelope()),
        'io.cncf.notary.signingTime': '2030-01-01T00:00:00Z',
      };
      json.protected = Buffer.from(JSON.stringify(header)).toString('base64url');
    });
    expect(await verifyEnvelopeIntegrity(parseJwsEnvelope(tampered))).toMatchObject({ ok: false });
  });

  it('another certificate in x5c fails integrity; another signing agent changes nothing (it is unsigned)', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const byOther = handMadeJws({
      protectedHeader: baseHeader(),
      payload: PAYLOAD,
      header: { x5c },
      key: other.privateKey,
    });
    expect(await verifyEnvelopeIntegrity(parseJwsEnvelope(byOther))).toMatchObject({ ok: false });
    const agent = mutate(e2eValidEnvelope(), (json) => {
      (json.header as Record<string, unknown>)['io.cncf.notary.signingAgent'] = 'anything/9.9';
    });
    const parsed = parseJwsEnvelope(agent);
    expect(parsed.signingAgent).toBe('anything/9.9');
    expect(await verifyEnvelopeIntegrity(parsed)).toEqual({ ok: true });
  });

  it('an algorithm the key does not call for fails (algorithm substitution)', async () => {
    const substituted = envelope({ ...baseHeader(), alg: 'PS384' });
    expect(await verifyEnvelopeIntegrity(parseJwsEnvelope(substituted))).toEqual({
      ok: false,
      reason:
        "the envelope names algorithm PS384, but the signing certificate's RSA 2048-bit key calls for PS256",
    });
  });

  it('an unknown critical header fails; the same header not marked critical is kept as data', async () => {
    const critical = envelope({
      ...baseHeader(),
      crit: ['io.cncf.notary.signingScheme', 'acme.policy'],
      'acme.policy': 'x',
    });
    expect(await verifyEnvelopeIntegrity(parseJwsEnvelope(critical))).toEqual({
      ok: false,
      reason: expect.stringContaining('unknown header critical ("acme.policy")'),
    });
    const informational = parseJwsEnvelope(envelope({ ...baseHeader(), 'acme.policy': 'x' }));
    expect(informational.extendedAttributes).toEqual([{ name: 'acme.policy', value: 'x', critical: false }]);
    expect(await verifyEnvelopeIntegrity(informational)).toEqual({ ok: true });
  });

  it('a payload of another content type fails integrity', async () => {
    const other = envelope({ ...baseHeader(), cty: 'application/json' });
    expect(await verifyEnvelopeIntegrity(parseJwsEnvelope(other))).toEqual({
      ok: false,
      reason: expect.stringContaining('payload content type "application/json"'),
    });
  });
});

describe('JWS envelopes: strict parsing', () => {
  const header = baseHeader;

  it('refuses every malformed protected header with its reason', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...header(), alg: 'none' }, /algorithm "none" is not one the Notary Project allows/],
      [{ ...header(), alg: 'HS256' }, /algorithm "HS256"/],
      [{ ...header(), cty: undefined }, /no content type/],
      [{ ...header(), crit: undefined }, /no critical header list/],
      [{ ...header(), crit: [] }, /empty critical header list/],
      [{ ...header(), crit: ['io.cncf.notary.signingScheme', 'alg'] }, /registered header alg critical/],
      [{ ...header(), crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.signingScheme'] }, /twice/],
      [
        { ...header(), crit: ['io.cncf.notary.signingTime'] },
        /does not mark io.cncf.notary.signingScheme critical/,
      ],
      [
        { ...header(), crit: ['io.cncf.notary.signingScheme', 'absent'] },
        /marks "absent" critical but does not carry it/,
      ],
      [
        { ...header(), 'io.cncf.notary.signingScheme': 'notary.x509.other' },
        /signing scheme "notary.x509.other"/,
      ],
      [{ ...header(), 'io.cncf.notary.signingTime': undefined }, /no io.cncf.notary.signingTime/],
      [{ ...header(), 'io.cncf.notary.signingTime': '2024-02-30T00:00:00Z' }, /not an RFC 3339 time/],
      [{ ...header(), 'io.cncf.notary.signingTime': 1718692173 }, /not an RFC 3339 time/],
      [
        { ...header(), 'io.cncf.notary.authenticSigningTime': '2024-01-01T00:00:00Z' },
        /notary.x509 scheme forbids/,
      ],
      [
        { ...header(), 'io.cncf.notary.expiry': '2099-01-01T00:00:00Z' },
        /does not mark io.cncf.notary.expiry critical/,
      ],
      [
        {
          ...header(),
          crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'],
          'io.cncf.notary.expiry': '2024-06-18T06:29:33Z',
        },
        /expiry that is not after its signing time/,
      ],
      [
        {
          ...header(),
          'io.cncf.notary.signingScheme': 'notary.x509.signingAuthority',
          crit: ['io.cncf.notary.signingScheme'],
        },
        /no io.cncf.notary.authenticSigningTime/,
      ],
      [
        {
          ...header(),
          'io.cncf.notary.signingScheme': 'notary.x509.signingAuthority',
          'io.cncf.notary.signingTime': undefined,
          'io.cncf.notary.authenticSigningTime': '2024-01-01T00:00:00Z',
        },
        /does not mark io.cncf.notary.authenticSigningTime critical/,
      ],
      [{ ...header(), ALG: 'PS256' }, /"ALG" that differs from a defined name only in case/],
    ];
    for (const [protectedHeader, message] of cases) {
      const error = parseError(
        envelope(JSON.parse(JSON.stringify(protectedHeader)) as Record<string, unknown>),
      );
      expect(error.message, JSON.stringify(protectedHeader)).toMatch(message);
    }
  });

  it('refuses a malformed serialization with its reason', () => {
    const valid = e2eValidEnvelope();
    const cases: [Buffer, RegExp][] = [
      [Buffer.from('[]'), /not a JSON object/],
      [
        mutate(valid, (j) => {
          j.signatures = [];
        }),
        /member "signatures"; only payload, protected, header and signature/,
      ],
      [
        mutate(valid, (j) => {
          j.Payload = j.payload;
        }),
        /conflicting keys "payload" and "Payload"/,
      ],
      [
        mutate(valid, (j) => {
          j.payload = `${j.payload}=`;
        }),
        /payload is not unpadded base64url/,
      ],
      [
        mutate(valid, (j) => {
          j.signature = '';
        }),
        /empty signature/,
      ],
      [
        mutate(valid, (j) => {
          delete j.header;
        }),
        /no unprotected header object/,
      ],
      [
        mutate(valid, (j) => {
          j.header = { x5c: [] };
        }),
        /no certificate chain/,
      ],
      [
        mutate(valid, (j) => {
          j.header = { x5c: ['not base64!'] };
        }),
        /x5c\[0\] is not valid base64/,
      ],
      [
        mutate(valid, (j) => {
          j.header = { x5c, 'io.cncf.notary.timestampSignature': 5 };
        }),
        /timestamp signature that is not a string/,
      ],
    ];
    for (const [bytes, message] of cases) expect(parseError(bytes).message).toMatch(message);
  });

  it('reads envelope members as notation does, ignoring case (an upper-case Header is the header)', () => {
    const upper = mutate(e2eValidEnvelope(), (j) => {
      j.Header = j.header;
      delete j.header;
    });
    expect(parseJwsEnvelope(upper).certificateChain).toHaveLength(1);
  });

  it('bounds everything the author controls: envelope bytes, chain length, certificate size, header count', () => {
    expect(parseError(Buffer.alloc(1024 * 1024 + 1, 0x20)).code).toBe('TOO_LARGE');
    expect(parseError(envelope(baseHeader(), { x5c: Array(11).fill(x5c[0]) })).message).toMatch(
      /11 certificates; the limit is 10/,
    );
    const bigCertificate = Buffer.alloc(64 * 1024 + 1).toString('base64');
    expect(parseError(envelope(baseHeader(), { x5c: [bigCertificate] })).code).toBe('TOO_LARGE');
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`h${i}`, i]));
    expect(parseError(envelope({ ...baseHeader(), ...many })).message).toMatch(
      /65 protected headers; the limit is 64/,
    );
    const manyUnsigned = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`u${i}`, i]));
    expect(parseError(envelope(baseHeader(), { x5c, ...manyUnsigned })).message).toMatch(
      /65 unprotected headers/,
    );
  });

  it('reads every real e2e envelope of notation: expired signature, expired certificate, timestamped, pretty-printed', async () => {
    const envelopes = [
      ['e2e-expired-signature', 'b5f927564088f65dad86c81bcdd0b55415a8b4c9a0a5391107210e0cdb305cc7'],
      ['e2e-with-expired-cert', '8513a5ba473f32b78a87518b732700632c05cde0d59d179275c5c5a8096beeed'],
      ['e2e-valid-multiple-signatures', 'a54333638acfa773a6b25429ee409b558d39c6f3c45dd14f714d72452bc36481'],
      ['e2e-with-timestamped-signature', '603ff134e97a79cd7a15560b76137c2c4a10451daab11327a7c6f86dac250fee'],
      [
        'e2e-with-invalid-timestamped-signature',
        '8d2e70ffc2af68b7f2df6f30dfefcb7bcda1db5f9ac2566fc8c6c2248c8d4c5f',
      ],
    ] as const;
    for (const [layout, digest] of envelopes) {
      const parsed = parseJwsEnvelope(fixture(`${LAYOUTS}${layout}/blobs/sha256/${digest}`));
      expect(await verifyEnvelopeIntegrity(parsed), layout).toEqual({ ok: true });
    }
    const expired = parseJwsEnvelope(
      fixture(`${LAYOUTS}e2e-expired-signature/blobs/sha256/${envelopes[0][1]}`),
    );
    expect(expired.expiry!.getTime()).toBeLessThan(Date.now());
    const stamped = parseJwsEnvelope(
      fixture(`${LAYOUTS}e2e-with-timestamped-signature/blobs/sha256/${envelopes[3][1]}`),
    );
    expect(stamped.timestampToken).toBeDefined();
  });
});
