import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { describeError } from '../../errors.js';
import {
  AccessPool,
  type Author,
  DEFAULT_MESSAGE_TEMPLATE,
  GitRepository,
  loadPullSecrets,
  MessageTemplate,
  type Progress,
  PromoteError,
  parseAuthor,
  RegistryClients,
  type RepositoryAccess,
  renderText,
  resolveScanPath,
  runUpdate,
  type UpdateReport,
} from '../../gates/promote/index.js';
import { policySetFromAuthority } from '../../policy/engine/from-authority.js';
import type { PolicySet } from '../../policy/model.js';
import { sleep } from '../../util/deadline.js';
import type { ImageCheckerHandle } from '../checker.js';
import { CliError, ExitCode } from '../errors.js';
import { createClient, type GlobalOptions, loadCredentials, timeoutMs } from '../global-options.js';
import { type OutputFormat, printJson, printLines, write } from '../output.js';
import { authorityFromFlags, hasVerificationFlags, type VerificationFlags } from '../verification-flags.js';

export interface UpdateCommandOptions extends GlobalOptions, VerificationFlags {
  images?: string[];
  policy?: string[];
  repo: string;
  path?: string;
  pullSecrets?: string[];
  author?: string;
  messageTemplate?: string;
  push?: boolean;
  branch?: string;
  dryRun?: boolean;
  allowDowngrade?: boolean;
  output: OutputFormat;
  watch?: boolean;
  interval?: string;
}

/**
 * What images are verified against, loaded once before any round: the ClusterImagePolicies of
 * `--policy`, or the one-policy set the `--key` / keyless flags describe. Every mistake in them (a
 * file that cannot be read, a policy that does not validate, a bad flag combination) is exit 2.
 */
export async function loadVerification(
  options: UpdateCommandOptions,
): Promise<{ ok: true; policySet: PolicySet } | { ok: false; exitCode: ExitCode }> {
  if (options.policy !== undefined) {
    const { loadPolicySet } = await import('../policy-files.js');
    return loadPolicySet(options.policy, options);
  }
  const { authority, warnings } = await authorityFromFlags(options);
  await printLines(
    warnings.map((warning) => `vouch: warning: ${warning}`),
    process.stderr,
  );
  return { ok: true, policySet: policySetFromAuthority(authority) };
}

let engineModule: Promise<typeof import('../checker.js')> | undefined;

/**
 * The policy engine's modules take about a second to load; `vouch update` starts loading them at
 * once, so that the loading overlaps with reading Git, the Flux objects and the tag lists.
 */
function loadEngine(): Promise<typeof import('../checker.js')> {
  if (!engineModule) {
    engineModule = import('../checker.js');
    // Nobody may ask for it (no markers): a failure then surfaces only if it is asked for.
    engineModule.catch(() => undefined);
  }
  return engineModule;
}

/**
 * The policy engine behind the promotion gate for one ImageRepository's registry access: its registry
 * clients carry the ImageRepository's pull secret (before the docker config's credentials) and reach
 * it over plain HTTP when it says `insecure`. Everything else of `vouch update` only sees the
 * ImageChecker interface.
 */
export async function createChecker(
  policySet: PolicySet,
  options: UpdateCommandOptions,
  access: RepositoryAccess,
): Promise<ImageCheckerHandle> {
  const { createImageChecker } = await loadEngine();
  return createImageChecker({
    policySet,
    global: options,
    registryAccess: {
      ...(access.credentials && { credentials: access.credentials }),
      ...(access.insecureRegistry !== undefined && { insecureRegistries: [access.insecureRegistry] }),
    },
  });
}

const DURATION = /^(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h))+$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go-style duration (`30s`, `5m`, `1h30m`) in milliseconds. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g))
    total += Number(amount) * (UNIT_MS[unit as string] as number);
  return total;
}

/** Which way of verifying the flags chose; checks only what does not need a file (exit 2 for mistakes). */
export function checkVerificationFlags(options: UpdateCommandOptions): 'policy' | 'flags' {
  const flags = hasVerificationFlags(options);
  if (options.policy !== undefined && flags)
    throw new CliError('USAGE', '--policy replaces --key and the keyless flags: give one or the other');
  if (options.policy === undefined && !flags)
    throw new CliError(
      'USAGE',
      'nothing to verify with: give --policy, --key, or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp]',
    );
  return options.policy !== undefined ? 'policy' : 'flags';
}

interface Checked {
  author?: Author;
  intervalMs?: number;
}

export function checkUsage(options: UpdateCommandOptions): Checked {
  const usage = (message: string) => new CliError('USAGE', message);
  if (options.branch !== undefined && !options.push) throw usage('--branch needs --push');
  if (options.dryRun && options.push) throw usage('--dry-run writes nothing, so it cannot --push');
  if (options.interval !== undefined && !options.watch) throw usage('--interval needs --watch');
  if (options.watch && options.dryRun) throw usage('--watch keeps updating, so it cannot be a --dry-run');
  let intervalMs: number | undefined;
  if (options.watch) {
    intervalMs = parseDuration(options.interval ?? '5m');
    if (intervalMs === undefined || intervalMs < 1000)
      throw usage(
        `--interval must be a duration of at least 1s such as 30s, 5m or 1h, got ${JSON.stringify(options.interval)}`,
      );
  }
  let author: Author | undefined;
  if (options.author !== undefined) {
    author = parseAuthor(options.author);
    if (!author) throw usage(`--author must be "Name <email>", got ${JSON.stringify(options.author)}`);
  }
  checkVerificationFlags(options);
  return {
    ...(author && { author }),
    ...(intervalMs !== undefined && { intervalMs }),
  };
}

/** A one-line progress indicator, redrawn in place; only on a terminal. */
function terminalProgress(stream: NodeJS.WriteStream): Progress {
  let last = 0;
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      const width = Math.max(20, (stream.columns ?? 80) - 1);
      stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}

function asInputError(error: unknown): never {
  if (error instanceof PromoteError && error.isInputError)
    throw new CliError('INPUT', error.message, { cause: error });
  throw error;
}

async function printReport(report: UpdateReport, output: OutputFormat): Promise<void> {
  if (output === 'json') {
    await printJson(report);
    return;
  }
  await printLines(
    report.warnings.map((warning) => `vouch: warning: ${warning}`),
    process.stderr,
  );
  if (report.diff) await write(process.stdout, report.diff);
  await printLines(renderText(report));
}

/** `vouch update`: one round, or rounds every --interval with --watch. */
export async function runUpdateCommand(options: UpdateCommandOptions): Promise<ExitCode> {
  const checked = checkUsage(options);
  void loadEngine();
  const timeout = timeoutMs(options);
  const repository = await GitRepository.open(resolve(options.repo)).catch(asInputError);
  const scanPath = (() => {
    try {
      return resolveScanPath(repository.root, options.path);
    } catch (error) {
      return asInputError(error);
    }
  })();
  let messageTemplate = MessageTemplate.parse(DEFAULT_MESSAGE_TEMPLATE);
  if (options.messageTemplate !== undefined) {
    let text: string;
    try {
      text = await readFile(options.messageTemplate, 'utf8');
    } catch (cause) {
      throw new CliError(
        'INPUT',
        `cannot read --message-template ${options.messageTemplate}: ${describeError(cause)}`,
        {
          cause,
        },
      );
    }
    try {
      messageTemplate = MessageTemplate.parse(text, options.messageTemplate);
    } catch (error) {
      asInputError(error);
    }
  }
  const pullSecrets = options.pullSecrets
    ? await loadPullSecrets(options.pullSecrets).catch(asInputError)
    : undefined;
  const images = options.images?.map((path) => (isAbsolute(path) ? path : resolve(path)));
  const verification = await loadVerification(options);
  if (!verification.ok) return verification.exitCode;
  const { policySet } = verification;

  const clients = new RegistryClients((settings) => createClient(options, settings), {
    credentials: await loadCredentials(options),
    insecureRegistries: options.allowHttpRegistry ?? [],
  });
  // One engine per registry access, kept across --watch rounds so that its verdict cache spares the
  // signature lookups of candidates already judged.
  const checkers = new AccessPool((access) => createChecker(policySet, options, access));
  const progress = process.stderr.isTTY ? terminalProgress(process.stderr) : undefined;
  const round = () =>
    runUpdate(
      {
        repository,
        scanPath,
        ...(images && { images }),
        ...(pullSecrets && { pullSecrets }),
        ...(checked.author && { author: checked.author }),
        messageTemplate,
        ...(options.push && { push: options.branch !== undefined ? { branch: options.branch } : {} }),
        dryRun: options.dryRun === true,
        allowDowngrade: options.allowDowngrade === true,
        timeoutMs: timeout,
      },
      {
        checker: async (repo, secret) => (await checkers.for(repo, secret)).checker,
        registryFor: (repo, secret) => clients.registryFor(repo, secret),
        ...(progress && { progress }),
      },
    ).catch(asInputError);

  try {
    if (checked.intervalMs === undefined) {
      const report = await round();
      await printReport(report, options.output);
      return report.ok ? ExitCode.OK : ExitCode.NOT_VERIFIED;
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      for (let first = true; !stop.signal.aborted; first = false) {
        try {
          if (options.push) await repository.pullFastForward();
          await printReport(await round(), options.output);
        } catch (error) {
          // A broken set-up fails at once; later, a bad round is reported and the next one tried.
          if (first && error instanceof CliError) throw error;
          await write(process.stderr, `vouch: update round failed: ${describeError(error)}\n`);
        }
        await sleep(checked.intervalMs, stop.signal).catch(() => undefined);
      }
      return ExitCode.OK;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  } finally {
    progress?.done();
    await Promise.all([clients.close(), checkers.close()]);
  }
}
