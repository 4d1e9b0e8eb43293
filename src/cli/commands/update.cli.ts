import { type Command, Option } from 'commander';
import { action, type CommandModule, optionsOf } from '../action.js';
import { addVerificationFlags } from '../verification-flags.js';
import type { UpdateCommandOptions } from './update.js';

export const updateCommand: CommandModule = {
  example: 'vouch update --key cosign.pub --path clusters/prod --author "vouch <vouch@example.com>" --push',
  register(program: Command) {
    const command = program
      .command('update')
      .summary('image automation that only ever commits verified digests (Flux ImagePolicy markers)')
      .description(
        'Elect, for every Flux image-policy marker in a Git working tree, the newest tag whose signature ' +
          'verifies under policy and that can be pulled, write it as name:tag@sha256:<verified digest>, and ' +
          'commit (and push). Exit 0 when finished; 1 when a marked policy found no acceptable candidate ' +
          '(no tag is a candidate, none is at or above what Git pins, or none verifies and can be pulled), ' +
          'a marker names an ImagePolicy that was not loaded, the tags of an image cannot be listed, or git ' +
          'cannot commit or push; 2 on invalid input.',
      )
      .option(
        '--images <path...>',
        'Flux ImageRepository/ImagePolicy files or directories (default: found under --path)',
      )
      .option('--policy <path...>', 'ClusterImagePolicy files or directories to verify with');
    addVerificationFlags(command)
      .option('--repo <dir>', 'the Git working tree', '.')
      .option('--path <dir>', 'directory inside the repository to scan for markers, relative to its root')
      .option(
        '--pull-secrets <path...>',
        'Kubernetes Secrets (dockerconfigjson) for ImageRepository spec.secretRef, files or directories',
      )
      .option('--author <identity>', 'commit author, "Name <email>" (default: git configuration)')
      .option('--message-template <file>', 'commit message template ({{range .Changes}}…{{end}})')
      .option('--push', 'push the commit with the repository remote configuration')
      .option('--branch <name>', 'push to this branch instead of the current branch upstream (with --push)')
      .option('--dry-run', 'print the diff and the selection report; write, commit and push nothing')
      .option('--allow-downgrade', 'write a candidate older than what Git pins')
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
      )
      .option('--watch', 'keep running, rescanning every --interval')
      .option('--interval <duration>', 'time between rounds with --watch, e.g. 30s, 5m, 1h (default 5m)')
      .action(
        action(async (_options: unknown, command: Command) => {
          const { runUpdateCommand } = await import('./update.js');
          return runUpdateCommand(optionsOf<UpdateCommandOptions>(command));
        }),
      );
  },
};
