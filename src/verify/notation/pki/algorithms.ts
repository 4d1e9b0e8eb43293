import { constants, type KeyObject, verify } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/** The hashes the Notary Project allows (SHA-1 and MD5 never verify anything here). */
export type HashName = 'sha256' | 'sha384' | 'sha512';

export const HASH_BY_OID: Readonly<Record<string, HashName>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** How a signature value is checked: the padding or curve family and the hash. */
export interface SignatureScheme {
  kind: 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa';
  hash: HashName;
}

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const RSASSA_PSS = '1.2.840.113549.1.1.10';

const SCHEME_BY_OID: Readonly<Record<string, SignatureScheme>> = {
  '1.2.840.113549.1.1.11': { kind: 'rsa-pkcs1', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { kind: 'rsa-pkcs1', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { kind: 'rsa-pkcs1', hash: 'sha512' },
  '1.2.840.10045.4.3.2': { kind: 'ecdsa', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { kind: 'ecdsa', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { kind: 'ecdsa', hash: 'sha512' },
};

/** Algorithms named in messages when they are refused. */
const REFUSED_BY_OID: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.5': 'SHA-1 with RSA',
  '1.2.840.10045.4.1': 'ECDSA with SHA-1',
  '1.3.14.3.2.29': 'SHA-1 with RSA',
  '1.2.840.113549.1.1.4': 'MD5 with RSA',
  '1.2.840.113549.1.1.2': 'MD2 with RSA',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

/**
 * The scheme an AlgorithmIdentifier names, or why it is refused. `digestAlgorithm` is the CMS
 * SignerInfo's: there, `rsaEncryption` and RSASSA-PSS take their hash from it (RFC 5652, RFC 4056).
 */
export function signatureScheme(
  algorithm: pkijs.AlgorithmIdentifier,
  digestAlgorithm?: pkijs.AlgorithmIdentifier,
): SignatureScheme | string {
  const oid = algorithm.algorithmId;
  const known = SCHEME_BY_OID[oid];
  if (known) return known;
  if (oid === RSASSA_PSS) {
    const hash = pssHash(algorithm) ?? (digestAlgorithm && HASH_BY_OID[digestAlgorithm.algorithmId]);
    return hash ? { kind: 'rsa-pss', hash } : 'RSASSA-PSS with a hash other than SHA-256/384/512';
  }
  if (oid === RSA_ENCRYPTION && digestAlgorithm) {
    const hash = HASH_BY_OID[digestAlgorithm.algorithmId];
    return hash ? { kind: 'rsa-pkcs1', hash } : `RSA with digest algorithm ${digestAlgorithm.algorithmId}`;
  }
  return REFUSED_BY_OID[oid] ?? `signature algorithm ${oid}`;
}

/** The hash in RSASSA-PSS parameters; undefined when absent (the default, SHA-1, is refused by the caller). */
function pssHash(algorithm: pkijs.AlgorithmIdentifier): HashName | undefined {
  if (!(algorithm.algorithmParams instanceof asn1js.Sequence)) return undefined;
  try {
    const params = new pkijs.RSASSAPSSParams({ schema: algorithm.algorithmParams });
    return HASH_BY_OID[params.hashAlgorithm.algorithmId];
  } catch {
    return undefined;
  }
}

/** Checks a signature with node:crypto; a key of the wrong family for the scheme never verifies. */
export function verifySignature(
  scheme: SignatureScheme,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const type = key.asymmetricKeyType;
  try {
    if (scheme.kind === 'ecdsa')
      return type === 'ec' && verify(scheme.hash, data, { key, dsaEncoding: 'der' }, signature);
    if (type !== 'rsa' && type !== 'rsa-pss') return false;
    if (scheme.kind === 'rsa-pss')
      return verify(
        scheme.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
        signature,
      );
    return verify(scheme.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
}
