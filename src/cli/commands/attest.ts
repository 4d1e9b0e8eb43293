import { readFile } from 'node:fs/promises';
import { describeError } from '../../errors.js';
import { repositoryName } from '../../reference/index.js';
import { RegistryError } from '../../registry/index.js';
import {
  attachBundle,
  attestLegacy,
  buildPredicate,
  buildStatement,
  digestSet,
  resolvePredicateType,
  SignatureError,
} from '../../signature/index.js';
import { Deadline } from '../../util/deadline.js';
import { CliError, ExitCode } from '../errors.js';
import { createClient, type GlobalOptions, parseImages, timeoutMs } from '../global-options.js';
import { printLines } from '../output.js';
import { loadPrivateKeyFile, parseSignatureRepository, signTargets } from './sign.js';

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
  const client = await createClient(options);
  const budget = timeoutMs(options);
  let failed = false;
  try {
    for (const [index, ref] of refs.entries()) {
      const deadline = Deadline.after(budget);
      try {
        const [top] = await signTargets(client, ref, false, deadline);
        if (!top) continue;
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
      } catch (error) {
        if (!(error instanceof RegistryError || error instanceof SignatureError)) throw error;
        failed = true;
        await printLines([`vouch: cannot attest ${images[index]}: ${describeError(error)}`], process.stderr);
      }
    }
  } finally {
    await client.close();
  }
  return failed ? ExitCode.NOT_VERIFIED : ExitCode.OK;
}
