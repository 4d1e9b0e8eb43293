import { readFile } from 'node:fs/promises';
import { VerifyError } from '../errors.js';

/** Reads a trust-material file named by the user; FILE_UNREADABLE says which file and why. */
export async function readTrustFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new VerifyError('FILE_UNREADABLE', `cannot read ${what} ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
}
