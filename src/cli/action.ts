import type { Command } from 'commander';
import { describeError, VouchError } from '../errors.js';
import { CliError, ExitCode } from './errors.js';
import { write } from './output.js';

/** What a command module contributes to the program: its registration and an example for `--help`. */
export interface CommandModule {
  example: string;
  register(program: Command): void;
}

/**
 * Wraps a command's implementation: its return value is the exit code; a CliError (bad usage, input
 * or configuration) exits 2 with its message; any other error exits 1 with its message and no stack
 * trace — a verifier that errors has not verified anything.
 */
export function action<Args extends unknown[]>(
  run: (...args: Args) => Promise<ExitCode>,
): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    let code: ExitCode;
    try {
      code = await run(...args);
    } catch (error) {
      code = await reportError(error);
    }
    process.exitCode = code;
  };
}

export async function reportError(error: unknown): Promise<ExitCode> {
  if (error instanceof CliError) {
    await write(process.stderr, `vouch: ${error.message}\n`);
    return ExitCode.USAGE;
  }
  if (error instanceof VouchError) {
    await write(process.stderr, `vouch: ${error.message}\n`);
    return ExitCode.NOT_VERIFIED;
  }
  const detail = process.env.VOUCH_DEBUG && error instanceof Error ? `\n${error.stack}` : '';
  await write(process.stderr, `vouch: unexpected error: ${describeError(error)}${detail}\n`);
  return ExitCode.NOT_VERIFIED;
}

/** The options of a subcommand merged with the program's global flags. */
export function optionsOf<T>(command: Command): T {
  return command.optsWithGlobals() as T;
}
