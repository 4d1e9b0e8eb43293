import { lstat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { VerifyError } from '../errors.js';
import {
  type NotationTrustRules,
  parseTrustPolicyDocument,
  TRUST_POLICY_LIMITS,
  type TrustPolicyDocument,
} from './trust-policy.js';
import {
  readTrustStoreDirectory,
  type TrustStore,
  type TrustStoreReference,
  trustStoreKey,
} from './trust-store.js';

/** The trust stores a set of statements names, by `type:name`. */
export type TrustStores = ReadonlyMap<string, TrustStore>;

/** A Notation configuration directory, read and checked whole. */
export interface NotationConfig {
  readonly directory: string;
  /** The trust policy file read (`trustpolicy.oci.json`, else `trustpolicy.json`). */
  readonly policyFile: string;
  readonly document: TrustPolicyDocument;
  /** Every store the statements name, read from `truststore/x509/<type>/<name>/`. */
  readonly stores: TrustStores;
}

/** The trust policy file names, in the order notation looks for them. */
export const TRUST_POLICY_FILES = ['trustpolicy.oci.json', 'trustpolicy.json'] as const;

async function readPolicyFile(path: string): Promise<Buffer | undefined> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new VerifyError('FILE_UNREADABLE', `${path}: ${(cause as Error).message}`, { cause });
  }
  if (info.isSymbolicLink() || !info.isFile())
    throw new VerifyError(
      'NOTATION_TRUST_POLICY_INVALID',
      `${path}: the trust policy is not a regular file (symlinks are not supported)`,
    );
  if (info.size > TRUST_POLICY_LIMITS.maxBytes)
    throw new VerifyError(
      'NOTATION_TRUST_POLICY_INVALID',
      `${path}: the trust policy is ${info.size} bytes; the limit is ${TRUST_POLICY_LIMITS.maxBytes}`,
    );
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(info.size);
    const { bytesRead } = await handle.read(buffer, 0, info.size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Every distinct store the rules name. */
export function referencedStores(
  rules: readonly Pick<NotationTrustRules, 'trustStores'>[],
): TrustStoreReference[] {
  const seen = new Map<string, TrustStoreReference>();
  for (const rule of rules) for (const store of rule.trustStores) seen.set(trustStoreKey(store), store);
  return [...seen.values()];
}

/**
 * Reads a Notation configuration directory unchanged: the OCI trust policy (`trustpolicy.oci.json`,
 * or `trustpolicy.json` when that is absent, as notation does) and every trust store its statements
 * name. Everything is checked here, so a malformed policy or store is a configuration error before
 * any image is looked at, not a verification failure later.
 */
export async function loadNotationConfig(directory: string): Promise<NotationConfig> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(directory);
  } catch (cause) {
    throw new VerifyError('FILE_UNREADABLE', `Notation configuration directory ${directory} does not exist`, {
      cause,
    });
  }
  if (!info.isDirectory())
    throw new VerifyError('FILE_UNREADABLE', `Notation configuration ${directory} is not a directory`);
  for (const name of TRUST_POLICY_FILES) {
    const policyFile = join(directory, name);
    const bytes = await readPolicyFile(policyFile);
    if (bytes === undefined) continue;
    const document = parseTrustPolicyDocument(bytes, policyFile);
    const stores = new Map<string, TrustStore>();
    for (const reference of referencedStores(document.statements))
      stores.set(trustStoreKey(reference), await readTrustStoreDirectory(directory, reference));
    return { directory, policyFile, document, stores };
  }
  throw new VerifyError(
    'NOTATION_TRUST_POLICY_INVALID',
    `${directory}: no trust policy (${TRUST_POLICY_FILES.join(' or ')}) in the Notation configuration directory`,
  );
}
