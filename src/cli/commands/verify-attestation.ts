import { resolvePredicateType, SignatureError } from '../../signature/index.js';
// Specific modules rather than verify/index.js, which would load the keyless machinery even for --key.
import { verifyAttestations } from '../../verify/attestations.js';
import { type CompiledCondition, compileCondition } from '../../verify/cel.js';
import { VerifyError } from '../../verify/errors.js';
import { CliError, ExitCode } from '../errors.js';
import { createClient, parseImages, timeoutMs } from '../global-options.js';
import { checkImages, loadAuthority, report, type VerifyOptions } from './verify.js';

export interface VerifyAttestationOptions extends Omit<VerifyOptions, 'annotation' | 'annotations'> {
  type: string;
  condition?: string;
}

/** `vouch verify-attestation`: an attestation of the type, signed by the key, about the digest, meeting the condition. */
export async function runVerifyAttestation(
  images: string[],
  options: VerifyAttestationOptions,
): Promise<ExitCode> {
  const refs = parseImages(images);
  let predicateType: string;
  try {
    predicateType = resolvePredicateType(options.type);
  } catch (error) {
    if (error instanceof SignatureError) throw new CliError('USAGE', error.message);
    throw error;
  }
  let condition: CompiledCondition | undefined;
  if (options.condition !== undefined) {
    try {
      condition = compileCondition(options.condition, ['statement']);
    } catch (error) {
      if (error instanceof VerifyError) throw new CliError('USAGE', error.message);
      throw error;
    }
  }
  const authority = await loadAuthority(options);
  const client = await createClient(options);
  try {
    const results = await checkImages(
      client,
      refs,
      images,
      timeoutMs(options),
      (artefacts) =>
        verifyAttestations(artefacts, authority, { predicateType, ...(condition && { condition }) }),
      authority.source,
    );
    await report(results, options.output, 'attestation', authority);
    return results.every((result) => result.outcome?.passed) ? ExitCode.OK : ExitCode.NOT_VERIFIED;
  } finally {
    await client.close();
  }
}
