import { type Command, Option } from 'commander';
import { action, type CommandModule, optionsOf } from '../action.js';
import type { VerifyAttestationOptions } from './verify-attestation.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export const verifyAttestationCommand: CommandModule = {
  example:
    'vouch verify-attestation --key cosign.pub --type cyclonedx --condition \'statement.predicate.bomFormat == "CycloneDX"\' IMAGE',
  register(program: Command) {
    program
      .command('verify-attestation')
      .summary('verify images’ attestations with a public key')
      .description(
        'Resolve each image to its digest and verify an attestation of the given predicate type: DSSE ' +
          'signature with the key, in-toto subject naming the digest, and an optional CEL condition on the ' +
          'statement (bound as `statement`). Exit 0 only when every image has one.',
      )
      .argument('<image...>', 'image references')
      .requiredOption('--key <file>', 'public key (PEM)')
      .requiredOption('--type <type>', 'predicate type: a URI or a cosign short name')
      .option('--condition <cel>', 'CEL expression over `statement` that must be true')
      .addOption(
        new Option(
          '--rekor-key <file>',
          'Rekor public key: require and verify a transparency-log entry (repeatable)',
        ).argParser(collect),
      )
      .option(
        '--signature-repository <repo>',
        'look for attestations in this repository (default: COSIGN_REPOSITORY)',
      )
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
      )
      .action(
        action(async (images: string[], _options: unknown, command: Command) => {
          const { runVerifyAttestation } = await import('./verify-attestation.js');
          return runVerifyAttestation(images, optionsOf<VerifyAttestationOptions>(command));
        }),
      );
  },
};
