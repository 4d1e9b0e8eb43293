import { formatWriter } from '../../verify/format-modules.js';
import type { SignatureFormatName } from '../../verify/formats.js';
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
  format: SignatureFormatName;
  signatureRepository?: string;
}

/** `vouch sign`: resolve each image, sign its digest (and with --recursive every child manifest). */
export async function runSign(images: string[], options: SignOptions): Promise<ExitCode> {
  const refs = parseImages(images);
  const annotations = parseAnnotations([...(options.annotation ?? []), ...(options.annotations ?? [])]);
  const signatureRepository = parseSignatureRepository(options.signatureRepository);
  const key = await loadPrivateKeyFile(options.key);
  const writer = await formatWriter(options.format);
  return forEachImage(images, refs, options, 'sign', async (client, ref, deadline) => {
    const targets = await signTargets(client, ref, options.recursive, deadline);
    const lines: string[] = [];
    for (const { target, display } of targets) {
      const attach = { deadline, ...(signatureRepository && { signatureRepository }) };
      const result = await writer.sign(client, target, key, { annotations }, attach);
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
