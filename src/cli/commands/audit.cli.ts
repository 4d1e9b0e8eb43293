import { type Command, Option } from 'commander';
import { action, type CommandModule, optionsOf } from '../action.js';
import { addCacheOptions } from '../cache-options.js';
import { addEnforcementOptions } from '../enforcement-options.js';
import { collect } from '../repeatable.js';
import type { AuditOptions } from './audit.js';

export const auditCommand: CommandModule = {
  example:
    'kubectl get deploy,sts,ds,cronjob,pod -A -o yaml | vouch audit - --policy policies/ --report | kubectl apply -f -',
  register(program: Command) {
    const audit = program
      .command('audit')
      .summary('check every image of the workloads in Kubernetes manifests, as the webhook would')
      .description(
        'Read Kubernetes manifests (files, directories, multi-document YAML, "-" for stdin, List kinds) and check ' +
          'every image of every Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob and ' +
          'ReplicationController with the webhook’s code. Prints a table; --report prints wgpolicyk8s.io/v1alpha2 ' +
          'PolicyReports (one per namespace) on stdout instead, and the table on stderr. Exit 1 when anything is denied.',
      )
      .argument('<path...>', 'manifest files or directories, or - for stdin')
      // Repeatable rather than variadic, so that `--policy DIR MANIFEST` leaves MANIFEST a path to audit.
      .option(
        '--policy <path>',
        'ClusterImagePolicy file or directory (repeatable; default: $VOUCH_POLICY)',
        collect,
      )
      .option('--report', 'print PolicyReports (YAML) on stdout', false)
      .addOption(
        new Option('-o, --output <format>', 'table format').choices(['text', 'json']).default('text'),
      )
      .option('-n, --namespace <ns>', 'namespace of objects that do not name one', 'default');
    addEnforcementOptions(addCacheOptions(audit), 'namespaces whose workloads are not checked').action(
      action(async (paths: string[], _options: unknown, command: Command) => {
        const { runAudit } = await import('./audit.js');
        return runAudit(paths, optionsOf<AuditOptions>(command));
      }),
    );
  },
};
