import { constants } from 'node:fs';
import { access, open } from 'node:fs/promises';
import { generateKeyPair } from '../../signature/index.js';
import { CliError, ExitCode } from '../errors.js';
import type { GlobalOptions } from '../global-options.js';
import { readPassword } from '../keys.js';
import { printLines } from '../output.js';

export interface GenerateKeyPairOptions extends GlobalOptions {
  outputKeyPrefix: string;
  force: boolean;
}

/** `vouch generate-key-pair`: `<prefix>.key` (cosign-encrypted, mode 0600) and `<prefix>.pub`. */
export async function runGenerateKeyPair(options: GenerateKeyPairOptions): Promise<ExitCode> {
  const prefix = options.outputKeyPrefix;
  if (prefix === '') throw new CliError('USAGE', '--output-key-prefix must not be empty');
  const privatePath = `${prefix}.key`;
  const publicPath = `${prefix}.pub`;
  if (!options.force)
    for (const path of [privatePath, publicPath])
      if (await exists(path)) throw new CliError('USAGE', `${path} exists; use --force to overwrite it`);
  const password = await readPassword('Enter password for private key: ', true);
  const pair = await generateKeyPair(password);
  // Exclusive creation unless --force: never overwrite a key someone may still need.
  const flags = options.force
    ? constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC
    : constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  await writeNew(privatePath, pair.privateKeyPem, flags, 0o600);
  await writeNew(publicPath, pair.publicKeyPem, flags, 0o644);
  await printLines(
    [`Private key written to ${privatePath}`, `Public key written to ${publicPath}`],
    process.stderr,
  );
  return ExitCode.OK;
}

async function writeNew(path: string, text: string, flags: number, mode: number): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, flags, mode);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new CliError('USAGE', `${path} exists; use --force to overwrite it`, { cause });
    throw new CliError('INPUT', `cannot write ${path}: ${code ?? (cause as Error).message}`, { cause });
  }
  try {
    await handle.writeFile(text);
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
