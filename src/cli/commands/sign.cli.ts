import { type Command, Option } from 'commander';
import { WRITABLE_FORMATS } from '../../verify/format-modules.js';
import { action, type CommandModule, optionsOf } from '../action.js';
import { collect } from '../repeatable.js';
import type { SignOptions } from './sign.js';

export const signCommand: CommandModule = {
  example: 'vouch sign --key cosign.key -a ci=build-42 127.0.0.1:5000/demo/app:v1',
  register(program: Command) {
    program
      .command('sign')
      .summary('sign images with a key, as cosign does')
      .description(
        'Resolve each image to its digest and sign the digest with a private key: a cosign simple-signing ' +
          'signature in the sha256-<hex>.sig tag (legacy, the default) or a Sigstore bundle attached as an ' +
          'OCI referrer (bundle). Prints each signed registry/repository:tag@sha256:….',
      )
      .argument('<image...>', 'image references')
      .requiredOption(
        '--key <file>',
        'private key (cosign encrypted, PKCS#8, EC or RSA PEM); password from VOUCH_PASSWORD, COSIGN_PASSWORD or a prompt',
      )
      .addOption(
        new Option('-a, --annotations <key=value>', 'annotation to sign (repeatable)').argParser(collect),
      )
      // vouch's phase-1 spelling, still read.
      .addOption(new Option('--annotation <key=value>').argParser(collect).hideHelp())
      .option('--recursive', 'also sign every manifest of a multi-platform index', false)
      .addOption(
        new Option('--format <format>', 'signature format').choices(WRITABLE_FORMATS).default('legacy'),
      )
      .option(
        '--signature-repository <repo>',
        'store signatures in this repository (default: COSIGN_REPOSITORY, else beside the image)',
      )
      .action(
        action(async (images: string[], _options: unknown, command: Command) => {
          const { runSign } = await import('./sign.js');
          return runSign(images, optionsOf<SignOptions>(command));
        }),
      );
  },
};
