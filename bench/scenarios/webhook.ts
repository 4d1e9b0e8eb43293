/**
 * Issue 6: the admission webhook on loopback over HTTPS, each figure beside its floor in the same run.
 *
 * 1. Warm throughput and latency: AdmissionReviews for a Deployment with 3 containers whose verdicts
 *    are all cached, driven by autocannon (a child process) against `vouch webhook` (the built CLI, a
 *    child process) and against the floor — a bare fastify HTTPS server (a child process too) that
 *    parses the same review and answers a constant response. Rounds alternate between the two.
 * 2. Cold: the same review with an empty cache, sent over HTTPS by a keep-alive node:https client (as
 *    lean as the floor's), against the registry requests it needs made by a bare keep-alive node:http
 *    client (three images at once, as the webhook checks them).
 * 3. Reconcile storm: 500 Deployments re-applied as Flux's server-side dry-run does (UPDATE, dryRun,
 *    unchanged images), registry requests per round: Git pins digests; Git has tags (the tag cache
 *    expired since the last round, the usual case with a reconcile interval of minutes); and with the
 *    cache disabled, as policy-controller runs.
 *
 * Run as `node dist/bench/scenarios/webhook.js --floor-server PORT CERT KEY` it is the floor server.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import { type CacheBackend, CacheMetrics, type CacheStats, MemoryCache } from '../../src/cache/index.js';
import { generateWebhookCertificates } from '../../src/gates/admission/certs.js';
import type { CheckerFactory } from '../../src/gates/admission/policy-watcher.js';
import { startWebhookServer, type WebhookServer } from '../../src/gates/admission/server.js';
import { PolicyEngine, singleClient } from '../../src/policy/engine/index.js';
import { loadPolicies } from '../../src/policy/index.js';
import type { ImageChecker } from '../../src/policy/verdict.js';
import { MANIFEST_ACCEPT, RegistryClient } from '../../src/registry/index.js';
import { legacyTag, type PrivateKey, parsePrivateKey, signLegacy } from '../../src/signature/index.js';
import { mapConcurrent } from '../../src/util/semaphore.js';
import {
  buildImage,
  freePort,
  type ManagedProcess,
  pushArtifact,
  startProcess,
  startRegistry,
  type TestRegistry,
  tempDir,
  VOUCH_BIN,
  waitFor,
} from '../../test/harness/index.js';
import { BareClient, JsonPoster } from '../floor.js';
import { type BenchRow, median, round, type Scenario } from '../lib.js';

const SERVICE = 'vouch-webhook';
const NAMESPACE = 'vouch-system';
const SERVER_NAME = `${SERVICE}.${NAMESPACE}.svc`;

/** Warm throughput: rounds per server, seconds each, connections. */
const THROUGHPUT_ROUNDS = 6;
const THROUGHPUT_SECONDS = 4;
const CONNECTIONS = 16;
/** Latency at a fixed rate. */
const FIXED_RATE = 1000;
const RATE_ROUNDS = 3;
const RATE_SECONDS = 6;
/** Cold admissions, each against the floor (registry latency varies widely from one request to the next). */
const COLD_ITERATIONS = 240;
/** Reconcile storm. */
const STORM_DEPLOYMENTS = 500;
const STORM_IMAGES = 25;
const STORM_CONCURRENCY = 8;
/** The tag cache's lifetime in the storm, short so that a round can start after it expired. */
const STORM_TAG_TTL_MS = 2000;

// ------------------------------------------------------------------ the floor server (a child process)

/** A bare fastify HTTPS server: parses the review (fastify's JSON parser) and answers a constant. */
async function floorServer(port: number, certFile: string, keyFile: string): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  const app = Fastify({ https: { cert, key }, bodyLimit: 3 * 1024 * 1024 });
  const answer = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: 'constant', allowed: true },
  });
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    if (typeof request.body !== 'object' || request.body === null) throw new Error('no review');
    return reply.type('application/json').send(answer);
  };
  app.post('/validate', handler);
  app.post('/mutate', handler);
  app.get('/readyz', async () => ({ status: 'ready' }));
  await app.listen({ port, host: '127.0.0.1' });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

// ------------------------------------------------------------------ reviews

interface BenchImage {
  repository: string;
  tag: string;
  digest: string;
}

const reference = (registry: string, image: BenchImage, pinned: boolean) =>
  `${registry}/${image.repository}:${image.tag}${pinned ? `@${image.digest}` : ''}`;

/** A Deployment as Flux's kustomize-controller applies it (metadata, managedFields, a full pod spec). */
export function deployment(name: string, images: readonly string[]): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: 'shop',
      uid: randomUUID(),
      resourceVersion: '48151623',
      generation: 7,
      creationTimestamp: '2026-01-01T10:00:00Z',
      labels: {
        'app.kubernetes.io/name': name,
        'app.kubernetes.io/part-of': 'shop',
        'kustomize.toolkit.fluxcd.io/name': 'apps',
        'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
      },
      annotations: { 'deployment.kubernetes.io/revision': '7' },
      managedFields: [
        {
          manager: 'kustomize-controller',
          operation: 'Apply',
          apiVersion: 'apps/v1',
          time: '2026-01-01T10:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/name': {} } },
            'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': {} } } },
          },
        },
      ],
    },
    spec: {
      replicas: 3,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': name } },
        spec: {
          containers: images.map((image, index) => ({
            name: ['app', 'sidecar', 'metrics'][index] ?? `c${index}`,
            image,
            imagePullPolicy: 'IfNotPresent',
            ports: [{ containerPort: 8080 + index, protocol: 'TCP' }],
            env: [{ name: 'LOG_LEVEL', value: 'info' }],
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
            readinessProbe: {
              httpGet: { path: '/ready', port: 8080 + index, scheme: 'HTTP' },
              periodSeconds: 5,
            },
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
          })),
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
          schedulerName: 'default-scheduler',
          securityContext: { runAsNonRoot: true },
          terminationGracePeriodSeconds: 30,
        },
      },
    },
    status: { replicas: 3, readyReplicas: 3, observedGeneration: 7 },
  };
}

export function review(
  operation: 'CREATE' | 'UPDATE',
  object: Record<string, unknown>,
  dryRun: boolean,
): Record<string, unknown> {
  const gvk = { group: 'apps', version: 'v1', kind: 'Deployment' };
  const gvr = { group: 'apps', version: 'v1', resource: 'deployments' };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: gvk,
      resource: gvr,
      requestKind: gvk,
      requestResource: gvr,
      name: (object.metadata as { name: string }).name,
      namespace: 'shop',
      operation,
      userInfo: {
        username: 'system:serviceaccount:flux-system:kustomize-controller',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:flux-system', 'system:authenticated'],
      },
      object,
      oldObject: operation === 'UPDATE' ? object : null,
      dryRun,
      options: {
        apiVersion: 'meta.k8s.io/v1',
        kind: operation === 'CREATE' ? 'CreateOptions' : 'PatchOptions',
        fieldManager: 'kustomize-controller',
      },
    },
  };
}

// ------------------------------------------------------------------ processes and load

interface Tls {
  dir: string;
  cert: string;
  key: string;
  ca: string;
  caPem: string;
}

async function writeTls(dir: string): Promise<Tls> {
  const certificates = await generateWebhookCertificates({ service: SERVICE, namespace: NAMESPACE });
  const tls = {
    dir,
    cert: join(dir, 'tls.crt'),
    key: join(dir, 'tls.key'),
    ca: join(dir, 'ca.crt'),
    caPem: certificates.caCert,
  };
  await writeFile(tls.cert, certificates.tlsCert);
  await writeFile(tls.key, certificates.tlsKey);
  await writeFile(tls.ca, certificates.caCert);
  return tls;
}

interface HttpsTarget {
  url: string;
  process: ManagedProcess;
  agent: Agent;
  post(path: string, body: string): Promise<{ status: number; body: Record<string, unknown> }>;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

async function startTarget(args: string[], tls: Tls, port: number): Promise<HttpsTarget> {
  const child = startProcess(process.execPath, args, {
    env: { ...process.env, DOCKER_CONFIG: '/nonexistent-vouch-bench' },
  });
  const url = `https://127.0.0.1:${port}`;
  const agent = new Agent({ connect: { ca: tls.caPem, servername: SERVER_NAME } });
  await waitFor(
    args.join(' '),
    async () => {
      const response = await request(`${url}/readyz`, { dispatcher: agent });
      await response.body.text();
      return response.statusCode === 200;
    },
    20_000,
    () => child.output(),
  );
  return {
    url,
    process: child,
    agent,
    async post(path, body) {
      const response = await request(`${url}${path}`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json' },
        body,
      });
      return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
    },
    async metrics() {
      const response = await request(`${url}/metrics`, { dispatcher: agent });
      return response.body.text();
    },
    async stop() {
      await agent.close();
      await child.stop();
    },
  };
}

interface LoadResult {
  requestsPerSecond: number;
  total: number;
  p50: number;
  p99: number;
  failures: number;
}

/** One autocannon run (as a child process, so it competes for the CPU like any load generator). */
async function autocannon(
  target: HttpsTarget,
  bodyFile: string,
  tls: Tls,
  options: { seconds: number; rate?: number },
): Promise<LoadResult> {
  const bin = createRequire(import.meta.url).resolve('autocannon');
  const args = [
    bin,
    '--json',
    '--no-progress',
    '-c',
    String(CONNECTIONS),
    '-d',
    String(options.seconds),
    '-m',
    'POST',
    '-H',
    'content-type=application/json',
    '-i',
    bodyFile,
    '--ca',
    tls.ca,
    '-s',
    SERVER_NAME,
    ...(options.rate !== undefined ? ['-R', String(options.rate)] : []),
    `${target.url}/validate`,
  ];
  const child = startProcess(process.execPath, args);
  const exit = await new Promise<number | null>((resolve) => child.child.once('exit', resolve));
  if (exit !== 0) throw new Error(`autocannon exited ${exit}: ${child.output()}`);
  const json = child
    .output()
    .split('\n')
    .find((line) => line.startsWith('{'));
  if (!json) throw new Error(`autocannon printed no result: ${child.output()}`);
  const result = JSON.parse(json) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  return {
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.errors + result.timeouts + result.non2xx,
  };
}

/** The sum of a Prometheus counter's samples whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    if (Object.entries(labels).every(([key, value]) => (match[3] ?? '').includes(`${key}="${value}"`)))
      sum += Number(match[4]);
  }
  return sum;
}

// ------------------------------------------------------------------ caches for the storm

/** A cache that keeps nothing: every admission verifies again, as policy-controller does. */
class NoCache implements CacheBackend {
  readonly kind = 'memory';
  readonly metrics = new CacheMetrics();
  async get(): Promise<undefined> {
    return undefined;
  }
  async set(): Promise<void> {}
  stats(): CacheStats {
    return { backend: 'memory', degraded: false, namespaces: this.metrics.snapshot() };
  }
  async close(): Promise<void> {}
}

// ------------------------------------------------------------------ the scenario

/** The webhook server in this process, with the default gate settings and quiet logs. */
function startInProcess(policyDir: string, tls: Tls, factory: CheckerFactory): Promise<WebhookServer> {
  return startWebhookServer({
    policyPaths: [policyDir],
    factory,
    tlsCertFile: tls.cert,
    tlsKeyFile: tls.key,
    port: 0,
    host: '127.0.0.1',
    gate: {
      budgetMs: 9000,
      digestMutation: 'pods',
      enforcement: { audit: false, enforceNamespaces: [], warnNamespaces: [], excludeNamespaces: [] },
    },
    logger: pino({ level: 'warn' }),
    policyPollIntervalMs: 0,
  });
}

async function newKey(): Promise<PrivateKey> {
  const { generateKeyPairSync } = await import('node:crypto');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return parsePrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, async () => '');
}

async function pushSigned(
  client: RegistryClient,
  registry: TestRegistry,
  key: PrivateKey,
  count: number,
): Promise<BenchImage[]> {
  return mapConcurrent(
    Array.from({ length: count }, (_, i) => i),
    4,
    async (i) => {
      const image = buildImage({ seed: `bench-webhook-${i}` });
      const repo = { registry: registry.host, repository: `bench/svc-${i}` };
      await pushArtifact(client, repo, image, 'v1');
      await signLegacy(
        client,
        { ...repo, digest: image.digest, mediaType: image.mediaType, size: image.manifest.byteLength },
        key,
        {},
      );
      return { repository: repo.repository, tag: 'v1', digest: image.digest };
    },
  );
}

export const webhookScenario: Scenario = {
  name: 'webhook',
  async run(): Promise<BenchRow[]> {
    const registry = await startRegistry();
    const setup = new RegistryClient();
    const stops: Array<() => Promise<unknown>> = [];
    try {
      const dir = await tempDir('bench-webhook');
      const tls = await writeTls(dir);
      const key = await newKey();
      const images = await pushSigned(setup, registry, key, STORM_IMAGES);
      const policyDir = join(dir, 'policies');
      await mkdir(policyDir);
      const policyFile = join(policyDir, 'policies.yaml');
      await writeFile(
        policyFile,
        stringify({
          apiVersion: 'policy.sigstore.dev/v1beta1',
          kind: 'ClusterImagePolicy',
          metadata: { name: 'release-signed' },
          spec: {
            images: [{ glob: `${registry.host}/bench/**` }],
            authorities: [{ key: { data: key.publicKey.pem } }],
          },
        }),
      );
      const three = images.slice(0, 3);
      const warmReview = JSON.stringify(
        review(
          'CREATE',
          deployment(
            'storefront',
            three.map((image) => reference(registry.host, image, false)),
          ),
          false,
        ),
      );
      const bodyFile = join(dir, 'review.json');
      await writeFile(bodyFile, warmReview);

      // ---------------------------------------------------------------- 1. warm
      const vouchPort = await freePort();
      const vouch = await startTarget(
        [
          VOUCH_BIN,
          'webhook',
          '--policy',
          policyDir,
          '--tls-cert',
          tls.cert,
          '--tls-key',
          tls.key,
          '--port',
          String(vouchPort),
          '--host',
          '127.0.0.1',
        ],
        tls,
        vouchPort,
      );
      stops.push(() => vouch.stop());
      const floorPort = await freePort();
      const floor = await startTarget(
        [new URL(import.meta.url).pathname, '--floor-server', String(floorPort), tls.cert, tls.key],
        tls,
        floorPort,
      );
      stops.push(() => floor.stop());

      const primed = await vouch.post('/validate', warmReview);
      if ((primed.body.response as { allowed?: boolean })?.allowed !== true)
        throw new Error(`the warm review is not allowed: ${JSON.stringify(primed.body)}`);
      const floorAnswer = await floor.post('/validate', warmReview);
      if (floorAnswer.status !== 200) throw new Error('the floor server does not answer');

      const counts = async () => {
        const text = await vouch.metrics();
        return {
          allowed: sample(text, 'vouch_admission_duration_seconds_count', { verdict: 'allowed' }),
          other:
            sample(text, 'vouch_admission_duration_seconds_count') -
            sample(text, 'vouch_admission_duration_seconds_count', { verdict: 'allowed' }),
          registry: sample(text, 'vouch_registry_requests_total'),
        };
      };
      // Warm-up of both (JIT, TLS session caches), then alternating rounds.
      await autocannon(vouch, bodyFile, tls, { seconds: 2 });
      await autocannon(floor, bodyFile, tls, { seconds: 2 });
      const before = await counts();
      const throughput = { vouch: [] as LoadResult[], floor: [] as LoadResult[] };
      for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
        throughput.floor.push(await autocannon(floor, bodyFile, tls, { seconds: THROUGHPUT_SECONDS }));
        throughput.vouch.push(await autocannon(vouch, bodyFile, tls, { seconds: THROUGHPUT_SECONDS }));
      }
      const atRate = { vouch: [] as LoadResult[], floor: [] as LoadResult[] };
      for (let round = 0; round < RATE_ROUNDS; round++) {
        atRate.floor.push(
          await autocannon(floor, bodyFile, tls, { seconds: RATE_SECONDS, rate: FIXED_RATE }),
        );
        atRate.vouch.push(
          await autocannon(vouch, bodyFile, tls, { seconds: RATE_SECONDS, rate: FIXED_RATE }),
        );
      }
      const after = await counts();
      const vouchRequests = [...throughput.vouch, ...atRate.vouch].reduce((sum, run) => sum + run.total, 0);
      const failures = [...throughput.vouch, ...atRate.vouch, ...throughput.floor, ...atRate.floor].reduce(
        (sum, run) => sum + run.failures,
        0,
      );
      // Every review answered was an admission allowed by the engine (none denied, none skipped).
      const allowedDuringLoad = after.allowed - before.allowed;
      const notAllowed = after.other - before.other;
      const registryDuringLoad = after.registry - before.registry;
      if (failures > 0 || notAllowed > 0 || allowedDuringLoad < vouchRequests)
        throw new Error(
          `warm runs: ${failures} failed requests, ${notAllowed} admissions not allowed, ${allowedDuringLoad} allowed of ${vouchRequests}`,
        );
      const vouchRps = median(throughput.vouch.map((run) => run.requestsPerSecond));
      const floorRps = median(throughput.floor.map((run) => run.requestsPerSecond));
      const vouchP99 = median(atRate.vouch.map((run) => run.p99));
      const floorP99 = median(atRate.floor.map((run) => run.p99));
      await vouch.stop();
      await floor.stop();

      // ---------------------------------------------------------------- 2. cold
      // Every admission meets a new engine over an emptied cache (nothing remembered), on the same
      // keep-alive registry connections the floor's bare client also keeps.
      const policySet = (await loadPolicies([policyFile])).policySet;
      const coldCache = new MemoryCache();
      const coldClient = new RegistryClient();
      stops.push(() => coldClient.close());
      const coldClients = singleClient(coldClient);
      const freshEngine = () => new PolicyEngine({ policySet, clients: coldClients, cache: coldCache });
      let coldEngine = freshEngine();
      const coldChecker: ImageChecker = {
        check: (request, options) => coldEngine.check(request, options),
        peek: (request) => coldEngine.peek(request),
      };
      const coldServer = await startInProcess(policyDir, tls, {
        load: async () => ({ checker: coldChecker, fingerprint: coldEngine.fingerprint }),
        close: async () => undefined,
      });
      stops.push(() => coldServer.close());
      const coldPoster = new JsonPoster(coldServer.url, { ca: tls.caPem, servername: SERVER_NAME });
      stops.push(async () => coldPoster.close());
      const countingBefore = coldClient.stats.snapshot();
      /**
       * Untimed: an emptied cache and an engine that has verified nothing, as a long-running webhook
       * meets an image it has never seen — its policies' fingerprints computed once already (checking
       * an image of another repository the same policies cover, which needs no registry request).
       */
      const emptyCache = async () => {
        await coldCache.close(); // empties it
        coldEngine = freshEngine();
        if (coldEngine.peek({ image: `${registry.host}/bench/never-pushed:v0` }) !== undefined)
          throw new Error('a fresh engine answered from memory');
      };
      const admitCold = async () => {
        const response = await coldPoster.post('/validate', warmReview);
        const answer = JSON.parse(response.body.toString('utf8')) as { response: { allowed: boolean } };
        if (!answer.response.allowed) throw new Error('cold review denied');
      };
      // The registry requests one cold check needs, per image: resolve, the .sig manifest, its layer.
      const sigLayers = await Promise.all(
        three.map(async (image) => {
          const sig = await setup.getManifest({
            registry: registry.host,
            repository: image.repository,
            tag: legacyTag(image.digest, 'sig'),
          });
          return (sig.manifest as { layers: Array<{ digest: string }> }).layers[0]?.digest as string;
        }),
      );
      const bare = new BareClient(registry.url);
      stops.push(async () => bare.close());
      const floorCold = async () => {
        await Promise.all(
          three.map(async (image, index) => {
            const ok = (status: number) => {
              if (status !== 200) throw new Error(`floor request answered ${status}`);
            };
            ok(
              (
                await bare.send('HEAD', `/v2/${image.repository}/manifests/${image.tag}`, {
                  accept: MANIFEST_ACCEPT,
                })
              ).status,
            );
            ok(
              (
                await bare.send(
                  'GET',
                  `/v2/${image.repository}/manifests/${legacyTag(image.digest, 'sig')}`,
                  {
                    accept: MANIFEST_ACCEPT,
                  },
                )
              ).status,
            );
            ok((await bare.send('GET', `/v2/${image.repository}/blobs/${sigLayers[index]}`)).status);
          }),
        );
      };
      await emptyCache();
      await admitCold();
      const coldCounts = coldClient.stats.snapshot();
      const coldRequests = Object.entries(coldCounts.byKind).map(
        ([kind, count]) => `${count - (countingBefore.byKind[kind] ?? 0)} ${kind}`,
      );
      const coldTotal = coldCounts.total - countingBefore.total;
      // The same three checks made by the engine alone (no webhook around it): where the time goes.
      const engineCold = async () => {
        const verdicts = await Promise.all(
          three.map((image) => coldEngine.check({ image: reference(registry.host, image, false) })),
        );
        if (!verdicts.every((verdict) => verdict.allowed)) throw new Error('cold check denied');
      };
      const cold = { vouch: [] as number[], engine: [] as number[], floor: [] as number[] };
      // The three run in turn, each first in a third of the rounds and each after an emptied cache, so
      // that neither the order nor the emptying favours one of them.
      const phases: Array<[keyof typeof cold, () => Promise<void>]> = [
        ['vouch', admitCold],
        ['engine', engineCold],
        ['floor', floorCold],
      ];
      for (let i = -10; i < COLD_ITERATIONS; i++) {
        for (let step = 0; step < phases.length; step++) {
          const [name, phase] = phases[(i + 10 + step) % phases.length] as [
            keyof typeof cold,
            () => Promise<void>,
          ];
          await emptyCache();
          const started = performance.now();
          await phase();
          if (i >= 0) cold[name].push(performance.now() - started); // the first rounds warm up
        }
      }
      const coldMs = median(cold.vouch);
      const coldEngineMs = median(cold.engine);
      const coldFloorMs = median(cold.floor);

      // ---------------------------------------------------------------- 3. reconcile storm
      const storm = async (options: { pinned: boolean; cache: CacheBackend }) => {
        const client = new RegistryClient();
        const factory: CheckerFactory = {
          async load() {
            const engine = new PolicyEngine({
              policySet,
              clients: singleClient(client),
              cache: options.cache,
              tagTtlMs: STORM_TAG_TTL_MS,
            });
            return {
              checker: engine,
              fingerprint: engine.fingerprint,
              resourceSensitive: engine.resourceSensitive,
            };
          },
          close: () => client.close(),
        };
        const server: WebhookServer = await startInProcess(policyDir, tls, factory);
        const agent = new Agent({ connect: { ca: tls.caPem, servername: SERVER_NAME } });
        const objects = Array.from({ length: STORM_DEPLOYMENTS }, (_, i) =>
          deployment(
            `app-${i}`,
            [0, 1, 2].map((c) =>
              reference(registry.host, images[(i * 3 + c) % images.length] as BenchImage, options.pinned),
            ),
          ),
        );
        const round = async (operation: 'CREATE' | 'UPDATE') => {
          const before = client.stats.snapshot();
          await mapConcurrent(objects, STORM_CONCURRENCY, async (object) => {
            const response = await request(`${server.url}/validate`, {
              method: 'POST',
              dispatcher: agent,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(review(operation, object, operation === 'UPDATE')),
            });
            const answer = (await response.body.json()) as { response: { allowed: boolean } };
            if (!answer.response.allowed) throw new Error('storm review denied');
          });
          const after = client.stats.snapshot();
          const heads = (after.byKind['manifest-head'] ?? 0) - (before.byKind['manifest-head'] ?? 0);
          return { requests: after.total - before.total, heads };
        };
        try {
          await round('CREATE'); // the Deployments arrive once
          const reapplied = [];
          for (let i = 0; i < 2; i++) {
            // Flux's interval is minutes, the tag cache's lifetime 30 s: let it expire between rounds.
            await new Promise((resolve) => setTimeout(resolve, STORM_TAG_TTL_MS + 200));
            reapplied.push(await round('UPDATE'));
          }
          return reapplied.reduce((worst, next) => (next.requests > worst.requests ? next : worst));
        } finally {
          await agent.close();
          await server.close();
        }
      };
      const pinnedStorm = await storm({ pinned: true, cache: new MemoryCache() });
      const taggedStorm = await storm({ pinned: false, cache: new MemoryCache() });
      const uncachedStorm = await storm({ pinned: false, cache: new NoCache() });

      const figure = 'Deployment with 3 containers, all verdicts cached, HTTPS on loopback';
      return [
        {
          group: 'webhook',
          figure: `warm throughput, ${figure} (median of ${THROUGHPUT_ROUNDS} × ${THROUGHPUT_SECONDS} s, ${CONNECTIONS} connections, autocannon; ${registryDuringLoad} registry requests during all warm runs)`,
          value: Math.round(vouchRps),
          unit: 'reviews/s',
          reference: {
            label: 'bare fastify HTTPS, JSON.parse, constant answer',
            value: Math.round(floorRps),
          },
          goal: 'at least 70% of the floor',
          met: vouchRps >= 0.7 * floorRps,
        },
        {
          group: 'webhook',
          figure: `p99 latency at a fixed ${FIXED_RATE} reviews/s, ${figure} (median of ${RATE_ROUNDS} × ${RATE_SECONDS} s)`,
          value: round(vouchP99, 2),
          unit: 'ms',
          reference: { label: 'bare fastify HTTPS at the same rate', value: round(floorP99, 2) },
          goal: 'within 1.5x of the floor',
          met: vouchP99 <= 1.5 * floorP99,
        },
        {
          group: 'webhook',
          figure: `cold admission, the same review with an empty cache, sent by a keep-alive node:https client (median of ${COLD_ITERATIONS}; ${coldTotal} registry requests: ${coldRequests.join(', ')})`,
          value: round(coldMs),
          unit: 'ms',
          reference: {
            label: 'the same registry requests, bare node:http keep-alive client, 3 images at once',
            value: round(coldFloorMs),
          },
          goal: 'within 1.3x of the floor',
          met: coldMs <= 1.3 * coldFloorMs,
        },
        {
          group: 'webhook',
          figure: `cold, the same three checks by the policy engine alone, in process (median of ${COLD_ITERATIONS}): the webhook's share of the cold figure is the difference`,
          value: round(coldEngineMs),
          unit: 'ms',
          reference: { label: 'the same registry requests, bare client', value: round(coldFloorMs) },
          goal: 'informational',
          met: true,
        },
        {
          group: 'webhook',
          figure: `reconcile storm: ${STORM_DEPLOYMENTS} Deployments re-applied (UPDATE, dryRun), Git pins digests: registry requests per round`,
          value: pinnedStorm.requests,
          unit: 'requests',
          reference: { label: 'cache disabled (policy-controller)', value: uncachedStorm.requests },
          goal: '0',
          met: pinnedStorm.requests === 0,
        },
        {
          group: 'webhook',
          figure: `reconcile storm, Git has tags (${STORM_IMAGES} distinct), tag cache expired since the last round: registry requests per round (${taggedStorm.heads} HEAD)`,
          value: taggedStorm.requests,
          unit: 'requests',
          reference: { label: 'cache disabled (policy-controller)', value: uncachedStorm.requests },
          goal: `at most 1 HEAD per distinct tag (${STORM_IMAGES})`,
          met: taggedStorm.requests === taggedStorm.heads && taggedStorm.heads <= STORM_IMAGES,
        },
      ];
    } finally {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      await setup.close();
      await registry.stop();
    }
  },
};

if (
  process.argv[1] &&
  import.meta.url === pathToFileURL(process.argv[1]).href &&
  process.argv[2] === '--floor-server'
) {
  const [port, cert, key] = process.argv.slice(3);
  void floorServer(Number(port), cert as string, key as string);
}
