import { X509Certificate } from 'node:crypto';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { VerifyError } from '../errors.js';
import { trustStoreCertificateProblem } from './pki/index.js';

export type TrustStoreType = 'ca' | 'signingAuthority' | 'tsa';

export const TRUST_STORE_TYPES: readonly TrustStoreType[] = ['ca', 'signingAuthority', 'tsa'];

/** A named store as a trust policy names it: `ca:acme-root`. */
export interface TrustStoreReference {
  readonly type: TrustStoreType;
  readonly name: string;
}

/** The roots of one named store. */
export interface TrustStore extends TrustStoreReference {
  /** DER certificates. */
  readonly certificates: readonly Buffer[];
  /** Where they came from (a directory, or a policy's inline data), for messages. */
  readonly source: string;
}

/** Bounds on what a store directory may hold. */
export const TRUST_STORE_LIMITS = {
  maxFiles: 100,
  maxFileBytes: 1024 * 1024,
  maxCertificates: 1000,
} as const;

const STORE_NAME = /^[a-zA-Z0-9_.-]+$/;

export function trustStoreKey(reference: TrustStoreReference): string {
  return `${reference.type}:${reference.name}`;
}

function storeError(message: string, cause?: unknown): VerifyError {
  return new VerifyError(
    'NOTATION_TRUST_STORE_INVALID',
    message,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Why `type:name` is not a trust store reference, or undefined: the type is `ca`, `signingAuthority`
 * or `tsa`, and the name follows `[a-zA-Z0-9_.-]+` (it is a directory name).
 */
export function trustStoreReferenceProblem(text: string): string | undefined {
  const colon = text.indexOf(':');
  if (colon < 0)
    return `trust store ${JSON.stringify(text)} is not of the form <type>:<name> (ca:…, signingAuthority:… or tsa:…)`;
  const type = text.slice(0, colon);
  const name = text.slice(colon + 1);
  if (!(TRUST_STORE_TYPES as readonly string[]).includes(type))
    return `trust store ${JSON.stringify(text)} has type ${JSON.stringify(type)}; expected ca, signingAuthority or tsa`;
  if (!STORE_NAME.test(name) || name === '.' || name === '..')
    return `trust store ${JSON.stringify(text)} has name ${JSON.stringify(name)}; a name is [a-zA-Z0-9_.-]+`;
  return undefined;
}

/** `ca:acme-root` → {type, name}; assumes `trustStoreReferenceProblem` found nothing. */
export function parseTrustStoreReference(text: string): TrustStoreReference {
  const problem = trustStoreReferenceProblem(text);
  if (problem) throw storeError(problem);
  const colon = text.indexOf(':');
  return { type: text.slice(0, colon) as TrustStoreType, name: text.slice(colon + 1) };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** DER certificates one after the other: each a SEQUENCE, sized by its own length octets. */
function splitDer(bytes: Buffer, source: string): Buffer[] {
  const certificates: Buffer[] = [];
  let offset = 0;
  while (offset < bytes.byteLength) {
    if (bytes[offset] !== 0x30) throw storeError(`${source} is neither PEM nor DER certificates`);
    const first = bytes[offset + 1] ?? 0;
    let length: number;
    let header: number;
    if (first < 0x80) {
      length = first;
      header = 2;
    } else {
      const count = first & 0x7f;
      if (count === 0 || count > 4) throw storeError(`${source} is neither PEM nor DER certificates`);
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + (bytes[offset + 2 + i] ?? 0);
      header = 2 + count;
    }
    const end = offset + header + length;
    if (end > bytes.byteLength) throw storeError(`${source} ends inside a DER certificate`);
    certificates.push(bytes.subarray(offset, end));
    offset = end;
  }
  return certificates;
}

/**
 * The certificates of one trust store file, as notation reads them: PEM (one or more CERTIFICATE
 * blocks; text around them is ignored, as in OpenSSL's output) or DER (one or more certificates).
 * Any other PEM block, or bytes that are not certificates, make the file invalid.
 */
export function readCertificates(bytes: Buffer, source: string): Buffer[] {
  const text = bytes.toString('latin1');
  let ders: Buffer[];
  if (text.includes('-----BEGIN ')) {
    ders = [];
    for (const [, label, body] of text.matchAll(PEM_BLOCK)) {
      if (label !== 'CERTIFICATE')
        throw storeError(`${source} holds a PEM ${label}; a trust store holds certificates only`);
      const compact = (body as string).replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact))
        throw storeError(`${source} has a PEM certificate that is not base64`);
      ders.push(Buffer.from(compact, 'base64'));
    }
    if (ders.length === 0) throw storeError(`${source} has an unterminated PEM block`);
  } else {
    ders = splitDer(bytes, source);
  }
  if (ders.length === 0) throw storeError(`${source} holds no certificate`);
  for (const [index, der] of ders.entries()) {
    try {
      new X509Certificate(der);
    } catch (cause) {
      throw storeError(`${source}: certificate ${index + 1} is not a valid X.509 certificate`, cause);
    }
  }
  return ders;
}

function checkedStore(reference: TrustStoreReference, certificates: Buffer[], source: string): TrustStore {
  if (certificates.length === 0)
    throw storeError(`trust store ${trustStoreKey(reference)} (${source}) holds no certificate`);
  if (certificates.length > TRUST_STORE_LIMITS.maxCertificates)
    throw storeError(
      `trust store ${trustStoreKey(reference)} (${source}) holds ${certificates.length} certificates; the limit is ${TRUST_STORE_LIMITS.maxCertificates}`,
    );
  for (const der of certificates) {
    const problem = trustStoreCertificateProblem(der, reference.type);
    if (problem) throw storeError(`trust store ${trustStoreKey(reference)} (${source}): ${problem}`);
  }
  return { ...reference, certificates, source };
}

/** A store from PEM text given inline (a ClusterImagePolicy's `data`, or a Secret's values). */
export function trustStoreFromPem(reference: TrustStoreReference, pem: string, source: string): TrustStore {
  if (Buffer.byteLength(pem) > TRUST_STORE_LIMITS.maxFileBytes)
    throw storeError(`${source} is larger than ${TRUST_STORE_LIMITS.maxFileBytes} bytes`);
  if (!pem.includes('-----BEGIN ')) throw storeError(`${source} holds no PEM certificate`);
  return checkedStore(reference, readCertificates(Buffer.from(pem, 'latin1'), source), source);
}

async function readBounded(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw storeError(`${path} is ${size} bytes; the limit is ${maxBytes}`);
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Reads the named store `<config>/truststore/x509/<type>/<name>/` as notation does: the directory
 * must exist and not be a symlink; every entry must be a regular file (no symlinks, no
 * sub-directories) holding PEM or DER certificates; at least one certificate in all.
 */
export async function readTrustStoreDirectory(
  configDirectory: string,
  reference: TrustStoreReference,
): Promise<TrustStore> {
  const directory = join(configDirectory, 'truststore', 'x509', reference.type, reference.name);
  const key = trustStoreKey(reference);
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(directory);
  } catch (cause) {
    throw storeError(`trust store ${key} does not exist (${directory})`, cause);
  }
  if (info.isSymbolicLink() || !info.isDirectory())
    throw storeError(`trust store ${key} (${directory}) is not a directory (symlinks are not supported)`);
  const entries = await readdir(directory, { withFileTypes: true });
  if (entries.length > TRUST_STORE_LIMITS.maxFiles)
    throw storeError(
      `trust store ${key} (${directory}) has ${entries.length} entries; the limit is ${TRUST_STORE_LIMITS.maxFiles}`,
    );
  const certificates: Buffer[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(directory, entry.name);
    if (!entry.isFile())
      throw storeError(
        `trust store ${key}: ${path} is not a regular file (directories and symlinks are not supported)`,
      );
    certificates.push(...readCertificates(await readBounded(path, TRUST_STORE_LIMITS.maxFileBytes), path));
  }
  return checkedStore(reference, certificates, directory);
}
