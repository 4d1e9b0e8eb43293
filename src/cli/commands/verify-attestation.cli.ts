import { type Command, Option } from 'commander';
import { action, type CommandModule, optionsOf } from '../action.js';
import { addVerificationFlags } from '../verification-flags.js';
import type { VerifyAttestationOptions } from './verify-attestation.js';

export const verifyAttestationCommand: CommandModule = {
  example:
    'vouch verify-attestation --key cosign.pub --type cyclonedx --condition \'statement.predicate.bomFormat == "CycloneDX"\' IMAGE',
  register(program: Command) {
    const command = program
      .command('verify-attestation')
      .summary('verify images’ attestations with a public key or a keyless identity')
      .description(
        'Resolve each image to its digest and verify an attestation of the given predicate type: DSSE ' +
          'signature with the key (or, keyless, by a certificate for the identity that chains to the trusted ' +
          'root and is logged), in-toto subject naming the digest, and an optional CEL condition on the ' +
          'statement (bound as `statement`). Exit 0 only when every image has one.',
      )
      .argument('<image...>', 'image references')
      .requiredOption('--type <type>', 'predicate type: a URI or a cosign short name')
      .option('--condition <cel>', 'CEL expression over `statement` that must be true');
    addVerificationFlags(command, { annotations: false })
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
