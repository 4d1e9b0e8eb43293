import { randomBytes, scrypt } from 'node:crypto';
import nacl from 'tweetnacl';
import { decodeBase64, goJson, isRecord, parseJson } from '../encoding.js';
import { SignatureError } from '../errors.js';

/**
 * cosign's encrypted private-key format (go-securesystemslib `encrypted`): a JSON document holding an
 * scrypt KDF description, a NaCl secretbox nonce and the ciphertext of the PKCS#8 DER key, stored in
 * a PEM block. The key is scrypt(password, salt, N, r, p, 32 bytes).
 */
export const ENCRYPTED_SIGSTORE_PEM_TYPE = 'ENCRYPTED SIGSTORE PRIVATE KEY';
/** The PEM type cosign used before 2.0; still read. */
export const ENCRYPTED_COSIGN_PEM_TYPE = 'ENCRYPTED COSIGN PRIVATE KEY';

/** The scrypt cost parameters cosign accepts (legacy, current, and the stronger OWASP set); r=8, p=1 always. */
export const ACCEPTED_SCRYPT_N: readonly number[] = [32768, 65536, 131072];
/** What vouch writes: the same as current cosign. */
export const DEFAULT_SCRYPT_N = 65536;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 32;
// N=131072, r=8 needs 128 MiB; Node's default cap (32 MiB) refuses even N=32768.
const SCRYPT_MAXMEM = 256 * 1024 * 1024;

function deriveKey(password: string, salt: Uint8Array, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(password, 'utf8'),
      salt,
      KEY_BYTES,
      { N: n, r: SCRYPT_R, p: SCRYPT_P, maxmem: SCRYPT_MAXMEM },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

/** Encrypts PKCS#8 DER bytes; returns the JSON document (the PEM body). */
export async function encryptPrivateKey(
  pkcs8: Uint8Array,
  password: string,
  options: { n?: number } = {},
): Promise<Buffer> {
  const n = options.n ?? DEFAULT_SCRYPT_N;
  if (!ACCEPTED_SCRYPT_N.includes(n))
    throw new SignatureError('UNSUPPORTED_KDF', `scrypt N=${n} is not accepted`);
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(nacl.secretbox.nonceLength);
  const key = await deriveKey(password, salt, n);
  const ciphertext = nacl.secretbox(pkcs8, nonce, key);
  return Buffer.from(
    goJson({
      kdf: { name: 'scrypt', params: { N: n, r: SCRYPT_R, p: SCRYPT_P }, salt: salt.toString('base64') },
      cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
      ciphertext: Buffer.from(ciphertext).toString('base64'),
    }),
  );
}

interface EncryptedKey {
  n: number;
  salt: Buffer;
  nonce: Buffer;
  ciphertext: Buffer;
}

function parseEncrypted(document: Uint8Array, what: string): EncryptedKey {
  const json = parseJson(document, what, 'INVALID_PAYLOAD');
  const bad = (detail: string) =>
    new SignatureError('INVALID_KEY', `${what} is not a cosign encrypted key: ${detail}`);
  if (!isRecord(json)) throw bad('not a JSON object');
  const { kdf, cipher, ciphertext } = json;
  if (!isRecord(kdf) || kdf.name !== 'scrypt') throw bad('the KDF is not scrypt');
  const params = kdf.params;
  if (!isRecord(params)) throw bad('the scrypt parameters are missing');
  const { N, r, p } = params;
  if (typeof N !== 'number' || !ACCEPTED_SCRYPT_N.includes(N) || r !== SCRYPT_R || p !== SCRYPT_P) {
    throw new SignatureError(
      'UNSUPPORTED_KDF',
      `${what} uses scrypt parameters N=${String(N)}, r=${String(r)}, p=${String(p)}; cosign accepts only ` +
        `N=${ACCEPTED_SCRYPT_N.join('/')} with r=8, p=1`,
    );
  }
  if (typeof kdf.salt !== 'string' || kdf.salt === '') throw bad('the salt is missing');
  if (!isRecord(cipher) || cipher.name !== 'nacl/secretbox') throw bad('the cipher is not nacl/secretbox');
  if (typeof cipher.nonce !== 'string') throw bad('the nonce is missing');
  if (typeof ciphertext !== 'string') throw bad('the ciphertext is missing');
  const nonce = decodeBase64(cipher.nonce, `${what}: nonce`);
  if (nonce.length !== nacl.secretbox.nonceLength) throw bad(`the nonce has ${nonce.length} bytes, not 24`);
  const sealed = decodeBase64(ciphertext, `${what}: ciphertext`);
  if (sealed.length <= nacl.secretbox.overheadLength) throw bad('the ciphertext is too short');
  return { n: N, salt: decodeBase64(kdf.salt, `${what}: salt`), nonce, ciphertext: sealed };
}

/** Decrypts the JSON document of an encrypted key; WRONG_PASSWORD when the secretbox does not open. */
export async function decryptPrivateKey(
  document: Uint8Array,
  password: string,
  what = 'private key',
): Promise<Buffer> {
  const parsed = parseEncrypted(document, what);
  const key = await deriveKey(password, parsed.salt, parsed.n);
  const opened = nacl.secretbox.open(parsed.ciphertext, parsed.nonce, key);
  if (opened === null)
    throw new SignatureError('WRONG_PASSWORD', `cannot decrypt ${what}: the password is wrong`);
  return Buffer.from(opened);
}
