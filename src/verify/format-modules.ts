/**
 * Where each declared format's code is (`formats.ts`), loaded when an authority first reads the format
 * or a command first writes it: a run loads only the formats it uses. A new format adds its line; the
 * compiler asks for it.
 */
import type { FormatWriter } from '../signature/index.js';
import { VerifyError } from './errors.js';
import { SIGNATURE_FORMAT_NAMES, SIGNATURE_FORMATS, type SignatureFormatName } from './formats.js';
import type { FormatReader } from './reader.js';

export interface FormatModules {
  reader(): Promise<FormatReader>;
  /** Absent when vouch does not write the format (`vouch sign --format` offers the others). */
  writer?(): Promise<FormatWriter>;
}

export const FORMAT_MODULES: { readonly [F in SignatureFormatName]: FormatModules } = {
  legacy: {
    reader: async () => (await import('./legacy/index.js')).reader as FormatReader,
    writer: async () => (await import('../signature/legacy/write.js')).legacyWriter,
  },
  bundle: {
    reader: async () => (await import('./bundle/index.js')).reader as FormatReader,
    writer: async () => (await import('../signature/bundle/write.js')).bundleWriter,
  },
};

/** The formats vouch can write, in declaration order: the choices of `vouch sign --format`. */
export const WRITABLE_FORMATS = SIGNATURE_FORMAT_NAMES.filter((name) => FORMAT_MODULES[name].writer);

/** The formats `vouch attest --format` can write: those that carry attestations. */
export const ATTESTABLE_FORMATS = WRITABLE_FORMATS.filter((name) => SIGNATURE_FORMATS[name].attestations);

/** The writer of a format `vouch sign` / `vouch attest` was allowed to choose. */
export async function formatWriter(format: SignatureFormatName): Promise<FormatWriter> {
  const load = FORMAT_MODULES[format].writer;
  if (load === undefined)
    throw new VerifyError('POLICY_INVALID', `vouch does not write ${format} signatures`);
  return load();
}
