import { readFile } from 'node:fs/promises';
import { describeError } from '../../errors.js';
import {
  formatReference,
  type ImageReference,
  InvalidReferenceError,
  parseReference,
  repositoryName,
  withDigest,
} from '../../reference/index.js';
import {
  type Descriptor,
  isIndex,
  isIndexMediaType,
  type RegistryClient,
  RegistryError,
  type Repository,
} from '../../registry/index.js';
import {
  attachBundle,
  COSIGN_SIGN_PREDICATE_TYPE,
  type PrivateKey,
  parsePrivateKey,
  SignatureError,
  type SignTarget,
  signatureStatement,
  signLegacy,
} from '../../signature/index.js';
import { Deadline } from '../../util/deadline.js';
import { CliError, ExitCode } from '../errors.js';
import { createClient, type GlobalOptions, parseImages, timeoutMs } from '../global-options.js';
import { printLines } from '../output.js';

export interface SignOptions extends GlobalOptions {
  key: string;
  annotations?: string[];
  /** `--annotation`, the phase-1 spelling of `--annotations`. */
  annotation?: string[];
  recursive: boolean;
  format: 'legacy' | 'bundle';
  signatureRepository?: string;
}

/** `vouch sign`: resolve each image, sign its digest (and with --recursive every child manifest). */
export async function runSign(images: string[], options: SignOptions): Promise<ExitCode> {
  const refs = parseImages(images);
  const annotations = parseAnnotations([...(options.annotation ?? []), ...(options.annotations ?? [])]);
  const signatureRepository = parseSignatureRepository(options.signatureRepository);
  const key = await loadPrivateKeyFile(options.key);
  return forEachImage(images, refs, options, 'sign', async (client, ref, deadline) => {
    const targets = await signTargets(client, ref, options.recursive, deadline);
    const lines: string[] = [];
    for (const { target, display } of targets) {
      const attach = { deadline, ...(signatureRepository && { signatureRepository }) };
      const result =
        options.format === 'bundle'
          ? await attachBundle(
              client,
              target,
              key,
              {
                statement: signatureStatement(target.digest, annotations),
                predicateType: COSIGN_SIGN_PREDICATE_TYPE,
              },
              attach,
            )
          : await signLegacy(client, target, key, { annotations }, attach);
      lines.push(display);
      if (!result.written)
        await printLines(
          [`vouch: ${display} already carries this signature; nothing written`],
          process.stderr,
        );
    }
    await printLines(lines);
  });
}

/**
 * Runs `work` for each image, one after another (signing and attesting rewrite shared `.sig`/`.att`
 * manifests and referrer indexes), each with its own deadline. A registry or signature failure is
 * reported for that image and makes the exit code 1; the other images still go on.
 */
export async function forEachImage(
  images: readonly string[],
  refs: readonly ImageReference[],
  options: GlobalOptions,
  verb: string,
  work: (client: RegistryClient, ref: ImageReference, deadline: Deadline) => Promise<void>,
): Promise<ExitCode> {
  const client = await createClient(options);
  const budget = timeoutMs(options);
  let failed = false;
  try {
    for (const [index, ref] of refs.entries()) {
      try {
        await work(client, ref, Deadline.after(budget));
      } catch (error) {
        if (!(error instanceof RegistryError || error instanceof SignatureError)) throw error;
        failed = true;
        await printLines([`vouch: cannot ${verb} ${images[index]}: ${describeError(error)}`], process.stderr);
      }
    }
  } finally {
    await client.close();
  }
  return failed ? ExitCode.NOT_VERIFIED : ExitCode.OK;
}

/** The digest the reference points at, and with `recursive` every manifest below an index. */
export async function signTargets(
  client: RegistryClient,
  ref: ImageReference,
  recursive: boolean,
  deadline: Deadline,
): Promise<Array<{ target: SignTarget; display: string }>> {
  const resolved = await client.resolve(ref, { deadline });
  const repo = { registry: ref.registry, repository: ref.repository };
  let size = resolved.size;
  let children: Descriptor[] = [];
  if (size === 0 || (recursive && isIndexMediaType(resolved.mediaType))) {
    const fetched = await client.getManifest({ ...repo, digest: resolved.digest }, { deadline });
    size = fetched.size;
    if (recursive && isIndex(fetched.manifest)) children = fetched.manifest.manifests;
  }
  const top = {
    target: { ...repo, digest: resolved.digest, mediaType: resolved.mediaType, size },
    display: formatReference(withDigest(ref, resolved.digest)),
  };
  const below: Array<{ target: SignTarget; display: string }> = [];
  for (const child of children) {
    const childRef: ImageReference = { ...repo, digest: child.digest };
    below.push(...(await signTargets(client, childRef, true, deadline)));
  }
  return [
    top,
    ...below.map((entry) => ({ ...entry, display: `${repositoryName(repo)}@${entry.target.digest}` })),
  ];
}

/** `-a key=value` flags as a map; a flag without `=` or with an empty key is a usage error. */
export function parseAnnotations(values: readonly string[] | undefined): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const value of values ?? []) {
    const equals = value.indexOf('=');
    if (equals <= 0) throw new CliError('USAGE', `annotation ${JSON.stringify(value)} must be key=value`);
    annotations[value.slice(0, equals)] = value.slice(equals + 1);
  }
  return annotations;
}

/** `--signature-repository`, else COSIGN_REPOSITORY: a repository name, without tag or digest. */
export function parseSignatureRepository(flag: string | undefined): Repository | undefined {
  const value = flag ?? process.env.COSIGN_REPOSITORY;
  if (value === undefined || value === '') return undefined;
  const what = flag !== undefined ? '--signature-repository' : 'COSIGN_REPOSITORY';
  let ref: ImageReference;
  try {
    ref = parseReference(value);
  } catch (error) {
    if (error instanceof InvalidReferenceError) throw new CliError('USAGE', `${what}: ${error.message}`);
    throw error;
  }
  if (ref.digest !== undefined || (ref.tag !== undefined && value.endsWith(`:${ref.tag}`)))
    throw new CliError('USAGE', `${what} must name a repository, without tag or digest: ${value}`);
  return { registry: ref.registry, repository: ref.repository };
}

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
