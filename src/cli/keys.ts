/**
 * Key files and passwords for the commands that sign or verify with keys: a file that cannot be read,
 * is empty or holds no key is a usage error (exit 2); a wrong password is not (exit 1).
 */
import { readFile } from 'node:fs/promises';
import {
  type PrivateKey,
  type PublicKey,
  parsePrivateKey,
  parsePublicKey,
  SignatureError,
} from '../signature/index.js';
import { CliError } from './errors.js';

/**
 * The password for a private key: VOUCH_PASSWORD, else COSIGN_PASSWORD (an empty value counts when
 * set), else a prompt when stdin is a terminal, else a usage error.
 */
export async function readPassword(prompt: string, confirm = false): Promise<string> {
  for (const name of ['VOUCH_PASSWORD', 'COSIGN_PASSWORD']) {
    const value = process.env[name];
    if (value !== undefined) return value;
  }
  if (!process.stdin.isTTY)
    throw new CliError(
      'INPUT',
      'a password is needed: set VOUCH_PASSWORD (or COSIGN_PASSWORD), or run on a terminal to be asked',
    );
  const password = await promptHidden(prompt);
  if (confirm && (await promptHidden('Enter password again: ')) !== password)
    throw new CliError('INPUT', 'the two passwords differ');
  return password;
}

function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === '\r' || character === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (character === '\u0003' || character === '\u0004') {
          finish();
          reject(new CliError('INPUT', 'password prompt interrupted'));
          return;
        }
        if (character === '\u007f' || character === '\b') value = value.slice(0, -1);
        else value += character;
      }
    };
    stdin.on('data', onData);
  });
}

/** A private key file; unreadable, empty or not-a-key files are usage errors (exit 2). */
export async function loadPrivateKeyFile(path: string): Promise<PrivateKey> {
  const text = await readKeyFile(path, 'private key');
  try {
    return await parsePrivateKey(
      text,
      () => readPassword(`Enter password for private key ${path}: `),
      `key file ${path}`,
    );
  } catch (error) {
    // A wrong password is not a usage error: it stays a SignatureError (exit 1).
    if (error instanceof SignatureError && error.code !== 'WRONG_PASSWORD')
      throw new CliError('INPUT', error.message, { cause: error });
    throw error;
  }
}

export async function readKeyFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new CliError(
      'INPUT',
      `cannot read ${what} file ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (text.trim() === '') throw new CliError('INPUT', `${what} file ${path} is empty`);
  return text;
}

/** A public key file; unreadable, empty or not-a-key files are usage errors (exit 2). */
export async function loadPublicKeyFile(path: string, what: string): Promise<PublicKey> {
  const text = await readKeyFile(path, what);
  try {
    return parsePublicKey(text, `${what} file ${path}`);
  } catch (error) {
    if (error instanceof SignatureError) throw new CliError('INPUT', error.message, { cause: error });
    throw error;
  }
}
