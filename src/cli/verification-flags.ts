/**
 * The verification flags, declared once with cosign's names, and turned into one `SignatureAuthority`
 * (a public key, or a keyless certificate identity under a trusted root). `vouch verify`,
 * `verify-attestation`, `bases` and `update` all take them from here.
 *
 * Only commander is imported at load time: command registration must stay cheap (`vouch --version`);
 * the verification code is imported when `authorityFromFlags` runs.
 */
import { type Command, Option } from 'commander';
import type { PublicKey } from '../signature/index.js';
import type { SignatureAuthority, SignatureSource } from '../verify/authority.js';
import type { KeylessFlags } from '../verify/keyless/policy.js';
import type { TrustedRoot } from '../verify/trust/trusted-root.js';
import { CliError } from './errors.js';
import { collect } from './repeatable.js';

/**
 * `--no-match-policy`, policy-controller's name: commander would read a `--no-` prefix as the negation
 * of `--match-policy`, so it is declared as an ordinary option stored as `noMatchPolicy`. `help` says
 * what the command does by default.
 */
export function noMatchPolicyOption(help: string): Option {
  const option = new Option('--no-match-policy <policy>', help).choices(['allow', 'warn', 'deny']);
  option.negate = false;
  return option;
}

/** The parsed flags, by commander's attribute names (the keyless ones are cosign's, see `KeylessFlags`). */
export interface VerificationFlags extends KeylessFlags {
  key?: string;
  /** `-a/--annotations key=value`. */
  annotations?: string[];
  /** `--annotation`: vouch's phase-1 spelling of `--annotations`, still read. */
  annotation?: string[];
  rekorKey?: string[];
  trustedRoot?: string;
  caRoots?: string;
  caIntermediates?: string;
  certificateChain?: string;
}

/** The flags that only make sense for keyless verification, by option name and flag. */
const KEYLESS_FLAGS: ReadonlyArray<readonly [keyof VerificationFlags, string]> = [
  ['certificateIdentity', '--certificate-identity'],
  ['certificateIdentityRegexp', '--certificate-identity-regexp'],
  ['certificateOidcIssuer', '--certificate-oidc-issuer'],
  ['certificateOidcIssuerRegexp', '--certificate-oidc-issuer-regexp'],
  ['certificateGithubWorkflowTrigger', '--certificate-github-workflow-trigger'],
  ['certificateGithubWorkflowSha', '--certificate-github-workflow-sha'],
  ['certificateGithubWorkflowName', '--certificate-github-workflow-name'],
  ['certificateGithubWorkflowRepository', '--certificate-github-workflow-repository'],
  ['certificateGithubWorkflowRef', '--certificate-github-workflow-ref'],
  ['insecureIgnoreSct', '--insecure-ignore-sct'],
  ['trustedRoot', '--trusted-root'],
  ['caRoots', '--ca-roots'],
  ['caIntermediates', '--ca-intermediates'],
  ['certificateChain', '--certificate-chain'],
];

/**
 * Declares every verification flag on `command`. `annotations: false` leaves out `-a` (attestations
 * are matched by predicate type and condition instead).
 */
export function addVerificationFlags(command: Command, options: { annotations?: boolean } = {}): Command {
  command.option('--key <file>', 'public key (PEM) the signature must verify with');
  if (options.annotations !== false) {
    command.addOption(
      new Option(
        '-a, --annotations <key=value>',
        'annotation the signed payload must carry (repeatable)',
      ).argParser(collect),
    );
    command.addOption(new Option('--annotation <key=value>').argParser(collect).hideHelp());
  }
  command
    .addOption(
      new Option(
        '--rekor-key <file>',
        'Rekor public key (repeatable): with --key, require a Rekor entry signed by it; keyless, trust only it as the transparency log',
      ).argParser(collect),
    )
    .option(
      '--certificate-identity <identity>',
      'keyless: the signer identity (a SAN of the certificate), exactly',
    )
    .option(
      '--certificate-identity-regexp <regexp>',
      'keyless: the signer identity as an RE2 regular expression (unanchored)',
    )
    .option('--certificate-oidc-issuer <url>', 'keyless: the OIDC issuer of the certificate, exactly')
    .option(
      '--certificate-oidc-issuer-regexp <regexp>',
      'keyless: the OIDC issuer as an RE2 regular expression (unanchored)',
    )
    .option('--certificate-github-workflow-trigger <event>', 'keyless: the GitHub workflow trigger, exactly')
    .option('--certificate-github-workflow-sha <sha>', 'keyless: the GitHub workflow commit SHA, exactly')
    .option('--certificate-github-workflow-name <name>', 'keyless: the GitHub workflow name, exactly')
    .option(
      '--certificate-github-workflow-repository <repo>',
      'keyless: the GitHub workflow repository, exactly',
    )
    .option('--certificate-github-workflow-ref <ref>', 'keyless: the GitHub workflow git ref, exactly')
    .option(
      '--insecure-ignore-sct',
      'keyless: do not require an SCT in the certificate (an SCT that is there is still checked)',
    )
    .option(
      '--insecure-ignore-tlog',
      'do not require or check a transparency-log entry (keyless: an expired certificate then fails)',
    )
    .option(
      '--trusted-root <file>',
      'keyless: a Sigstore trusted_root.json, or a policy-controller TrustRoot resource, instead of the embedded public-good root',
    )
    .option('--ca-roots <file>', 'keyless: PEM root certificates of a private PKI (replace the Fulcio CAs)')
    .option(
      '--ca-intermediates <file>',
      'keyless: PEM intermediate certificates of a private PKI (with --ca-roots)',
    )
    .option(
      '--certificate-chain <file>',
      'keyless: PEM chain from the issuing CA to its root, instead of --ca-roots/--ca-intermediates',
    );
  return command;
}

/** Whether any verification flag at all was given (commands that also take `--policy` ask this). */
export function hasVerificationFlags(flags: VerificationFlags): boolean {
  return (
    flags.key !== undefined ||
    (flags.rekorKey?.length ?? 0) > 0 ||
    KEYLESS_FLAGS.some(([name]) => flags[name] !== undefined)
  );
}

export interface FlagAuthority {
  authority: SignatureAuthority;
  /** Checks the flags turned off, worded for a `vouch: warning:` line on stderr. */
  warnings: string[];
}

/**
 * The authority the flags describe: exactly one of `--key` and the keyless flags; for keyless, one
 * of each identity pair (cosign's rule). Every mistake is a CliError (exit 2): a bad combination, a
 * regular expression RE2 rejects, a key, trust root or PEM file that cannot be read or is not what it
 * should be.
 */
export async function authorityFromFlags(
  flags: VerificationFlags,
  options: { source?: SignatureSource } = {},
): Promise<FlagAuthority> {
  const keyless = KEYLESS_FLAGS.filter(([name]) => flags[name] !== undefined).map(([, flag]) => flag);
  const rekorKeys = flags.rekorKey ?? [];
  if (flags.key !== undefined && keyless.length)
    throw new CliError(
      'USAGE',
      `--key cannot be combined with ${keyless.join(', ')}: --key verifies with a public key, the others verify a certificate identity (keyless)`,
    );
  if (flags.key === undefined && keyless.length === 0)
    throw new CliError(
      'USAGE',
      'say what to verify with: --key PUB, or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp] (keyless)',
    );
  if (rekorKeys.length && flags.insecureIgnoreTlog)
    throw new CliError(
      'USAGE',
      '--rekor-key requires a transparency-log entry; --insecure-ignore-tlog skips it',
    );
  const annotations = await parseAnnotationFlags(flags);
  const extra = {
    ...(Object.keys(annotations).length && { annotations }),
    ...(options.source && { source: options.source }),
  };
  const [verify, { loadPublicKeyFile }] = await Promise.all([
    import('../verify/authority.js'),
    import('./keys.js'),
  ]);
  const rekor = await Promise.all(rekorKeys.map((path) => loadPublicKeyFile(path, 'Rekor public key')));

  if (flags.key !== undefined) {
    const key = await loadPublicKeyFile(flags.key, 'public key');
    return {
      authority: verify.keyAuthority({
        name: '--key',
        keys: [key],
        ...(rekor.length && { rekorKeys: rekor.map((key) => verify.rekorKey(key)) }),
        ...extra,
      }),
      warnings: [],
    };
  }

  const [{ keylessPolicyFromFlags, compileKeylessPolicy }, { VerifyError }] = await Promise.all([
    import('../verify/keyless/policy.js'),
    import('../verify/errors.js'),
  ]);
  try {
    const policy = keylessPolicyFromFlags(flags);
    const trustedRoot = await keylessTrustedRoot(flags, rekor);
    const { keylessAuthority } = await import('../verify/keyless-authority.js');
    return {
      authority: keylessAuthority({ name: 'keyless', policy, trustedRoot, ...extra }),
      warnings: [...compileKeylessPolicy(policy).warnings],
    };
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error;
    throw new CliError(error.code === 'POLICY_INVALID' ? 'USAGE' : 'CONFIG', error.message, { cause: error });
  }
}

/** The embedded public-good root, or `--trusted-root`, with a private PKI's CAs and `--rekor-key`s applied. */
async function keylessTrustedRoot(
  flags: VerificationFlags,
  rekorKeys: readonly PublicKey[],
): Promise<TrustedRoot> {
  const trust = await import('../verify/trust/index.js');
  let root =
    flags.trustedRoot !== undefined
      ? await trust.loadTrustedRootOrResourceFile(flags.trustedRoot)
      : trust.publicGoodTrustedRoot();
  if (
    flags.caRoots !== undefined ||
    flags.caIntermediates !== undefined ||
    flags.certificateChain !== undefined
  )
    root = await trust.withPrivatePkiFiles(root, {
      ...(flags.caRoots !== undefined && { roots: flags.caRoots }),
      ...(flags.caIntermediates !== undefined && { intermediates: flags.caIntermediates }),
      ...(flags.certificateChain !== undefined && { chain: flags.certificateChain }),
    });
  if (rekorKeys.length) root = trust.withRekorKeys(root, rekorKeys);
  return root;
}

/** `-a key=value` (and the old `--annotation`) as a map; a value without `=` or with an empty key is a usage error. */
async function parseAnnotationFlags(flags: VerificationFlags): Promise<Record<string, string>> {
  const values = [...(flags.annotation ?? []), ...(flags.annotations ?? [])];
  if (values.length === 0) return {};
  const { parseAnnotations } = await import('./signature-flags.js');
  return parseAnnotations(values);
}
