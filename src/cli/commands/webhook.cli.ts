import { type Command, Option } from 'commander';
import { action, type CommandModule, optionsOf } from '../action.js';
import { addCacheOptions } from '../cache-options.js';
import { addEnforcementOptions } from '../enforcement-options.js';
import type { CertsOptions, WebhookOptions } from './webhook.js';

export const webhookCommand: CommandModule = {
  example:
    'vouch webhook --policy /etc/vouch/policies --tls-cert tls.crt --tls-key tls.key --enforce-namespaces prod',
  register(program: Command) {
    const server = program
      .command('webhook')
      .summary('run the Kubernetes admission webhook (HTTPS, AdmissionReview v1)')
      .description(
        'Serve POST /validate and POST /mutate for admission.k8s.io/v1 AdmissionReviews, checking every image of ' +
          'Pods and pod controllers against the policies. Images written repo:tag@sha256:… are checked by digest and ' +
          'never rewritten; tag-only images are pinned to their verified digest on Pods only (--digest-mutation). ' +
          'Every request is answered within --timeout-budget; what cannot be verified in time is denied.',
      )
      .option(
        '--policy <path...>',
        'ClusterImagePolicy files or directories, re-read when they change (default: $VOUCH_POLICY)',
      )
      .option('--tls-cert <file>', 'PEM serving certificate (re-read when it changes)')
      .option('--tls-key <file>', 'PEM serving key')
      .option('--port <port>', 'HTTPS port', '8443')
      .option('--host <address>', 'address to listen on', '0.0.0.0');
    addCacheOptions(server)
      .option('--timeout-budget <duration>', 'answer every request within this time (e.g. 9s, 2500ms)', '9s')
      .addOption(
        new Option('--digest-mutation <mode>', 'pin verified digests into Pods only, all workloads, or none')
          .choices(['pods', 'all', 'none'])
          .default('pods'),
      );
    const webhook = addEnforcementOptions(
      server,
      "namespaces not checked at all (default: kube-system and vouch's own, from POD_NAMESPACE)",
    )
      .addOption(
        new Option('--log-level <level>', 'log level')
          .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
          .default('info'),
      )
      .action(
        action(async (_options: unknown, command: Command) => {
          const { runWebhook } = await import('./webhook.js');
          return runWebhook(optionsOf<WebhookOptions>(command));
        }),
      );
    webhook
      .command('certs')
      .summary('make a CA and a serving certificate for the webhook Service')
      .description(
        'Write DIR/ca.crt, DIR/tls.crt and DIR/tls.key (the layout of a Kubernetes TLS secret) for NAME.NS.svc and ' +
          'NAME.NS.svc.cluster.local, and print the caBundle (base64 of ca.crt) for the webhook configurations.',
      )
      .requiredOption('--service <name>', 'Service name of the webhook')
      .requiredOption('--namespace <ns>', 'namespace of the Service')
      .requiredOption('--out <dir>', 'directory to write ca.crt, tls.crt and tls.key to')
      .option('--days <n>', 'validity of the serving certificate in days (the CA: ten times as long)', '365')
      .option('--force', 'overwrite existing files', false)
      .action(
        action(async (_options: unknown, command: Command) => {
          const { runCerts } = await import('./webhook.js');
          return runCerts(optionsOf<CertsOptions>(command));
        }),
      );
  },
};
