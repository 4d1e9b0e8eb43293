import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { VerifyError } from '../../verify/errors.js';
import { type BundleArtifact, type BundleSigner, verifyBundle } from '../../verify/keyless/bundle.js';
import { publicGoodTrustedRoot, stagingTrustedRoot } from '../../verify/trust/embedded.js';
import { parsePublicKeyPem } from '../../verify/trust/pem.js';
import { loadTrustedRootFile, type TrustedRoot } from '../../verify/trust/trusted-root.js';
import { CliError, ExitCode } from '../errors.js';
import type { GlobalOptions } from '../global-options.js';
import { printLines } from '../output.js';

export interface VerifyBundleOptions extends GlobalOptions {
  staging?: boolean;
  bundle: string;
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
  key?: string;
  trustedRoot?: string;
}

const DIGEST = /^sha256:[0-9a-fA-F]{64}$/;

/**
 * `vouch verify-bundle`: the sigstore-conformance `verify-bundle` command. Exit 0 when verified, 1 when
 * not (reason on stderr), 2 for bad usage or unreadable inputs. Reads local files only.
 */
export async function runVerifyBundle(fileOrDigest: string, options: VerifyBundleOptions): Promise<ExitCode> {
  const signer = await signerFrom(options);
  const trustedRoot = await trustedRootFrom(options);
  const bundleText = await readInput(options.bundle, '--bundle');
  const artifact: BundleArtifact =
    DIGEST.test(fileOrDigest) && !existsSync(fileOrDigest)
      ? { digest: fileOrDigest }
      : { bytes: await readInput(fileOrDigest, 'artifact') };
  const result = verifyBundle(bundleText, artifact, signer, { trustedRoot });
  if (!result.verified) {
    await printLines(
      [`vouch: not verified: ${result.reason} [${result.failure ?? 'FAILED'}]`],
      process.stderr,
    );
    return ExitCode.NOT_VERIFIED;
  }
  await printLines(
    result.warnings.map((warning) => `vouch: warning: ${warning}`),
    process.stderr,
  );
  await printLines([`verified ${fileOrDigest}: ${result.reason}`]);
  return ExitCode.OK;
}

async function signerFrom(options: VerifyBundleOptions): Promise<BundleSigner> {
  const identity = options.certificateIdentity;
  const issuer = options.certificateOidcIssuer;
  if (options.key !== undefined) {
    if (identity !== undefined || issuer !== undefined)
      throw new CliError(
        'USAGE',
        'give either --key or --certificate-identity with --certificate-oidc-issuer, not both',
      );
    const pemText = (await readInput(options.key, '--key')).toString('utf8');
    try {
      return { key: parsePublicKeyPem(pemText, `--key ${options.key}`).key };
    } catch (error) {
      throw new CliError('CONFIG', (error as Error).message, { cause: error });
    }
  }
  if (identity === undefined || issuer === undefined)
    throw new CliError(
      'USAGE',
      'give --certificate-identity and --certificate-oidc-issuer (keyless), or --key (a public-key bundle)',
    );
  return { keyless: { identities: [{ subject: identity, issuer }] } };
}

async function trustedRootFrom(options: VerifyBundleOptions): Promise<TrustedRoot> {
  try {
    if (options.trustedRoot !== undefined) return await loadTrustedRootFile(options.trustedRoot);
    return options.staging ? stagingTrustedRoot() : publicGoodTrustedRoot();
  } catch (error) {
    if (error instanceof VerifyError) throw new CliError('CONFIG', error.message, { cause: error });
    throw error;
  }
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new CliError('INPUT', `cannot read ${what} ${path}: ${(cause as Error).message}`, { cause });
  }
}
