/**
 * `vouch bases PATH...`: the build gate at the command line. The files are read first (syntax errors
 * stop everything with exit 2), then what to verify against is built — ClusterImagePolicies
 * (`--policy`) or one authority from `--key` / the keyless flags — as the policy engine every gate
 * uses, with the build's own no-match default (`warn`).
 */
import {
  BUILD_NO_MATCH_POLICY,
  BuildError,
  type BuildGateResult,
  type BuildInputs,
  formatDiagnostic,
  formatMessages,
  formatTable,
  loadBuildInputs,
  runBuildGate,
  toJson,
} from '../../gates/build/index.js';
import type { PolicyEngine } from '../../policy/engine/index.js';
import type { NoMatchPolicy, PolicySet } from '../../policy/model.js';
import { createImageChecker, policySetFromAuthority } from '../checker.js';
import { CliError, ExitCode } from '../errors.js';
import { type GlobalOptions, timeoutMs } from '../global-options.js';
import { type OutputFormat, printJson, printLines } from '../output.js';
import { hasVerificationFlags, type VerificationFlags } from '../verification-flags.js';

export interface BasesOptions extends GlobalOptions, VerificationFlags {
  policy?: string[];
  noMatchPolicy?: NoMatchPolicy;
  strict: boolean;
  pin: boolean;
  buildArg?: string[];
  output: OutputFormat;
}

/** `vouch bases PATH...`: the build gate. */
export async function runBases(paths: string[], options: BasesOptions): Promise<ExitCode> {
  checkVerificationFlags(options);
  const buildArgs = parseBuildArgs(options.buildArg ?? [], process.env);
  const budget = timeoutMs(options);

  let inputs: BuildInputs;
  try {
    inputs = await loadBuildInputs(paths, { buildArgs });
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    if (error.code === 'SYNTAX') {
      await printLines(error.diagnostics.map(formatDiagnostic), process.stderr);
      return ExitCode.USAGE;
    }
    throw new CliError('INPUT', error.message, { cause: error });
  }

  // Built even for a build that pulls no image: a broken policy or key is reported, never passed over.
  const setup = await createChecker(options);
  if (!setup.ok) return setup.exitCode;
  let result: BuildGateResult;
  try {
    result = await runBuildGate(inputs, {
      checker: setup.checker,
      strict: options.strict,
      pin: options.pin,
      timeoutMs: budget,
    });
  } finally {
    await setup.close();
  }

  if (options.output === 'json') await printJson(toJson(result));
  else if (result.rows.length > 0) await printLines(formatTable(result));
  const messages = formatMessages(result);
  if (result.rows.length === 0) messages.unshift(`vouch: no base images in ${result.files.join(', ')}`);
  await printLines(messages, process.stderr);
  return result.exitCode;
}

/**
 * `--policy`, `--key` and the keyless flags are three ways to say what to verify against: exactly one
 * is needed (the keyless identity pairs and the files are checked afterwards, by `authorityFromFlags`).
 * `--no-match-policy` only means something with `--policy`: the flags' one policy covers every image.
 */
export function checkVerificationFlags(options: BasesOptions): void {
  const policy = (options.policy?.length ?? 0) > 0;
  const flags =
    hasVerificationFlags(options) ||
    options.insecureIgnoreTlog !== undefined ||
    (options.annotations?.length ?? 0) > 0 ||
    (options.annotation?.length ?? 0) > 0;
  if (!policy && !flags)
    throw new CliError(
      'USAGE',
      'say what to verify against: --policy PATH, --key PUB, or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp]',
    );
  if (policy && flags)
    throw new CliError(
      'USAGE',
      '--policy replaces --key, the keyless flags and -a: give the policy files or the flags, not both',
    );
  if (!policy && options.noMatchPolicy !== undefined)
    throw new CliError(
      'USAGE',
      '--no-match-policy applies only with --policy (--key and the keyless flags cover every image)',
    );
}

const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `--build-arg NAME=VALUE` values, later ones winning, as `docker build` takes them; `--build-arg NAME`
 * takes NAME's value from the environment, and is ignored when it has none (as docker does).
 */
export function parseBuildArgs(
  values: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const args: Record<string, string> = {};
  for (const raw of values) {
    const equals = raw.indexOf('=');
    const name = equals < 0 ? raw : raw.slice(0, equals);
    if (!ARG_NAME.test(name))
      throw new CliError(
        'USAGE',
        `--build-arg ${JSON.stringify(raw)}: expected NAME=VALUE with NAME made of letters, digits and _ (not starting with a digit)`,
      );
    if (equals >= 0) args[name] = raw.slice(equals + 1);
    else if (env[name] !== undefined) args[name] = env[name] as string;
  }
  return args;
}

export type BasesChecker =
  | { ok: true; checker: PolicyEngine; close(): Promise<void> }
  /** The policies were invalid; their located errors are already on stderr. */
  | { ok: false; exitCode: ExitCode };

/**
 * The policy engine behind `--policy` / `--key` / the keyless flags. The no-match policy is the
 * policy files' (a verification config's `no-match-policy`) or `--no-match-policy`'s when either
 * chooses one, and BUILD_NO_MATCH_POLICY (`warn`) otherwise: the engine applies its `noMatchDefault`
 * only to a policy set whose `noMatchPolicyConfigured` is unset.
 */
export async function createChecker(options: BasesOptions): Promise<BasesChecker> {
  const loaded = await policySetOf(options);
  if (!loaded.ok) return loaded;
  const { checker, close } = await createImageChecker({
    policySet: loaded.policySet,
    global: options,
    noMatchDefault: BUILD_NO_MATCH_POLICY,
  });
  return { ok: true, checker, close };
}

async function policySetOf(
  options: BasesOptions,
): Promise<{ ok: true; policySet: PolicySet } | { ok: false; exitCode: ExitCode }> {
  if (options.policy?.length) {
    const { loadPolicySet } = await import('../policy-files.js');
    return loadPolicySet(options.policy, options, {
      ...(options.noMatchPolicy !== undefined && { noMatchPolicy: options.noMatchPolicy }),
    });
  }
  // As `vouch verify --key` does: COSIGN_REPOSITORY is honoured, the checks the flags turn off are warned about.
  const { loadAuthority } = await import('./verify.js');
  return { ok: true, policySet: policySetFromAuthority(await loadAuthority(options)) };
}
