import { readFile } from 'node:fs/promises';
import { repositoryName } from '../../reference/index.js';
import {
  buildPredicate,
  buildStatement,
  digestSet,
  resolvePredicateType,
  SignatureError,
} from '../../signature/index.js';
import { formatWriter } from '../../verify/format-modules.js';
import type { SignatureFormatName } from '../../verify/formats.js';
import { CliError, type ExitCode } from '../errors.js';
import { type GlobalOptions, parseImages } from '../global-options.js';
import { loadPrivateKeyFile } from '../keys.js';
import { printLines } from '../output.js';
import { parseSignatureRepository } from '../signature-flags.js';
import { forEachImage, signTargets } from '../signing.js';

export interface AttestOptions extends GlobalOptions {
  key: string;
  predicate: string;
  type: string;
  format: SignatureFormatName;
  signatureRepository?: string;
}

/** `vouch attest`: an in-toto statement about each image's digest, signed, attached as `.att` or a bundle referrer. */
export async function runAttest(images: string[], options: AttestOptions): Promise<ExitCode> {
  const refs = parseImages(images);
  let predicateType: string;
  let predicateFile: Buffer;
  try {
    predicateType = resolvePredicateType(options.type);
  } catch (error) {
    if (error instanceof SignatureError) throw new CliError('USAGE', error.message);
    throw error;
  }
  try {
    predicateFile = await readFile(options.predicate);
  } catch (cause) {
    throw new CliError(
      'INPUT',
      `cannot read predicate file ${options.predicate}: ${(cause as NodeJS.ErrnoException).code}`,
      {
        cause,
      },
    );
  }
  let predicate: unknown;
  try {
    predicate = buildPredicate(predicateType, predicateFile);
  } catch (error) {
    if (error instanceof SignatureError)
      throw new CliError('INPUT', `${options.predicate}: ${error.message}`);
    throw error;
  }
  const signatureRepository = parseSignatureRepository(options.signatureRepository);
  const key = await loadPrivateKeyFile(options.key);
  const { attest } = await formatWriter(options.format);
  if (attest === undefined) throw new CliError('USAGE', `--format ${options.format} carries no attestations`);
  return forEachImage(images, refs, options, 'attest', async (client, ref, deadline) => {
    const [top] = await signTargets(client, ref, false, deadline);
    if (!top) return;
    const statement = buildStatement({
      subject: [{ name: repositoryName(ref), digest: digestSet(top.target.digest) }],
      predicateType,
      predicate,
    });
    const attach = { deadline, ...(signatureRepository && { signatureRepository }) };
    await attest(client, top.target, key, { statement, predicateType }, attach);
    await printLines([top.display]);
  });
}
