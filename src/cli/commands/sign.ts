import {
  attachBundle,
  COSIGN_SIGN_PREDICATE_TYPE,
  signatureStatement,
  signLegacy,
} from '../../signature/index.js';
import type { ExitCode } from '../errors.js';
import { type GlobalOptions, parseImages } from '../global-options.js';
import { loadPrivateKeyFile } from '../keys.js';
import { printLines } from '../output.js';
import { parseAnnotations, parseSignatureRepository } from '../signature-flags.js';
import { forEachImage, signTargets } from '../signing.js';

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
