import { type Command, Option } from 'commander';
import { action, optionsOf } from '../action.js';
import type { PolicyImportOptions } from './policy-import.js';

/** `vouch policy import`: registered under `vouch policy` by policy.cli.ts. */
export function registerPolicyImport(policy: Command): void {
  policy
    .command('import')
    .summary('translate Kyverno, Connaisseur or Ratify image-verification policies into ClusterImagePolicies')
    .description(
      'Read the source tool’s own documents (FILE, DIR or - for stdin: Kyverno ClusterPolicy/Policy verifyImages rules and ImageValidatingPolicy; Connaisseur Helm values; Ratify Verifier, Store, CertificateStore and KeyManagementProvider resources) and write ClusterImagePolicies, each with a comment naming the source document and rule, to stdout or one file per document under --out. The translation report goes to stderr: for every source rule, what became of each field. Exit 0 when everything translated exactly, 1 when anything was approximated or dropped (the output is still written, marked), 2 for input the source tool itself would refuse.',
    )
    .argument('<source>', 'a file, a directory of *.yaml/*.yml/*.json files, or - for stdin')
    .addOption(
      new Option('--from <tool>', 'the tool the policies are written for')
        .choices(['kyverno', 'connaisseur', 'ratify'])
        .makeOptionMandatory(),
    )
    .option('--out <dir>', 'write one file per document into this directory (created if missing)')
    .action(
      action(async (source: string, _options: unknown, command: Command) => {
        const { runPolicyImport } = await import('./policy-import.js');
        return runPolicyImport(source, optionsOf<PolicyImportOptions>(command));
      }),
    );
}
