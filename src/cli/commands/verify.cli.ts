import { type Command, Option } from 'commander';
import { action, type CommandModule, optionsOf } from '../action.js';
import { addCacheOptions } from '../cache-options.js';
import { collect } from '../repeatable.js';
import { addVerificationFlags, noMatchPolicyOption } from '../verification-flags.js';
import type { VerifyOptions } from './verify.js';

export const verifyCommand: CommandModule = {
  example: 'vouch verify --key cosign.pub 127.0.0.1:5000/demo/app:v1',
  register(program: Command) {
    const command = program
      .command('verify')
      .summary('verify images’ signatures: a public key, a keyless identity, or ClusterImagePolicies')
      .description(
        'Resolve each image to its digest once and verify its cosign signatures (legacy .sig, then Sigstore ' +
          'bundles attached as referrers) with a public key (--key), or keylessly: a certificate for the ' +
          'given identity and OIDC issuer that chains to the trusted root (the embedded Sigstore public-good ' +
          'root unless --trusted-root), with an SCT and a Rekor entry, checked offline; or check each image ' +
          'against ClusterImagePolicy files (--policy) with the policy engine. Exit 0 only when every image ' +
          'verified.',
      )
      .argument('<image...>', 'image references');
    addVerificationFlags(command)
      .addOption(
        new Option(
          '--policy <path>',
          'verify against ClusterImagePolicy files instead (repeatable)',
        ).argParser(collect),
      )
      .addOption(
        noMatchPolicyOption(
          'with --policy: for images no policy covers (default: the policy files’ choice, else deny)',
        ),
      )
      .option(
        '--signature-repository <repo>',
        'look for signatures in this repository (default: COSIGN_REPOSITORY, else beside the image)',
      )
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
      );
    addCacheOptions(command);
    command.action(
      action(async (images: string[], _options: unknown, cmd: Command) => {
        const { runVerify } = await import('./verify.js');
        return runVerify(images, optionsOf<VerifyOptions>(cmd));
      }),
    );
  },
};
