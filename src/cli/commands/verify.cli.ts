import { type Command, Option } from 'commander';
import { action, type CommandModule, optionsOf } from '../action.js';
import type { VerifyOptions } from './verify.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export const verifyCommand: CommandModule = {
  example: 'vouch verify --key cosign.pub 127.0.0.1:5000/demo/app:v1',
  register(program: Command) {
    program
      .command('verify')
      .summary('verify images’ signatures with a public key')
      .description(
        'Resolve each image to its digest once and verify its cosign signatures (legacy .sig, then Sigstore ' +
          'bundles attached as referrers) with a public key. Exit 0 only when every image verified.',
      )
      .argument('<image...>', 'image references')
      .requiredOption('--key <file>', 'public key (PEM)')
      .addOption(
        new Option(
          '-a, --annotation <key=value>',
          'annotation the signature must carry (repeatable)',
        ).argParser(collect),
      )
      .addOption(
        new Option(
          '--rekor-key <file>',
          'Rekor public key: require and verify a transparency-log entry (repeatable)',
        ).argParser(collect),
      )
      .option(
        '--signature-repository <repo>',
        'look for signatures in this repository (default: COSIGN_REPOSITORY, else beside the image)',
      )
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
      )
      .action(
        action(async (images: string[], _options: unknown, command: Command) => {
          const { runVerify } = await import('./verify.js');
          return runVerify(images, optionsOf<VerifyOptions>(command));
        }),
      );
  },
};
