/**
 * Entries written to a shared store (Redis) are sealed with an HMAC, so that whoever can write to the
 * store cannot forge a "verified" verdict: a forged or altered entry fails the check and is treated as
 * absent. The MAC covers the namespace, the key and an expiry time with the value, so an entry cannot
 * be moved to another key (another image) or be replayed past the time it was written for.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describeError } from '../errors.js';
import { CacheError } from './errors.js';

export const DEFAULT_HMAC_KEY_ENV = 'VOUCH_CACHE_HMAC_KEY';
export const MIN_HMAC_KEY_BYTES = 32;
const FORMAT = 'v1';

/**
 * Reads the HMAC key from a file (trailing newline dropped) or, failing that, from an environment
 * variable. The key must be at least 32 bytes (for instance `openssl rand -base64 48`).
 */
export async function loadHmacKey(
  options: { file?: string; env?: string; environment?: NodeJS.ProcessEnv } = {},
): Promise<Buffer> {
  const envName = options.env ?? DEFAULT_HMAC_KEY_ENV;
  let text: string | undefined;
  let from: string;
  if (options.file !== undefined) {
    from = options.file;
    try {
      text = (await readFile(options.file, 'utf8')).replace(/\r?\n$/, '');
    } catch (error) {
      throw new CacheError(
        'HMAC_KEY',
        `cannot read the cache HMAC key file ${options.file}: ${describeError(error)}`,
      );
    }
  } else {
    from = `$${envName}`;
    text = (options.environment ?? process.env)[envName];
    if (text === undefined || text === '')
      throw new CacheError(
        'HMAC_KEY',
        `a shared (Redis) cache needs an HMAC key: set ${envName} or give a key file (at least ${MIN_HMAC_KEY_BYTES} bytes, e.g. openssl rand -base64 48)`,
      );
  }
  const key = Buffer.from(text, 'utf8');
  if (key.length < MIN_HMAC_KEY_BYTES)
    throw new CacheError(
      'HMAC_KEY',
      `the cache HMAC key from ${from} is ${key.length} bytes; it must be at least ${MIN_HMAC_KEY_BYTES}`,
    );
  return key;
}

function mac(key: Buffer, namespace: string, entryKey: string, expiresAt: number, payload: string): Buffer {
  return createHmac('sha256', key)
    .update(`${FORMAT}\0${namespace}\0${entryKey}\0${expiresAt}\0`)
    .update(payload)
    .digest();
}

/** `v1.<expiresAt ms>.<base64url MAC>.<payload>` */
export function seal(
  key: Buffer,
  namespace: string,
  entryKey: string,
  payload: string,
  expiresAt: number,
): string {
  return `${FORMAT}.${expiresAt}.${mac(key, namespace, entryKey, expiresAt, payload).toString('base64url')}.${payload}`;
}

export type Opened = { ok: true; payload: string } | { ok: false; reason: 'forged' | 'expired' };

/** Checks a sealed entry: forged (bad format or MAC) or expired entries are refused. */
export function open(
  key: Buffer,
  namespace: string,
  entryKey: string,
  sealed: string,
  now = Date.now(),
): Opened {
  const first = sealed.indexOf('.');
  const second = sealed.indexOf('.', first + 1);
  const third = sealed.indexOf('.', second + 1);
  if (first < 0 || second < 0 || third < 0 || sealed.slice(0, first) !== FORMAT)
    return { ok: false, reason: 'forged' };
  const expiresText = sealed.slice(first + 1, second);
  if (!/^[0-9]{1,16}$/.test(expiresText)) return { ok: false, reason: 'forged' };
  const expiresAt = Number(expiresText);
  const given = Buffer.from(sealed.slice(second + 1, third), 'base64url');
  const payload = sealed.slice(third + 1);
  const expected = mac(key, namespace, entryKey, expiresAt, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'forged' };
  if (expiresAt <= now) return { ok: false, reason: 'expired' };
  return { ok: true, payload };
}
