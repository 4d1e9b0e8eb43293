import { readFile } from 'node:fs/promises';
import { type ImageReference, InvalidReferenceError, parseReference } from '../reference/index.js';
import {
  type CredentialStore,
  DockerConfigCredentials,
  RegistryClient,
  type RegistryClientOptions,
  RegistryError,
} from '../registry/index.js';
import { CliError } from './errors.js';

/** Flags every command shares (declared once on the program, readable from any subcommand). */
export interface GlobalOptions {
  registryConfig?: string;
  allowHttpRegistry?: string[];
  caFile?: string;
  timeout?: string;
}

/** The range of `--timeout`, in seconds: shorter is no deadline a registry can meet, longer no deadline at all. */
const TIMEOUT_RANGE = { min: 0.1, max: 3600 } as const;

/** `--timeout` in milliseconds: one deadline for all the registry work done for one image. */
export function timeoutMs(options: GlobalOptions): number {
  const raw = options.timeout ?? '30';
  const seconds = Number(raw.replace(/s$/, ''));
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new CliError('USAGE', `--timeout must be a positive number of seconds, got ${JSON.stringify(raw)}`);
  if (seconds < TIMEOUT_RANGE.min || seconds > TIMEOUT_RANGE.max)
    throw new CliError(
      'USAGE',
      `--timeout must be from ${TIMEOUT_RANGE.min} to ${TIMEOUT_RANGE.max} seconds, got ${JSON.stringify(raw)}`,
    );
  return Math.round(seconds * 1000);
}

export async function loadCredentials(options: GlobalOptions): Promise<CredentialStore> {
  try {
    return await DockerConfigCredentials.load(options.registryConfig);
  } catch (error) {
    if (error instanceof RegistryError) throw new CliError('CONFIG', error.message, { cause: error });
    throw error;
  }
}

/** The registry client a command uses, configured from the global flags. */
export async function createClient(
  options: GlobalOptions,
  extra: RegistryClientOptions = {},
): Promise<RegistryClient> {
  let caCertificates: string | undefined;
  if (options.caFile) {
    try {
      caCertificates = await readFile(options.caFile, 'utf8');
    } catch (cause) {
      throw new CliError('CONFIG', `cannot read --ca-file ${options.caFile}: ${(cause as Error).message}`, {
        cause,
      });
    }
    if (!caCertificates.includes('-----BEGIN CERTIFICATE-----'))
      throw new CliError('CONFIG', `--ca-file ${options.caFile} holds no PEM certificate`);
  }
  return new RegistryClient({
    // Callers that pass credentials have read the docker config already (and chained it behind theirs).
    credentials: extra.credentials ?? (await loadCredentials(options)),
    insecureRegistries: options.allowHttpRegistry ?? [],
    ...(caCertificates !== undefined && { caCertificates }),
    defaultTimeoutMs: timeoutMs(options),
    userAgent: 'vouch',
    ...extra,
  });
}

/** Parses every image argument up front, so that one bad reference fails the command before any network work. */
export function parseImages(images: readonly string[]): ImageReference[] {
  return images.map((image) => {
    try {
      return parseReference(image);
    } catch (error) {
      if (error instanceof InvalidReferenceError)
        throw new CliError('INPUT', error.message, { cause: error });
      throw error;
    }
  });
}
