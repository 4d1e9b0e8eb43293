import { describeError } from '../../errors.js';
import { formatReference, withDigest } from '../../reference/index.js';
import { RegistryError } from '../../registry/index.js';
import { Deadline } from '../../util/deadline.js';
import { mapConcurrent } from '../../util/semaphore.js';
import { ExitCode } from '../errors.js';
import { createClient, type GlobalOptions, parseImages, timeoutMs } from '../global-options.js';
import { type OutputFormat, printJson, printLines } from '../output.js';

export interface ResolveOptions extends GlobalOptions {
  output: OutputFormat;
}

/** `vouch resolve IMAGE...`: what each tag points at now, as `registry/repository:tag@sha256:…`. */
export async function runResolve(images: string[], options: ResolveOptions): Promise<ExitCode> {
  const refs = parseImages(images);
  const client = await createClient(options);
  const budget = timeoutMs(options);
  try {
    const results = await mapConcurrent(refs, 16, async (ref, index) => {
      try {
        const resolved = await client.resolve(ref, { deadline: Deadline.after(budget) });
        return {
          ok: true as const,
          image: images[index] as string,
          reference: formatReference(withDigest(ref, resolved.digest)),
          digest: resolved.digest,
          mediaType: resolved.mediaType,
        };
      } catch (error) {
        if (!(error instanceof RegistryError)) throw error;
        return { ok: false as const, image: images[index] as string, error: describeError(error) };
      }
    });
    const failures = results.filter((result) => !result.ok);
    if (options.output === 'json') {
      await printJson(
        results.map((result) =>
          result.ok
            ? {
                image: result.image,
                reference: result.reference,
                digest: result.digest,
                mediaType: result.mediaType,
              }
            : { image: result.image, error: result.error },
        ),
      );
    } else {
      await printLines(results.flatMap((result) => (result.ok ? [result.reference] : [])));
    }
    await printLines(
      failures.map((failure) => `vouch: cannot resolve ${failure.image}: ${failure.ok ? '' : failure.error}`),
      process.stderr,
    );
    return failures.length ? ExitCode.NOT_VERIFIED : ExitCode.OK;
  } finally {
    await client.close();
  }
}
