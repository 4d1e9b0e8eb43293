import { type Command, Option } from 'commander';
import { action, type CommandModule, optionsOf } from '../action.js';
import { addCacheOptions } from '../cache-options.js';
import type { VerifyOptions } from './verify.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** policy-controller's name; declared plainly because commander reads `--no-` as a negation. */
function noMatchPolicyOption(): Option {
  const option = new Option(
    '--no-match-policy <policy>',
    'with --policy: for images no policy covers (default: the policy files’ choice, else deny)',
  ).choices(['allow', 'warn', 'deny']);
  option.negate = false;
  return option;
}

export const verifyCommand: CommandModule = {
  example: 'vouch verify --key cosign.pub 127.0.0.1:5000/demo/app:v1',
  register(program: Command) {
    const verify = program
      .command('verify')
      .summary('verify images’ signatures with a public key or ClusterImagePolicies')
      .description(
        'Resolve each image to its digest once and verify its cosign signatures (legacy .sig, then Sigstore ' +
          'bundles attached as referrers) with a public key (--key), or check it against ClusterImagePolicy ' +
          'files (--policy) with the policy engine. Exit 0 only when every image verified.',
      )
      .argument('<image...>', 'image references')
      .option('--key <file>', 'public key (PEM)')
      .addOption(
        new Option(
          '--policy <path>',
          'verify against ClusterImagePolicy files instead (repeatable)',
        ).argParser(collect),
      )
      .addOption(noMatchPolicyOption())
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
      );
    addCacheOptions(verify);
    verify.action(
      action(async (images: string[], _options: unknown, command: Command) => {
        const { runVerify } = await import('./verify.js');
        return runVerify(images, optionsOf<VerifyOptions>(command));
      }),
    );
  },
};
