import { type Command, Option } from 'commander';
import { action, type CommandModule, optionsOf } from '../action.js';
import { collect } from '../repeatable.js';
import { addVerificationFlags, noMatchPolicyOption } from '../verification-flags.js';
import type { BasesOptions } from './bases.js';

export const basesCommand: CommandModule = {
  example: 'vouch bases --policy policy.yaml --strict --pin .',
  register(program: Command) {
    const command = program
      .command('bases')
      .summary('verify the base images of Dockerfiles and .ko.yaml before a build')
      .description(
        'Verify every base image a build pulls (Dockerfile/Containerfile FROM, COPY --from, RUN --mount from=, ' +
          '# syntax= frontends; .ko.yaml defaultBaseImage and baseImageOverrides) against the policy, by digest. ' +
          'Without --strict, failures print WARNING: lines and the exit code is 0; with --strict, any failure ' +
          'or uncovered image exits 1. --pin rewrites verified references in place as image:tag@sha256:….',
      )
      .argument('<path...>', 'Dockerfiles, Containerfiles, .ko.yaml files, or directories to search for them')
      .addOption(
        new Option('--policy <path>', 'ClusterImagePolicy or verification config (repeatable)').argParser(
          collect,
        ),
      );
    addVerificationFlags(command)
      .addOption(
        noMatchPolicyOption(
          'with --policy: for images no policy covers (default: the policy files’ choice, else warn for builds)',
        ),
      )
      .option('--strict', 'exit 1 on any failure or uncovered image', false)
      .option(
        '--pin',
        'rewrite each verified reference in place as image:tag@sha256:<verified digest>',
        false,
      )
      .addOption(
        new Option('--build-arg <name=value>', 'override a global ARG default (repeatable)').argParser(
          collect,
        ),
      )
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
      )
      .action(
        action(async (paths: string[], _options: unknown, command: Command) => {
          const { runBases } = await import('./bases.js');
          return runBases(paths, optionsOf<BasesOptions>(command));
        }),
      );
  },
};
