import { describeError } from '../../errors.js';
import type { NoMatchPolicy } from '../../policy/model.js';
import { formatReference, type ImageReference, withDigest } from '../../reference/index.js';
import { type RegistryClient, RegistryError } from '../../registry/index.js';
import { ImageArtefacts, type PublicKey, parsePublicKey, SignatureError } from '../../signature/index.js';
import { Deadline } from '../../util/deadline.js';
import { mapConcurrent } from '../../util/semaphore.js';
// Specific modules rather than verify/index.js: the CEL engine behind verify-attestation costs
// hundreds of milliseconds to load, which `vouch verify` should not pay.
import {
  type KeyAuthority,
  keyAuthority,
  type RekorKey,
  rekorKey,
  type SignatureSource,
} from '../../verify/authority.js';
import { registryFailureKind } from '../../verify/failures.js';
import type { AuthorityOutcome } from '../../verify/outcome.js';
import { verifySignatures } from '../../verify/signatures.js';
import type { CacheFlags } from '../cache-options.js';
import { CliError, ExitCode } from '../errors.js';
import { createClient, type GlobalOptions, parseImages, timeoutMs } from '../global-options.js';
import { type OutputFormat, printJson, printLines } from '../output.js';
import { parseAnnotations, parseSignatureRepository, readKeyFile } from './sign.js';

export interface VerifyOptions extends GlobalOptions, CacheFlags {
  /** Absent when --policy is given instead (commander leaves it undefined). */
  key: string;
  policy?: string[];
  noMatchPolicy?: NoMatchPolicy;
  annotation?: string[];
  rekorKey?: string[];
  signatureRepository?: string;
  output: OutputFormat;
}

/** Images checked at once: the registry client also limits requests per registry. */
const IMAGE_CONCURRENCY = 16;

/** `vouch verify`: each image resolved once, its signatures checked against the key. */
export async function runVerify(images: string[], options: VerifyOptions): Promise<ExitCode> {
  if (options.policy?.length) {
    if (options.key) throw new CliError('USAGE', 'use --key or --policy, not both');
    const { runVerifyPolicy } = await import('./verify-policy.js');
    return runVerifyPolicy(images, { ...options, policy: options.policy });
  }
  if (!options.key) throw new CliError('USAGE', 'say what to verify against: --key PUB or --policy PATH');
  const refs = parseImages(images);
  const authority = await loadAuthority(options, '--key');
  const client = await createClient(options);
  try {
    const results = await checkImages(
      client,
      refs,
      images,
      timeoutMs(options),
      (artefacts) => verifySignatures(artefacts, authority),
      authority.source,
    );
    await report(results, options.output, 'signature', authority);
    return results.every((result) => result.outcome?.passed) ? ExitCode.OK : ExitCode.NOT_VERIFIED;
  } finally {
    await client.close();
  }
}

/** The key authority the flags describe; unreadable, empty or non-key files are usage errors. */
export async function loadAuthority(
  options: Pick<VerifyOptions, 'key' | 'annotation' | 'rekorKey' | 'signatureRepository'>,
  name: string,
): Promise<KeyAuthority> {
  const key = await loadPublicKeyFile(options.key, 'public key');
  const rekorKeys: RekorKey[] = [];
  for (const path of options.rekorKey ?? [])
    rekorKeys.push(rekorKey(await loadPublicKeyFile(path, 'Rekor public key')));
  const annotations = parseAnnotations(options.annotation);
  const signatureRepository = parseSignatureRepository(options.signatureRepository);
  return keyAuthority({
    name,
    keys: [key],
    ...(rekorKeys.length && { rekorKeys }),
    ...(Object.keys(annotations).length && { annotations }),
    ...(signatureRepository && { source: { signatureRepository } }),
  });
}

export async function loadPublicKeyFile(path: string, what: string): Promise<PublicKey> {
  const text = await readKeyFile(path, what);
  try {
    return parsePublicKey(text, `${what} file ${path}`);
  } catch (error) {
    if (error instanceof SignatureError) throw new CliError('INPUT', error.message, { cause: error });
    throw error;
  }
}

export interface ImageResult {
  /** The image as given. */
  image: string;
  /** `registry/repository:tag@sha256:…` once resolved. */
  reference?: string;
  digest?: string;
  outcome?: AuthorityOutcome;
  /** Why the image could not be checked at all (it did not resolve). */
  error?: string;
}

/** Resolves and checks each image (concurrently, one deadline per image), never throwing for one image's failure. */
export async function checkImages(
  client: RegistryClient,
  refs: readonly ImageReference[],
  images: readonly string[],
  budgetMs: number,
  check: (artefacts: ImageArtefacts) => Promise<AuthorityOutcome>,
  source: SignatureSource = {},
): Promise<ImageResult[]> {
  return mapConcurrent(refs, IMAGE_CONCURRENCY, async (ref, index): Promise<ImageResult> => {
    const image = images[index] as string;
    const deadline = Deadline.after(budgetMs);
    let digest: string;
    try {
      digest = (await client.resolve(ref, { deadline })).digest;
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      const kind = registryFailureKind(error);
      return { image, error: `${kind ? 'registry failure: ' : ''}${describeError(error)}` };
    }
    const artefacts = new ImageArtefacts(
      client,
      { registry: ref.registry, repository: ref.repository, digest },
      { ...source, deadline },
    );
    const outcome = await check(artefacts);
    return { image, reference: formatReference(withDigest(ref, digest)), digest, outcome };
  });
}

/**
 * Text: `✔ <repo:tag@sha256:…> verified (<n> signature(s), key <fingerprint>)` or
 * `✘ <image>: <reason>`. JSON (stdout): `[{image, digest, verified, signatures:[{verified, reason,
 * format}], tlog}]`; in JSON mode the ✘ lines go to stderr so the reasons are never lost.
 */
export async function report(
  results: readonly ImageResult[],
  output: OutputFormat,
  noun: 'signature' | 'attestation',
  authority: KeyAuthority,
): Promise<void> {
  const failures = results.filter((result) => !result.outcome?.passed).map(failureLine);
  if (output === 'json') {
    await printJson(
      results.map((result) => ({
        image: result.image,
        digest: result.digest ?? null,
        verified: result.outcome?.passed ?? false,
        signatures: (result.outcome?.signatures ?? []).map((s) => ({
          verified: s.verified,
          reason: s.reason,
          format: s.format,
        })),
        tlog: result.outcome?.tlog ?? null,
      })),
    );
    await printLines(failures, process.stderr);
    return;
  }
  await printLines(
    results.map((result) =>
      result.outcome?.passed ? successLine(result, noun, authority) : failureLine(result),
    ),
  );
  // The key alone vouched: say so, rather than skip the transparency log silently (policy-controller does).
  if (results.some((result) => result.outcome?.passed && result.outcome.tlog?.status !== 'verified'))
    await printLines(
      [
        `vouch: no transparency log was checked (the key alone vouches); give --rekor-key to require a Rekor entry`,
      ],
      process.stderr,
    );
}

function successLine(result: ImageResult, noun: string, authority: KeyAuthority): string {
  const verified = result.outcome?.signatures.filter((s) => s.verified).length ?? 0;
  return `✔ ${result.reference} verified (${verified} ${noun}(s), key ${authority.keys.map((k) => k.fingerprint).join(', ')})`;
}

function failureLine(result: ImageResult): string {
  return `✘ ${result.image}: ${result.error ?? result.outcome?.reason ?? 'not verified'}`;
}
