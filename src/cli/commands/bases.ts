import {
  BUILD_NO_MATCH_POLICY,
  BuildGateError,
  type BuildGateResult,
  type BuildInputs,
  formatDiagnostic,
  formatMessages,
  formatTable,
  loadBuildInputs,
  runBuildGate,
  toJson,
} from '../../gates/build/index.js';
import type { ImageChecker } from '../../policy/verdict.js';
import { CliError, ExitCode } from '../errors.js';
import { type GlobalOptions, timeoutMs } from '../global-options.js';
import { type OutputFormat, printJson, printLines } from '../output.js';

export interface BasesOptions extends GlobalOptions {
  policy?: string[];
  key?: string;
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  trustedRoot?: string;
  noMatchPolicy?: 'allow' | 'warn' | 'deny';
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
    if (!(error instanceof BuildGateError)) throw error;
    if (error.code === 'SYNTAX') {
      await printLines(error.diagnostics.map(formatDiagnostic), process.stderr);
      return ExitCode.USAGE;
    }
    throw new CliError('INPUT', error.message, { cause: error });
  }

  const result = await check(inputs, options, budget);
  if (options.output === 'json') await printJson(toJson(result));
  else if (result.rows.length > 0) await printLines(formatTable(result));
  const messages = formatMessages(result);
  if (result.rows.length === 0) messages.unshift(`vouch: no base images in ${result.files.join(', ')}`);
  await printLines(messages, process.stderr);
  return result.exitCode;
}

/** Runs the gate; a build that pulls no image passes without consulting the policy engine. */
async function check(inputs: BuildInputs, options: BasesOptions, budget: number): Promise<BuildGateResult> {
  if (inputs.files.every((file) => file.references.length === 0))
    return {
      strict: options.strict,
      files: inputs.files.map((file) => file.path),
      rows: [],
      written: [],
      writeErrors: [],
      exitCode: 0,
    };
  const { checker, close } = await createChecker(options);
  try {
    return await runBuildGate(inputs, {
      checker,
      strict: options.strict,
      pin: options.pin,
      timeoutMs: budget,
    });
  } finally {
    await close();
  }
}

/** `--policy`, `--key` and the keyless flags are three ways to say what to verify: exactly one is needed. */
export function checkVerificationFlags(options: BasesOptions): void {
  const keyless =
    options.certificateIdentity !== undefined ||
    options.certificateIdentityRegexp !== undefined ||
    options.certificateOidcIssuer !== undefined ||
    options.certificateOidcIssuerRegexp !== undefined;
  const given = [
    (options.policy?.length ?? 0) > 0 && '--policy',
    options.key !== undefined && '--key',
    keyless && 'the keyless flags',
  ].filter((source): source is string => typeof source === 'string');
  if (given.length === 0)
    throw new CliError(
      'USAGE',
      'say what to verify against: --policy PATH, --key PUB, or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp]',
    );
  if (given.length > 1) throw new CliError('USAGE', `use only one of ${given.join(', ')}`);
  if (!keyless) return;
  const pairs: Array<[string | undefined, string | undefined, string]> = [
    [options.certificateIdentity, options.certificateIdentityRegexp, '--certificate-identity'],
    [options.certificateOidcIssuer, options.certificateOidcIssuerRegexp, '--certificate-oidc-issuer'],
  ];
  for (const [exact, regexp, flag] of pairs) {
    if (exact !== undefined && regexp !== undefined)
      throw new CliError('USAGE', `use ${flag} or ${flag}-regexp, not both`);
    if (exact === undefined && regexp === undefined)
      throw new CliError('USAGE', `keyless verification needs ${flag} or ${flag}-regexp`);
  }
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

/**
 * The policy engine behind `--policy` / `--key` / the keyless flags. For builds it must default
 * `no-match-policy` to BUILD_NO_MATCH_POLICY (`warn`) unless `--no-match-policy` or the policy files
 * say otherwise. Placeholder until the engine lands: the lead replaces this function's body.
 */
export async function createChecker(
  options: BasesOptions,
): Promise<{ checker: ImageChecker; close(): Promise<void> }> {
  const noMatchPolicy = options.noMatchPolicy ?? BUILD_NO_MATCH_POLICY;
  throw new CliError('CONFIG', `policy engine not available yet (no-match-policy would be ${noMatchPolicy})`);
}
