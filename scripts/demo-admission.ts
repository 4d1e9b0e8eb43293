/**
 * The demo's admission part: a real `vouch webhook` on loopback HTTPS, fed the AdmissionReviews an API
 * server would send, then `vouch audit` over manifests. Kept apart from demo.ts so each file tells one
 * story; it uses the demo's registry, policy and `vouch` runner.
 */
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { freePort, type ManagedProcess, startProcess, VOUCH_BIN, waitFor } from '../test/harness/index.js';
import type { DemoContext } from './demo.js';

const SERVICE = 'vouch-webhook';
const NAMESPACE = 'vouch-system';

interface AdmissionAnswer {
  allowed: boolean;
  status?: { message?: string };
  warnings?: string[];
  patch?: string;
}

/** One HTTPS exchange with the webhook, trusting only the CA `vouch webhook certs` made. */
function exchange(
  port: number,
  ca: string,
  method: 'GET' | 'POST',
  path: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ca,
        // The certificate names the in-cluster Service, as the API server would connect to it.
        servername: `${SERVICE}.${NAMESPACE}.svc`,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function workload(kind: 'Pod' | 'Deployment', name: string, image: string): Record<string, unknown> {
  const spec = { containers: [{ name: 'app', image }] };
  const metadata = { name, namespace: 'shop' };
  if (kind === 'Pod') return { apiVersion: 'v1', kind, metadata, spec };
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata,
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec },
    },
  };
}

/** An admission.k8s.io/v1 AdmissionReview as the API server posts it. */
function review(
  operation: 'CREATE' | 'UPDATE',
  object: Record<string, unknown>,
  options: { dryRun?: boolean } = {},
): string {
  const kind = object.kind as string;
  const group = kind === 'Pod' ? '' : 'apps';
  const resource = `${kind.toLowerCase()}s`;
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group, version: 'v1', kind },
      resource: { group, version: 'v1', resource },
      name: (object.metadata as { name: string }).name,
      namespace: 'shop',
      operation,
      userInfo: { username: 'system:serviceaccount:flux-system:kustomize-controller' },
      object,
      oldObject: operation === 'UPDATE' ? object : null,
      dryRun: options.dryRun ?? false,
    },
  });
}

/** Sums every sample of a Prometheus counter. */
function counterTotal(metrics: string, name: string): number {
  let total = 0;
  for (const line of metrics.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{.*\})? (\S+)$/.exec(line);
    if (match?.[1] === name) total += Number(match[2]);
  }
  return total;
}

export async function admissionDemo(context: DemoContext, policyFile: string): Promise<void> {
  const { registry, workDir } = context;
  const signed = `${registry.host}/demo/app:1.0.0`;
  const unsigned = `${registry.host}/demo/app:1.1.0`;
  await context.vouch(['webhook', 'certs', '--service', SERVICE, '--namespace', NAMESPACE, '--out', 'tls'], {
    expectCode: 0,
  });
  const ca = await readFile(join(workDir, 'tls', 'ca.crt'), 'utf8');
  const port = await freePort();
  const args = [
    'webhook',
    '--policy',
    policyFile,
    '--tls-cert',
    'tls/tls.crt',
    '--tls-key',
    'tls/tls.key',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
  ];
  context.say(`\n$ vouch ${args.join(' ')} &`);
  let webhook: ManagedProcess | undefined;
  try {
    webhook = startProcess(process.execPath, [VOUCH_BIN, ...args], { cwd: workDir });
    const running = webhook;
    await waitFor(
      'vouch webhook',
      async () => {
        if (running.child.exitCode !== null) throw new Error('vouch webhook exited');
        return (await exchange(port, ca, 'GET', '/readyz').catch(() => ({ status: 0 }))).status === 200;
      },
      20_000,
      () => running.output(),
    );
    context.say(`listening on https://127.0.0.1:${port} (GET /readyz answers 200)`);

    const admit = async (title: string, endpoint: 'validate' | 'mutate', body: string) => {
      const answer = await exchange(port, ca, 'POST', `/${endpoint}`, body);
      if (answer.status !== 200) throw new Error(`webhook answered HTTP ${answer.status}: ${answer.text}`);
      const response = (JSON.parse(answer.text) as { response: AdmissionAnswer }).response;
      context.say(`\n${title}\n  POST /${endpoint} → ${response.allowed ? 'allowed' : 'DENIED'}`);
      if (response.status?.message) context.say(`  message: ${response.status.message}`);
      for (const warning of response.warnings ?? []) context.say(`  warning: ${warning}`);
      if (response.allowed)
        context.say(
          response.patch
            ? `  JSONPatch: ${Buffer.from(response.patch, 'base64').toString('utf8')}`
            : '  no patch: the object stays exactly as Git has it',
        );
      return response;
    };
    const registryRequests = async () =>
      counterTotal((await exchange(port, ca, 'GET', '/metrics')).text, 'vouch_registry_requests_total');

    const pod = await admit(
      `A Pod running ${signed} (tag only): verified, and the kubelet is pinned to the verified digest`,
      'mutate',
      review('CREATE', workload('Pod', 'web', signed)),
    );
    const deployment = workload('Deployment', 'web', signed);
    const fromGit = await admit(
      'The Deployment behind it, as Flux or Argo CD applies it from Git: verified, never rewritten',
      'mutate',
      review('CREATE', deployment),
    );
    const before = await registryRequests();
    const reconcile = await admit(
      "Flux's server-side dry-run of the same Deployment on its next reconcile (UPDATE, image unchanged)",
      'mutate',
      review('UPDATE', deployment, { dryRun: true }),
    );
    context.say(
      `  registry requests for it: ${(await registryRequests()) - before} (answered from the verdict cache)`,
    );
    const denied = await admit(
      `A Pod running the unsigned ${unsigned}: denied, with the image and the reason`,
      'validate',
      review('CREATE', workload('Pod', 'canary', unsigned)),
    );
    if (
      !pod.allowed ||
      !pod.patch ||
      !fromGit.allowed ||
      fromGit.patch ||
      !reconcile.allowed ||
      denied.allowed
    )
      throw new Error('the webhook did not answer as the policy says');
  } finally {
    await webhook?.stop();
  }

  context.say('\nThe same checks over a GitOps repository, before anything reaches a cluster:');
  const manifests = 'cluster.yaml';
  await writeFile(
    join(workDir, manifests),
    [workload('Deployment', 'web', signed), workload('Deployment', 'canary', unsigned)]
      .map((object) => JSON.stringify(object))
      .join('\n---\n'),
  );
  await context.vouch(['audit', '--policy', policyFile, manifests], { expectCode: 1 });
}
