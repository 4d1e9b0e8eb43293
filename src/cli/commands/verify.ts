import { describeError } from '../../errors.js';
import type { NoMatchPolicy } from '../../policy/model.js';
import { formatReference, type ImageReference, withDigest } from '../../reference/index.js';
import { type RegistryClient, RegistryError, registryFailureKind } from '../../registry/index.js';
import { ImageArtefacts } from '../../signature/index.js';
import { Deadline } from '../../util/deadline.js';
import { mapConcurrent } from '../../util/semaphore.js';
// Specific modules rather than verify/index.js: the CEL engine behind verify-attestation costs
// hundreds of milliseconds to load, which `vouch verify` should not pay.
import type { SignatureAuthority, SignatureSource } from '../../verify/authority.js';
import type { AuthorityOutcome } from '../../verify/outcome.js';
import { verifySignatures } from '../../verify/signatures.js';
import { describeIdentity } from '../../verify/summary.js';
import type { CacheFlags } from '../cache-options.js';
import { CliError, ExitCode } from '../errors.js';
import { createClient, type GlobalOptions, parseImages, timeoutMs } from '../global-options.js';
import { type OutputFormat, printJson, printLines } from '../output.js';
import { parseSignatureRepository } from '../signature-flags.js';
import { authorityFromFlags, hasVerificationFlags, type VerificationFlags } from '../verification-flags.js';

export interface VerifyOptions extends GlobalOptions, VerificationFlags, CacheFlags {
  /** ClusterImagePolicy files: then the policy engine decides, and no verification flag may be given. */
  policy?: string[];
  noMatchPolicy?: NoMatchPolicy;
  signatureRepository?: string;
  output: OutputFormat;
}

/** Images checked at once: the registry client also limits requests per registry. */
const IMAGE_CONCURRENCY = 16;

/** `vouch verify`: each image resolved once, its signatures checked against the key. */
export async function runVerify(images: string[], options: VerifyOptions): Promise<ExitCode> {
  if (options.policy?.length) {
    if (hasVerificationFlags(options)) {
      throw new CliError('USAGE', '--policy replaces --key and the keyless flags: give one or the other');
    }
    const { runVerifyPolicy } = await import('./verify-policy.js');
    return runVerifyPolicy(images, { ...options, policy: options.policy });
  }
  if (!hasVerificationFlags(options)) {
    throw new CliError(
      'USAGE',
      'say what to verify against: --key PUB, --certificate-identity[-regexp] with ' +
        '--certificate-oidc-issuer[-regexp] (keyless), or --policy PATH',
    );
  }
  const refs = parseImages(images);
  const authority = await loadAuthority(options);
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

/**
 * The authority the verification flags describe (see `verification-flags.ts`), with the signature
 * repository; the warnings for checks the flags turned off go to stderr before anything is verified.
 */
export async function loadAuthority(
  options: VerificationFlags & Pick<VerifyOptions, 'signatureRepository'>,
): Promise<SignatureAuthority> {
  const signatureRepository = parseSignatureRepository(options.signatureRepository);
  const { authority, warnings } = await authorityFromFlags(options, {
    ...(signatureRepository && { source: { signatureRepository } }),
  });
  await printLines(
    warnings.map((warning) => `vouch: warning: ${warning}`),
    process.stderr,
  );
  return authority;
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
  authority: SignatureAuthority,
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
          ...(s.identity && { identity: s.identity }),
        })),
        tlog: result.outcome?.tlog ?? null,
        ...(result.outcome?.warnings && { warnings: result.outcome.warnings }),
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
  if (
    authority.type === 'key' &&
    results.some((result) => result.outcome?.passed && result.outcome.tlog?.status !== 'verified')
  )
    await printLines(
      [
        `vouch: no transparency log was checked (the key alone vouches); give --rekor-key to require a Rekor entry`,
      ],
      process.stderr,
    );
}

function successLine(result: ImageResult, noun: string, authority: SignatureAuthority): string {
  const verified = result.outcome?.signatures.filter((s) => s.verified) ?? [];
  const signer =
    authority.type === 'key'
      ? `key ${authority.keys.map((k) => k.fingerprint).join(', ')}`
      : `signed by ${[...new Set(verified.map((s) => describeIdentity(s.identity)))].join('; ')}`;
  return `✔ ${result.reference} verified (${verified.length} ${noun}(s), ${signer})`;
}

function failureLine(result: ImageResult): string {
  return `✘ ${result.image}: ${result.error ?? result.outcome?.reason ?? 'not verified'}`;
}
