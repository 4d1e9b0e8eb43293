import { createHash, generateKeyPairSync } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import { describe, expect, it } from 'vitest';
import {
  type DsseEnvelope,
  type PrivateKey,
  parsePrivateKey,
  preAuthEncoding,
  type RekorBundle,
  signBytes,
} from '../../signature/index.js';
import { rekorKey } from '../authority.js';
import { verifyRekorBundle } from './rekor-set.js';

const canonicalize = canonicalizeModule as unknown as (input: unknown) => string;

async function key(): Promise<PrivateKey> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return parsePrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, async () => '');
}

const b64 = (value: Uint8Array | string) => Buffer.from(value).toString('base64');
const sha256 = (value: Uint8Array) => createHash('sha256').update(value).digest('hex');

/** A transparency log of our own: it signs entries the way Rekor does (SET over canonical JSON). */
function logEntry(log: PrivateKey, body: unknown, logIndex = 7): RekorBundle {
  const payload = {
    body: b64(JSON.stringify(body)),
    integratedTime: 1_700_000_000,
    logIndex,
    logID: rekorKey(log.publicKey).logId,
  };
  return { signedEntryTimestamp: signBytes(log, Buffer.from(canonicalize(payload))), payload };
}

describe('Rekor bundle verification (SET and body)', async () => {
  const log = await key();
  const signer = await key();
  const payload = Buffer.from('{"critical":{}}');
  const signature = signBytes(signer, payload);
  const hashedrekord = (overrides: { sig?: Buffer; key?: string; hash?: string } = {}) => ({
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: overrides.hash ?? sha256(payload) } },
      signature: {
        content: b64(overrides.sig ?? signature),
        publicKey: { content: b64(overrides.key ?? signer.publicKey.pem) },
      },
    },
  });
  const check = (bundle: RekorBundle, rekorKeys = [rekorKey(log.publicKey)]) =>
    verifyRekorBundle({
      bundle,
      rekorKeys,
      signature,
      signer: { publicKey: signer.publicKey },
      signed: { kind: 'payload', bytes: payload },
    });

  it('accepts an entry that records this signature, key and payload', () => {
    expect(check(logEntry(log, hashedrekord()))).toMatchObject({ ok: true, logIndex: 7 });
  });

  it('names each mismatch', async () => {
    const other = await key();
    expect(check(logEntry(log, hashedrekord()), [rekorKey(other.publicKey)])).toMatchObject({
      reason: expect.stringMatching(/not a trusted Rekor key/),
    });
    const tampered = logEntry(log, hashedrekord());
    tampered.payload.logIndex += 1;
    expect(check(tampered)).toMatchObject({
      reason: expect.stringMatching(/signed entry timestamp does not verify/),
    });
    expect(check(logEntry(log, hashedrekord({ sig: signBytes(signer, Buffer.from('x')) })))).toMatchObject({
      reason: 'the Rekor entry records a different signature',
    });
    expect(check(logEntry(log, hashedrekord({ key: other.publicKey.pem })))).toMatchObject({
      reason: 'the Rekor entry records a different signing key',
    });
    expect(check(logEntry(log, hashedrekord({ hash: sha256(Buffer.from('other')) })))).toMatchObject({
      reason: 'the Rekor entry records another payload hash',
    });
    expect(check(logEntry(log, { apiVersion: '0.0.1', kind: 'rekord', spec: {} }))).toMatchObject({
      reason: expect.stringMatching(/kind rekord 0.0.1, which vouch does not check/),
    });
  });

  it('checks intoto 0.0.2 and dsse 0.0.1 entries against a DSSE envelope', () => {
    const statement = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
    const sig = signBytes(signer, preAuthEncoding('application/vnd.in-toto+json', statement));
    const envelope: DsseEnvelope = {
      payloadType: 'application/vnd.in-toto+json',
      payload: statement,
      signatures: [{ keyid: '', sig }],
    };
    const intoto = {
      apiVersion: '0.0.2',
      kind: 'intoto',
      spec: {
        content: {
          envelope: {
            payloadType: envelope.payloadType,
            signatures: [{ sig: b64(b64(sig)), publicKey: b64(signer.publicKey.pem) }],
          },
          payloadHash: { algorithm: 'sha256', value: sha256(statement) },
        },
      },
    };
    const dsse = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        payloadHash: { algorithm: 'sha256', value: sha256(statement) },
        signatures: [{ signature: b64(sig), verifier: b64(signer.publicKey.pem) }],
      },
    };
    for (const body of [intoto, dsse]) {
      const result = verifyRekorBundle({
        bundle: logEntry(log, body),
        rekorKeys: [rekorKey(log.publicKey)],
        signature: sig,
        signer: { publicKey: signer.publicKey },
        signed: { kind: 'dsse', envelope },
      });
      expect(result, body.kind).toMatchObject({ ok: true });
    }
    const asPayload = verifyRekorBundle({
      bundle: logEntry(log, intoto),
      rekorKeys: [rekorKey(log.publicKey)],
      signature: sig,
      signer: { publicKey: signer.publicKey },
      signed: { kind: 'payload', bytes: statement },
    });
    expect(asPayload).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/cannot vouch for a simple-signing/),
    });
  });
});
