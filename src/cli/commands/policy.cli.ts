import { type Command, Option } from 'commander';
import { action, type CommandModule, optionsOf } from '../action.js';
import { collect } from '../repeatable.js';
import type { PolicyLintOptions, PolicyTestOptions } from './policy.js';
import { registerPolicyImport } from './policy-import.cli.js';

export const policyCommand: CommandModule = {
  example: 'vouch policy test --policy policies/ --image 127.0.0.1:5000/demo/app:v1',
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
    policy
      .command('test')
      .summary('check one image against policies, as policy-controller’s policy-tester does')
      .description(
        'Check IMAGE against the policies (a tag is resolved to its digest, which is what is verified) and print the verdict: every policy and authority with its reason. No-match policy: deny unless the files say otherwise. --resource gives the Kubernetes object the image comes from (for match rules and CEL over spec/metadata). Exit 0 when allowed, 1 on errors, 2 for invalid policies.',
      )
      .addOption(
        new Option('--policy <path>', 'ClusterImagePolicy file or directory (repeatable)')
          .argParser(collect)
          .makeOptionMandatory(),
      )
      .requiredOption('--image <image>', 'the image to check')
      .option('--resource <file>', 'Kubernetes object (YAML or JSON) the image comes from')
      .option('--trustroot <file>', 'TrustRoot resources (YAML) the policies refer to')
      .option(
        '--secrets <dir>',
        'directory of Secrets for key.secretRef and signaturePullSecrets, laid out as Kubernetes mounts them: DIR/<secret-name>/<key>',
      )
      .addOption(
        new Option('-o, --output <format>', 'output format (json: {"errors":[…],"warnings":[…]})')
          .choices(['text', 'json'])
          .default('text'),
      )
      .action(
        action(async (_options: unknown, command: Command) => {
          const { runPolicyTest } = await import('./policy.js');
          return runPolicyTest(optionsOf<PolicyTestOptions>(command));
        }),
      );
    registerPolicyImport(policy);
  },
};
