import { decode, Tag } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import {
  CORE,
  cborMap,
  E2E_IMAGE,
  e2eSigner,
  encode,
  fixture,
  GO,
  handMadeCose,
} from '../../../test/notation/helpers.js';
import { SignatureError } from '../errors.js';
import {
  criticalAttributeProblem,
  parseCoseEnvelope,
  parseNotationPayload,
  verifyEnvelopeIntegrity,
} from './index.js';

const signer = e2eSigner();
const PAYLOAD = Buffer.from(JSON.stringify({ targetArtifact: E2E_IMAGE }));
const SIGNING_TIME = 1718692173;

type Entries = [unknown, unknown][];
const baseProtected = (): Entries => [
  [1, -37],
  [2, ['io.cncf.notary.signingScheme']],
  [3, 'application/vnd.cncf.notary.payload.v1+json'],
  ['io.cncf.notary.signingScheme', 'notary.x509'],
  ['io.cncf.notary.signingTime', new Tag(SIGNING_TIME, 1)],
];
const unprotected = (extra: Entries = []) =>
  new Map<unknown, unknown>([
    [33, [signer.certificate]],
    ['io.cncf.notary.signingAgent', 'test/1.0'],
    ...extra,
  ]);

function envelope(
  entries: Entries = baseProtected(),
  unsigned = unprotected(),
  payload: Uint8Array = PAYLOAD,
) {
  return handMadeCose({ protectedBytes: cborMap(entries), unprotected: unsigned, payload, key: signer.key });
}

function parseError(bytes: Uint8Array): SignatureError {
  try {
    parseCoseEnvelope(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureError);
    return error as SignatureError;
  }
  throw new Error('expected the envelope to be refused');
}

const hex = (text: string) => Buffer.from(text, 'hex');

describe('COSE envelopes: real notation signatures', () => {
  it('parse and pass integrity (notation-go test data, with and without timestamp)', async () => {
    for (const path of [
      'internal/testdata/cose_signature.sig',
      'verifier/testdata/timestamp/sigEnv/coseWithTimestamp.sig',
      'verifier/testdata/timestamp/sigEnv/coseExpiredWithTimestamp.sig',
      'verifier/testdata/timestamp/sigEnv/timestampAfterNotAfter.sig',
    ]) {
      const parsed = parseCoseEnvelope(fixture(`${GO}${path}`));
      expect(parsed, path).toMatchObject({
        format: 'cose',
        algorithm: { name: 'PS256', cose: -37 },
        signingScheme: 'notary.x509',
      });
      expect(await verifyEnvelopeIntegrity(parsed), path).toEqual({ ok: true });
    }
    const stamped = parseCoseEnvelope(
      fixture(`${GO}verifier/testdata/timestamp/sigEnv/coseWithTimestamp.sig`),
    );
    expect(stamped.signingTime).toEqual(new Date('2024-06-18T06:27:11Z'));
    expect(stamped.timestampToken?.[0]).toBe(0x30);
    expect(stamped.signingAgent).toBe('Notation/1.0.0');
    expect(parseNotationPayload(stamped.payload).digest).toBe(
      'sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda',
    );
  });

  it("decode notation-core-go's COSE conformance vector to the attributes it was made from", () => {
    const conformance = JSON.parse(fixture(`${CORE}signature/cose/testdata/conformance.json`).toString()) as {
      protectedHeaders: { cborHex: string };
      expectedOutput: { cborHex: string };
    };
    const output = hex(conformance.expectedOutput.cborHex);
    // The vector leaves the chain out (its key is made at test time); notation's own test puts one in
    // the unprotected header, which the signature does not cover. Do the same.
    const [protectedBytes, , payload, signature] = (decode(output) as Tag).value as [
      Buffer,
      unknown,
      Buffer,
      Buffer,
    ];
    expect(protectedBytes).toEqual(hex(conformance.protectedHeaders.cborHex));
    const withChain = Buffer.concat([
      Buffer.from([0xd2]),
      encode([protectedBytes, unprotected([]), payload, signature]),
    ]);
    const parsed = parseCoseEnvelope(withChain);
    expect(parsed.payload.toString()).toBe('hello COSE');
    expect(parsed).toMatchObject({
      algorithm: { name: 'PS384' },
      signingTime: new Date(1661321924 * 1000),
      expiry: new Date(1661408324 * 1000),
      criticalHeaders: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry', 'signedCritKey1'],
    });
    expect(parsed.extendedAttributes).toEqual([
      { name: 'signedKey1', value: 'signedValue1', critical: false },
      { name: 'signedCritKey1', value: 'signedCritValue1', critical: true },
    ]);
    expect(criticalAttributeProblem(parsed)).toMatch(/"signedCritKey1"/);
  });
});

describe('COSE envelopes: attacks and integrity', () => {
  it('a hand-made envelope passes, so each failure below is about the one thing it changes', async () => {
    const parsed = parseCoseEnvelope(envelope());
    expect(parsed.signingTime).toEqual(new Date(SIGNING_TIME * 1000));
    expect(await verifyEnvelopeIntegrity(parsed)).toEqual({ ok: true });
  });

  it('a tampered payload or protected header fails integrity; the unsigned agent does not matter', async () => {
    const good = envelope();
    const index = good.indexOf(PAYLOAD);
    const tampered = Buffer.from(good);
    const at = index + PAYLOAD.indexOf('sha256:') + 10;
    tampered[at] = (tampered[at] as number) ^ 1;
    expect(await verifyEnvelopeIntegrity(parseCoseEnvelope(tampered))).toMatchObject({ ok: false });

    const signedHeader = cborMap(baseProtected());
    const otherHeader = cborMap([
      ...baseProtected().slice(0, 4),
      ['io.cncf.notary.signingTime', new Tag(SIGNING_TIME + 1, 1)],
    ]);
    const swapped = Buffer.from(
      good.toString('hex').replace(signedHeader.toString('hex'), otherHeader.toString('hex')),
      'hex',
    );
    expect(await verifyEnvelopeIntegrity(parseCoseEnvelope(swapped))).toMatchObject({ ok: false });

    const agent = Buffer.from(
      good
        .toString('hex')
        .replace(Buffer.from('test/1.0').toString('hex'), Buffer.from('evil/6.6').toString('hex')),
      'hex',
    );
    const parsed = parseCoseEnvelope(agent);
    expect(parsed.signingAgent).toBe('evil/6.6');
    expect(await verifyEnvelopeIntegrity(parsed)).toEqual({ ok: true });
  });

  it('an algorithm the key does not call for fails', async () => {
    const entries = baseProtected();
    entries[0] = [1, -7];
    expect(await verifyEnvelopeIntegrity(parseCoseEnvelope(envelope(entries)))).toEqual({
      ok: false,
      reason:
        "the envelope names algorithm ES256, but the signing certificate's RSA 2048-bit key calls for PS256",
    });
  });

  it('an unknown critical label fails, and a critical verification plugin is named', async () => {
    const unknown = baseProtected();
    unknown[1] = [2, ['io.cncf.notary.signingScheme', 99]];
    unknown.push([99, 'x']);
    expect(await verifyEnvelopeIntegrity(parseCoseEnvelope(envelope(unknown)))).toEqual({
      ok: false,
      reason: expect.stringContaining('unknown header critical ("99")'),
    });
    const plugin = baseProtected();
    plugin[1] = [2, ['io.cncf.notary.signingScheme', 'io.cncf.notary.verificationPlugin']];
    plugin.push(['io.cncf.notary.verificationPlugin', 'com.amazonaws.signer.notation.plugin']);
    expect(await verifyEnvelopeIntegrity(parseCoseEnvelope(envelope(plugin)))).toEqual({
      ok: false,
      reason: expect.stringContaining('verification plugin "com.amazonaws.signer.notation.plugin"'),
    });
  });
});

describe('COSE envelopes: strict parsing', () => {
  it('refuses CBOR a general decoder would accept: duplicate keys, indefinite lengths, foreign tags, trailing bytes', () => {
    const good = envelope();
    // A protected header naming the signing time twice: cbor-x alone would keep the last one.
    const duplicate = Buffer.concat([
      cborMap(baseProtected()).subarray(0, 1),
      cborMap(baseProtected()).subarray(1),
    ]);
    duplicate[0] = 0xa6;
    const twice = Buffer.concat([duplicate, encode('io.cncf.notary.signingTime'), encode(new Tag(1, 1))]);
    const dupEnvelope = handMadeCose({
      protectedBytes: twice,
      unprotected: unprotected(),
      payload: PAYLOAD,
      key: signer.key,
    });
    expect(parseError(dupEnvelope).message).toMatch(/duplicate key/);

    const indefinite = Buffer.from(good);
    indefinite[1] = 0x9f; // array of indefinite length
    expect(parseError(indefinite).message).toMatch(/indefinite-length|not valid CBOR/);

    const foreignTag = envelope(baseProtected(), unprotected([['x', new Tag('Error', 27)]]));
    expect(parseError(foreignTag).message).toMatch(/tag 27 is not allowed/);

    expect(parseError(good.subarray(1)).message).toMatch(/tag 18 is not allowed|COSE_Sign1_Tagged/);
    expect(parseError(Buffer.concat([good, Buffer.from([0])])).message).toMatch(/trailing bytes/);
    expect(parseError(good.subarray(0, good.byteLength - 1)).message).toMatch(/truncated/);
  });

  it('refuses every malformed header with its reason', () => {
    const replace = (index: number, entry: [unknown, unknown]): Entries => {
      const entries = baseProtected();
      entries[index] = entry;
      return entries;
    };
    const cases: [Entries, RegExp][] = [
      [replace(0, [1, -257]), /algorithm "-257" is not one the Notary Project allows/],
      [replace(2, [3, 50]), /no text content type/],
      [replace(1, [2, []]), /empty critical header list/],
      [replace(1, [2, ['io.cncf.notary.signingScheme', 1]]), /common header label 1 critical/],
      [
        replace(1, [2, ['io.cncf.notary.signingScheme', 'gone']]),
        /marks "gone" critical but does not carry it/,
      ],
      [
        replace(4, ['io.cncf.notary.signingTime', new Tag('2024-01-01T00:00:00Z', 1)]),
        /tag 1 must hold a number/,
      ],
      [replace(4, ['io.cncf.notary.signingTime', SIGNING_TIME]), /not a tag-1 epoch time/],
      [
        replace(4, ['other', new Tag(SIGNING_TIME, 1)]),
        /tag-1 time under "other", which is not a time header/,
      ],
      [replace(4, ['other', 'x']), /no io.cncf.notary.signingTime/],
      [
        [...baseProtected(), ['io.cncf.notary.expiry', new Tag(SIGNING_TIME + 60, 1)]],
        /does not mark io.cncf.notary.expiry critical/,
      ],
    ];
    for (const [entries, message] of cases) expect(parseError(envelope(entries)).message).toMatch(message);
    expect(parseError(envelope(baseProtected(), new Map([[33, signer.certificate]]))).message).toMatch(
      /as an array/,
    );
    expect(parseError(envelope(baseProtected(), new Map<unknown, unknown>([[33, []]]))).message).toMatch(
      /no certificate chain/,
    );
    expect(
      parseError(envelope(baseProtected(), unprotected([['io.cncf.notary.timestampSignature', 'text']])))
        .message,
    ).toMatch(/timestamp signature that is not a byte string/);
  });

  it('bounds envelope bytes, chain length and header count', () => {
    expect(parseError(Buffer.alloc(1024 * 1024 + 1)).code).toBe('TOO_LARGE');
    const long = new Map<unknown, unknown>([[33, Array(11).fill(signer.certificate)]]);
    expect(parseError(envelope(baseProtected(), long)).message).toMatch(/11 certificates; the limit is 10/);
    const many: Entries = Array.from({ length: 60 }, (_, i) => [`h${i}`, i]);
    expect(parseError(envelope([...baseProtected(), ...many])).message).toMatch(
      /65 protected headers; the limit is 64/,
    );
  });
});
