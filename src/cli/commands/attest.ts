import { readFile } from 'node:fs/promises';
import { repositoryName } from '../../reference/index.js';
import {
  attachBundle,
  attestLegacy,
  buildPredicate,
  buildStatement,
  digestSet,
  resolvePredicateType,
  SignatureError,
} from '../../signature/index.js';
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
  format: 'legacy' | 'bundle';
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
  return forEachImage(images, refs, options, 'attest', async (client, ref, deadline) => {
    const [top] = await signTargets(client, ref, false, deadline);
    if (!top) return;
    const statement = buildStatement({
      subject: [{ name: repositoryName(ref), digest: digestSet(top.target.digest) }],
      predicateType,
      predicate,
    });
    const attach = { deadline, ...(signatureRepository && { signatureRepository }) };
    if (options.format === 'bundle')
      await attachBundle(client, top.target, key, { statement, predicateType }, attach);
    else await attestLegacy(client, top.target, key, { statement, predicateType }, attach);
    await printLines([top.display]);
  });
}
