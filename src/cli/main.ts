import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { CommandModule } from './action.js';
import { attestCommand } from './commands/attest.cli.js';
import { auditCommand } from './commands/audit.cli.js';
import { basesCommand } from './commands/bases.cli.js';
import { generateKeyPairCommand } from './commands/generate-key-pair.cli.js';
import { policyCommand } from './commands/policy.cli.js';
import { resolveCommand } from './commands/resolve.cli.js';
import { signCommand } from './commands/sign.cli.js';
import { updateCommand } from './commands/update.cli.js';
import { verifyCommand } from './commands/verify.cli.js';
import { verifyAttestationCommand } from './commands/verify-attestation.cli.js';
import { verifyBundleCommand } from './commands/verify-bundle.cli.js';
import { webhookCommand } from './commands/webhook.cli.js';
import { ExitCode } from './errors.js';
import { write } from './output.js';

/**
 * Every command, in the order `--help` lists them. Each module only registers flags here; its
 * implementation (and whatever heavy libraries it needs) is imported when the command runs, so that
 * `vouch --version` starts as fast as node itself.
 */
const COMMANDS: readonly CommandModule[] = [
  resolveCommand,
  generateKeyPairCommand,
  signCommand,
  verifyCommand,
  attestCommand,
  verifyAttestationCommand,
  verifyBundleCommand,
  policyCommand,
  // the gates
  basesCommand,
  updateCommand,
  webhookCommand,
  auditCommand,
];

/** The package version, read from package.json whether this runs from src/ (tests) or dist/src/ (the CLI). */
function version(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { version: string })
        .version;
    } catch {
      // not at this depth
    }
  }
  return 'unknown';
}

export function buildProgram(): Command {
  const program = new Command('vouch');
  program
    .description(
      'Verify container-image signatures (cosign / Sigstore) wherever an image enters a delivery pipeline.',
    )
    .version(version(), '-v, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .showHelpAfterError("(run 'vouch --help' for usage)")
    .showSuggestionAfterError(true)
    .option(
      '--registry-config <file>',
      'docker config.json with registry credentials (default: ~/.docker/config.json)',
    )
    .addOption(
      new Option(
        '--allow-http-registry <host>',
        'reach this registry over plain HTTP (repeatable; loopback always is)',
      ).argParser((value: string, previous: string[] = []) => [...previous, value]),
    )
    .option('--ca-file <pem>', 'extra CA certificates for HTTPS registries')
    .option('--timeout <seconds>', 'deadline for all registry work for one image, retries included', '30');
  for (const command of COMMANDS) command.register(program);
  program.addHelpText(
    'after',
    `\nExamples:\n${COMMANDS.map((command) => `  ${command.example}`).join('\n')}\n`,
  );
  return program;
}

/** Runs the CLI and returns its exit code: 0 verified, 1 not verified, 2 usage or configuration error. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp({ error: true });
    return ExitCode.USAGE;
  }
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return ExitCode.OK;
      return ExitCode.USAGE;
    }
    await write(process.stderr, `vouch: ${(error as Error).message}\n`);
    return ExitCode.NOT_VERIFIED;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK;
}
