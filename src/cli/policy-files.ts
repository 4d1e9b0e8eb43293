/** Policy files for the commands that verify: loaded, their warnings and located errors printed. */
import { readFile } from 'node:fs/promises';
import { describeError } from '../errors.js';
import { formatIssue, type LocatedMessage, loadPolicies, PolicyError } from '../policy/index.js';
import type { NoMatchPolicy, PolicySet } from '../policy/model.js';
import { CliError, ExitCode } from './errors.js';
import { type GlobalOptions, timeoutMs } from './global-options.js';
import { type OutputFormat, printLines } from './output.js';

/** `--ca-file`'s certificates, for policies fetched over HTTPS. */
export async function caCertificates(options: GlobalOptions): Promise<string | undefined> {
  if (!options.caFile) return undefined;
  try {
    return await readFile(options.caFile, 'utf8');
  } catch (error) {
    throw new CliError('CONFIG', `cannot read --ca-file ${options.caFile}: ${describeError(error)}`);
  }
}

/**
 * Loads policies for a command that verifies: warnings on stderr; invalid policies print their located
 * errors (as `vouch policy lint` does) and give exit code 2.
 */
export async function loadPolicySet(
  paths: readonly string[],
  options: GlobalOptions & { output: OutputFormat },
  load: { noMatchPolicy?: NoMatchPolicy; secretsDirectory?: string } = {},
): Promise<{ ok: true; policySet: PolicySet } | { ok: false; exitCode: ExitCode }> {
  let warnings: readonly LocatedMessage[];
  try {
    const ca = await caCertificates(options);
    const fetch = { timeoutMs: timeoutMs(options), ...(ca !== undefined && { caCertificates: ca }) };
    const loaded = await loadPolicies(paths, { ...load, fetch });
    warnings = loaded.warnings;
    await printLines(
      warnings.map((warning) => `vouch: warning: ${formatIssue(warning)}`),
      process.stderr,
    );
    return { ok: true, policySet: loaded.policySet };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    await printLines(
      [
        ...error.warnings.map((warning) => `vouch: warning: ${formatIssue(warning)}`),
        ...error.issues.map((issue) => `vouch: ${formatIssue(issue)}`),
      ],
      process.stderr,
    );
    return { ok: false, exitCode: ExitCode.USAGE };
  }
}
