/**
 * `vouch verify --policy PATH... [--no-match-policy allow|warn|deny] IMAGE...`: each image checked by
 * the policy engine, with the output lines and exit codes of key verification.
 */
import type { NoMatchPolicy } from '../../policy/model.js';
import { formatReference } from '../../reference/index.js';
import { Deadline } from '../../util/deadline.js';
import { mapConcurrent } from '../../util/semaphore.js';
import type { CacheFlags } from '../cache-options.js';
import { createImageChecker } from '../checker.js';
import { ExitCode } from '../errors.js';
import { type GlobalOptions, parseImages, timeoutMs } from '../global-options.js';
import type { OutputFormat } from '../output.js';
import { loadPolicySet } from '../policy-files.js';
import { reportVerdicts } from '../verdict-report.js';

export interface VerifyPolicyOptions extends GlobalOptions, CacheFlags {
  policy: string[];
  noMatchPolicy?: NoMatchPolicy;
  output: OutputFormat;
}

/** Images checked at once (the registry client also limits requests per registry). */
const IMAGE_CONCURRENCY = 16;

export async function runVerifyPolicy(images: string[], options: VerifyPolicyOptions): Promise<ExitCode> {
  const refs = parseImages(images);
  const loaded = await loadPolicySet(options.policy, options, {
    ...(options.noMatchPolicy !== undefined && { noMatchPolicy: options.noMatchPolicy }),
  });
  if (!loaded.ok) return loaded.exitCode;
  const { checker, close } = await createImageChecker({
    policySet: loaded.policySet,
    global: options,
    cache: {
      ...(options.cache !== undefined && { cache: options.cache }),
      ...(options.cacheHmacKeyFile !== undefined && { cacheHmacKeyFile: options.cacheHmacKeyFile }),
    },
  });
  try {
    const budget = timeoutMs(options);
    const verdicts = await mapConcurrent(images, IMAGE_CONCURRENCY, (image) =>
      checker.check({ image }, { deadline: Deadline.after(budget) }),
    );
    await reportVerdicts(
      verdicts,
      refs.map((ref) => formatReference(ref)),
      options.output,
    );
    return verdicts.every((verdict) => verdict.allowed) ? ExitCode.OK : ExitCode.NOT_VERIFIED;
  } finally {
    await close();
  }
}
