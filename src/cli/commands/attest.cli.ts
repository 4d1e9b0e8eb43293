import { type Command, Option } from 'commander';
import { ATTESTABLE_FORMATS } from '../../verify/format-modules.js';
import { action, type CommandModule, optionsOf } from '../action.js';
import type { AttestOptions } from './attest.js';

export const attestCommand: CommandModule = {
  example: 'vouch attest --key cosign.key --predicate sbom.json --type cyclonedx 127.0.0.1:5000/demo/app:v1',
  register(program: Command) {
    program
      .command('attest')
      .summary('attach a signed in-toto attestation to images')
      .description(
        'Resolve each image to its digest and attach an in-toto statement about it (predicate from a file) ' +
          'signed in a DSSE envelope: in the sha256-<hex>.att tag (legacy) or as a Sigstore bundle referrer ' +
          '(bundle). Short types (custom, slsaprovenance, slsaprovenance1, spdx, spdxjson, cyclonedx, link, ' +
          'vuln, openvex) map to cosign’s URIs.',
      )
      .argument('<image...>', 'image references')
      .requiredOption('--key <file>', 'private key')
      .requiredOption('--predicate <file>', 'predicate file (JSON; any text for --type custom)')
      .requiredOption('--type <type>', 'predicate type: a URI or a cosign short name')
      .addOption(
        new Option('--format <format>', 'attestation format').choices(ATTESTABLE_FORMATS).default('legacy'),
      )
      .option(
        '--signature-repository <repo>',
        'store attestations in this repository (default: COSIGN_REPOSITORY)',
      )
      .action(
        action(async (images: string[], _options: unknown, command: Command) => {
          const { runAttest } = await import('./attest.js');
          return runAttest(images, optionsOf<AttestOptions>(command));
        }),
      );
  },
};
