import { type Command, Option } from 'commander';
import { action, type CommandModule, optionsOf } from '../action.js';
import type { PolicyLintOptions } from './policy.js';

export const policyCommand: CommandModule = {
  example: 'vouch policy lint policies/',
  register(program: Command) {
    const policy = program
      .command('policy')
      .summary('work with ClusterImagePolicy files')
      .description(
        'Work with sigstore policy-controller ClusterImagePolicy files (policy.sigstore.dev v1alpha1, v1beta1).',
      );
    policy
      .command('lint')
      .summary('validate policies without verifying anything')
      .description(
        'Validate ClusterImagePolicy, TrustRoot, Secret and ConfigMap documents and verification configs (files, directories, multi-document YAML) without contacting any registry. Prints one line per policy; exits 2 with located errors when anything is invalid.',
      )
      .argument('<path...>', 'policy files or directories (*.yaml, *.yml, *.json, recursively)')
      .option(
        '--secrets <dir>',
        'directory of Secrets for key.secretRef, laid out as Kubernetes mounts them: DIR/<secret-name>/<key>',
      )
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
      )
      .action(
        action(async (paths: string[], _options: unknown, command: Command) => {
          const { runPolicyLint } = await import('./policy.js');
          return runPolicyLint(paths, optionsOf<PolicyLintOptions>(command));
        }),
      );
  },
};
