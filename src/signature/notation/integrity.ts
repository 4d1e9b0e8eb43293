import {
  constants,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
  X509Certificate,
} from 'node:crypto';
import { flattenedVerify } from 'jose';
import { ALGORITHMS, type AlgorithmSpec, NotationMediaType } from './constants.js';
import { criticalAttributeProblem, type NotationEnvelope } from './envelope.js';

/**
 * The algorithm the specification pairs with a key (its Algorithm Selection table): RSA 2048/3072/4096
 * with RSASSA-PSS SHA-256/384/512, ECDSA P-256/P-384/P-521 with SHA-256/384/512. Anything else is a
 * reason, not an algorithm.
 */
export function algorithmForKey(key: KeyObject): AlgorithmSpec | string {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0;
    return (
      ALGORITHMS.find((spec) => spec.keyType === 'rsa' && spec.keyBits === bits) ??
      `an RSA key of ${bits} bits (the Notary Project allows 2048, 3072 or 4096)`
    );
  }
  if (type === 'ec') {
    const bits = { prime256v1: 256, secp384r1: 384, secp521r1: 521 }[details.namedCurve ?? ''];
    return (
      ALGORITHMS.find((spec) => spec.keyType === 'ec' && spec.keyBits === bits) ??
      `an ECDSA key on curve ${details.namedCurve ?? 'unknown'} (the Notary Project allows P-256, P-384 or P-521)`
    );
  }
  return `a ${type ?? 'unknown'} key (the Notary Project allows RSA and ECDSA)`;
}

function describeKey(spec: AlgorithmSpec): string {
  return spec.keyType === 'rsa' ? `RSA ${spec.keyBits}-bit key` : `ECDSA P-${spec.keyBits} key`;
}

/** ECDSA signatures in JWS and COSE are r‖s, each the size of the curve's field. */
function ecdsaSignatureBytes(spec: AlgorithmSpec): number {
  return 2 * Math.ceil(spec.keyBits / 8);
}

/** A primitive signature over `data` as the Notary Project envelopes carry it (PSS, or ECDSA r‖s). */
export function signPrimitive(spec: AlgorithmSpec, key: KeyObject, data: Uint8Array): Buffer {
  if (spec.keyType === 'rsa')
    return cryptoSign(spec.hash, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  return cryptoSign(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' });
}

function verifyPrimitive(
  spec: AlgorithmSpec,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    if (spec.keyType === 'rsa')
      return cryptoVerify(
        spec.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        signature,
      );
    if (signature.byteLength !== ecdsaSignatureBytes(spec)) return false;
    return cryptoVerify(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** JWS through jose: it re-checks the flattened serialization, `alg` against the key, and `crit`. */
async function verifyJws(envelope: NotationEnvelope, key: KeyObject): Promise<boolean> {
  const input = envelope.signingInput.toString('ascii');
  const dot = input.indexOf('.');
  try {
    await flattenedVerify(
      {
        protected: input.slice(0, dot),
        payload: input.slice(dot + 1),
        signature: envelope.signature.toString('base64url'),
      },
      key,
      {
        algorithms: [envelope.algorithm.name],
        // By now every critical header is one vouch understands (criticalAttributeProblem ran first).
        crit: Object.fromEntries(envelope.criticalHeaders.map((name) => [String(name), true])),
      },
    );
    return true;
  } catch {
    return false;
  }
}

export type IntegrityResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * The integrity check of the specification's verification steps, which every level enforces: the
 * signing certificate's key calls for exactly the algorithm the envelope names (no algorithm
 * substitution), the signature over the signing input verifies with that key, the payload has the one
 * content type the specification defines, and no critical attribute is one vouch cannot process.
 * It says nothing about whether the certificate is trusted; that is authenticity.
 */
export async function verifyEnvelopeIntegrity(envelope: NotationEnvelope): Promise<IntegrityResult> {
  const leafDer = envelope.certificateChain[0];
  let key: KeyObject;
  try {
    key = new X509Certificate(leafDer as Buffer).publicKey;
  } catch {
    return {
      ok: false,
      reason: 'the signing certificate (the first in the chain) is not a valid X.509 certificate',
    };
  }
  const expected = algorithmForKey(key);
  if (typeof expected === 'string') return { ok: false, reason: `the signing certificate holds ${expected}` };
  if (expected.name !== envelope.algorithm.name)
    return {
      ok: false,
      reason: `the envelope names algorithm ${envelope.algorithm.name}, but the signing certificate's ${describeKey(expected)} calls for ${expected.name}`,
    };
  const verified =
    envelope.format === 'jws'
      ? await verifyJws(envelope, key)
      : verifyPrimitive(expected, key, envelope.signingInput, envelope.signature);
  if (!verified)
    return {
      ok: false,
      reason: `the ${envelope.format.toUpperCase()} envelope's signature does not verify with the signing certificate's key (payload or signed headers altered, or signed by another key)`,
    };
  if (envelope.payloadContentType !== NotationMediaType.PAYLOAD)
    return {
      ok: false,
      reason: `the payload content type ${JSON.stringify(envelope.payloadContentType.slice(0, 100))} is not ${NotationMediaType.PAYLOAD}`,
    };
  const critical = criticalAttributeProblem(envelope);
  if (critical !== undefined) return { ok: false, reason: critical };
  return { ok: true };
}
