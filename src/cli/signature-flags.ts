/**
 * The flags that say what a signature carries and where signatures live, shared by the commands that
 * sign and those that verify: `-a key=value` and `--signature-repository` (else COSIGN_REPOSITORY).
 */
import { type ImageReference, InvalidReferenceError, parseReference } from '../reference/index.js';
import type { Repository } from '../registry/index.js';
import { CliError } from './errors.js';

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
