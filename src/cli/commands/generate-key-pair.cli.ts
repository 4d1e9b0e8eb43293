import type { Command } from 'commander';
import { action, type CommandModule, optionsOf } from '../action.js';
import type { GenerateKeyPairOptions } from './generate-key-pair.js';

export const generateKeyPairCommand: CommandModule = {
  example: 'VOUCH_PASSWORD=… vouch generate-key-pair --output-key-prefix release',
  register(program: Command) {
    program
      .command('generate-key-pair')
      .summary('create an ECDSA P-256 key pair in cosign’s formats')
      .description(
        'Write <prefix>.key (encrypted as cosign encrypts it: ENCRYPTED SIGSTORE PRIVATE KEY, scrypt + ' +
          'nacl/secretbox) and <prefix>.pub (PEM PUBLIC KEY). The password comes from VOUCH_PASSWORD, else ' +
          'COSIGN_PASSWORD, else a prompt on a terminal; an empty password is allowed when set explicitly.',
      )
      .option('--output-key-prefix <prefix>', 'path prefix of the two files', 'cosign')
      .option('--force', 'overwrite existing files', false)
      .action(
        action(async (_options: unknown, command: Command) => {
          const { runGenerateKeyPair } = await import('./generate-key-pair.js');
          return runGenerateKeyPair(optionsOf<GenerateKeyPairOptions>(command));
        }),
      );
  },
};
