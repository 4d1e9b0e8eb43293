import { type Command, Option } from 'commander';
import { action, type CommandModule, optionsOf } from '../action.js';
import type { ResolveOptions } from './resolve.js';

export const resolveCommand: CommandModule = {
  example: 'vouch resolve ghcr.io/fluxcd/source-controller:v1.4.1',
  register(program: Command) {
    program
      .command('resolve')
      .summary('print the digest each image reference points at now')
      .description(
        'Resolve image references to the digest their tag points at now, printed as registry/repository:tag@sha256:….',
      )
      .argument('<image...>', 'image references')
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
      )
      .action(
        action(async (images: string[], _options: unknown, command: Command) => {
          const { runResolve } = await import('./resolve.js');
          return runResolve(images, optionsOf<ResolveOptions>(command));
        }),
      );
  },
};
