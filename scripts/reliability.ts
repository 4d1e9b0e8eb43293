/**
 * The webhook under the loads of issue 15 (items 6 and 7), measured on a real `vouch webhook` process
 * (the built CLI, started by the test harness) against a real registry on loopback:
 *
 * 1. fan-out: one Pod naming 5,000 distinct images (digest-pinned, unsigned: each would cost three
 *    registry requests), while /healthz is polled every 10 ms and a small review of a signed image is
 *    sent;
 * 2. memory: 16 concurrent maximum-size reviews (a Pod just under the 3 MiB body limit), in a process
 *    whose heap is capped as the Deployment caps it;
 * 3. a 100 MB value written into Redis under a verdict key the webhook then reads.
 *
 * It prints what the README's reliability section quotes: time to answer, the longest event-loop stall
 * the process itself saw (`vouch_nodejs_eventloop_lag_max_seconds`), the longest /healthz wait, peak
 * RSS. `npm run build && node dist/scripts/reliability.js [fanout|memory|redis]...`
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from 'redis';
import { stringify } from 'yaml';
import { sha256Digest } from '../src/reference/index.js';
import { RegistryClient } from '../src/registry/index.js';
import { parsePrivateKey, signLegacy } from '../src/signature/index.js';
import { buildImage, pushArtifact } from '../test/harness/images.js';
import { tempDir } from '../test/harness/processes.js';
import { startRedis } from '../test/harness/redis.js';
import { startRegistry, type TestRegistry } from '../test/harness/registry.js';
import { type RunningWebhook, startWebhookProcess, sumSamples } from '../test/harness/webhook.js';

/** The API server's body limit, which the webhook shares. */
const BODY_LIMIT = 3 * 1024 * 1024;
/** What deploy/base gives the webhook container, and the heap cap that leaves room for the rest. */
const NODE_OPTIONS = [
  '--max-old-space-size=384',
  ...(process.env.RELIABILITY_NODE_OPTIONS ?? '').split(' ').filter(Boolean),
];

function pod(images: readonly string[], name = 'load'): Record<string, unknown> {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'load' },
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'shop' },
        spec: { containers: images.map((image, index) => ({ name: `c-${index}`, image })) },
      },
    },
  };
}

/** A Pod of distinct images, as many as fit just under the body limit. */
function maximumPod(host: string): Record<string, unknown> {
  const images: string[] = [];
  const perImage =
    JSON.stringify({ name: 'c-00000', image: `${host}/team/app@${sha256Digest('x')}` }).length + 1;
  const count = Math.floor((BODY_LIMIT - 4096) / perImage);
  for (let i = 0; i < count; i++) images.push(`${host}/team/app@${sha256Digest(`max-${i}-${randomUUID()}`)}`);
  return pod(images, 'maximum');
}

interface World {
  registry: TestRegistry;
  signed: string;
  policyDir: string;
}

async function world(): Promise<World> {
  const registry = await startRegistry();
  const client = new RegistryClient();
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const key = await parsePrivateKey(
    privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    async () => '',
  );
  const image = buildImage({ seed: `reliability-${randomUUID()}` });
  const repo = { registry: registry.host, repository: 'team/app' };
  await pushArtifact(client, repo, image, 'v1');
  await signLegacy(
    client,
    { ...repo, digest: image.digest, mediaType: image.mediaType, size: image.manifest.byteLength },
    key,
    {},
  );
  await client.close();
  const policyDir = await tempDir('reliability');
  await writeFile(
    join(policyDir, 'policy.yaml'),
    stringify({
      apiVersion: 'policy.sigstore.dev/v1beta1',
      kind: 'ClusterImagePolicy',
      metadata: { name: 'signed' },
      spec: {
        images: [{ glob: `${registry.host}/**` }],
        authorities: [{ key: { data: key.publicKey.pem } }],
      },
    }),
  );
  return { registry, signed: `${registry.host}/team/app:v1`, policyDir };
}

/** Polls /healthz every 10 ms until stopped: how many answers, the longest wait, any failure. */
function pollHealth(webhook: RunningWebhook) {
  let running = true;
  let answered = 0;
  let failed = 0;
  let longestMs = 0;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const { status } = await webhook.get('/healthz');
        if (status === 200) answered++;
        else failed++;
      } catch {
        failed++;
      }
      longestMs = Math.max(longestMs, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return async () => {
    running = false;
    await done;
    return { answered, failed, longestMs };
  };
}

const lagMs = async (webhook: RunningWebhook) =>
  sumSamples(await webhook.metrics(), 'vouch_nodejs_eventloop_lag_max_seconds') * 1000;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work;
  return { value, ms: performance.now() - started };
}

async function fanout(w: World, count = 5000): Promise<void> {
  const webhook = await startWebhookProcess({ policy: [w.policyDir], nodeOptions: NODE_OPTIONS });
  try {
    // The process's first admission loads code; a warm-up review keeps that out of the figures.
    await webhook.post('/validate', pod([`${w.registry.host}/team/app@${sha256Digest(randomUUID())}`]));
    const images = Array.from(
      { length: count },
      (_, i) => `${w.registry.host}/team/app@${sha256Digest(`fanout-${i}-${randomUUID()}`)}`,
    );
    const body = pod(images, 'fanout');
    await lagMs(webhook); // resets the process's own lag histogram
    const stopPolling = pollHealth(webhook);
    const big = timed(webhook.post('/validate', body));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const small = timed(webhook.post('/validate', pod([w.signed], 'small')));
    const [bigDone, smallDone] = await Promise.all([big, small]);
    const health = await stopPolling();
    const answer = (bigDone.value.body as { response?: { allowed: boolean; status?: { message: string } } })
      .response;
    const smallAnswer = (smallDone.value.body as { response?: { allowed: boolean } }).response;
    console.log(`fan-out: one Pod, ${count} distinct images`);
    console.log(
      `  answered: HTTP ${bigDone.value.status} in ${bigDone.ms.toFixed(0)} ms, allowed ${answer?.allowed}`,
    );
    console.log(`  message: ${(answer?.status?.message ?? '').slice(0, 200)}`);
    console.log(
      `  small review sent meanwhile: HTTP ${smallDone.value.status}, allowed ${smallAnswer?.allowed}, ${smallDone.ms.toFixed(0)} ms`,
    );
    console.log(
      `  /healthz: ${health.answered} answered, ${health.failed} failed, longest wait ${health.longestMs.toFixed(0)} ms`,
    );
    console.log(
      `  longest event-loop stall (process's own monitor): ${(await lagMs(webhook)).toFixed(0)} ms`,
    );
    console.log(`  peak RSS: ${mib(await webhook.peakRssBytes())}`);
  } finally {
    await webhook.stop();
  }
}

async function memory(w: World): Promise<void> {
  const webhook = await startWebhookProcess({ policy: [w.policyDir], nodeOptions: NODE_OPTIONS });
  try {
    const bodies = Array.from({ length: 16 }, () => JSON.stringify(maximumPod(w.registry.host)));
    console.log(
      `memory: 16 concurrent reviews of ${mib(bodies[0]?.length ?? 0)} each, heap capped (${NODE_OPTIONS.join(' ')})`,
    );
    console.log(`  peak RSS before: ${mib(await webhook.peakRssBytes())}`);
    await lagMs(webhook);
    const stopPolling = pollHealth(webhook);
    const results = await Promise.all(
      bodies.map((body) =>
        timed(webhook.post('/validate', body)).catch((error: unknown) => ({ error: String(error) })),
      ),
    );
    const health = await stopPolling();
    const statuses = new Map<string, number>();
    let slowest = 0;
    for (const result of results) {
      let label: string;
      if ('error' in result) label = `error ${result.error.slice(0, 60)}`;
      else {
        slowest = Math.max(slowest, result.ms);
        const answer = (result.value.body as { response?: { allowed: boolean } }).response;
        label = `HTTP ${result.value.status}${answer ? (answer.allowed ? ' allowed' : ' denied') : ''}`;
      }
      statuses.set(label, (statuses.get(label) ?? 0) + 1);
    }
    console.log(`  answers: ${[...statuses].map(([label, count]) => `${count} × ${label}`).join(', ')}`);
    console.log(`  slowest answer: ${slowest.toFixed(0)} ms`);
    console.log(
      `  /healthz: ${health.answered} answered, ${health.failed} failed, longest wait ${health.longestMs.toFixed(0)} ms`,
    );
    console.log(`  longest event-loop stall: ${(await lagMs(webhook)).toFixed(0)} ms`);
    console.log(
      `  peak RSS: ${mib(await webhook.peakRssBytes())}; process alive: ${webhook.process.child.exitCode === null}`,
    );
  } finally {
    await webhook.stop();
  }
}

async function redisValue(w: World): Promise<void> {
  const redis = await startRedis();
  const webhook = await startWebhookProcess({
    policy: [w.policyDir],
    nodeOptions: NODE_OPTIONS,
    args: ['--cache', redis.url],
    env: { VOUCH_CACHE_HMAC_KEY: randomBytes(32).toString('hex') },
  });
  const raw = createClient({ url: redis.url });
  await raw.connect();
  try {
    // The webhook writes the verdict key; the test then replaces its value with 100 MB.
    const image = `${w.registry.host}/team/app@${sha256Digest(`redis-${randomUUID()}`)}`;
    await webhook.post('/validate', pod([image]));
    const [key] = await raw.keys('vouch:verdict:*');
    if (key === undefined) throw new Error('the webhook wrote no verdict');
    await raw.set(key, 'x'.repeat(100 * 1024 * 1024));
    const before = await webhook.peakRssBytes();
    const outBefore = Number(/total_net_output_bytes:(\d+)/.exec(await raw.info('stats'))?.[1]);
    const answer = await timed(webhook.post('/validate', pod([image])));
    const outAfter = Number(/total_net_output_bytes:(\d+)/.exec(await raw.info('stats'))?.[1]);
    console.log('redis: a 100 MB value under a verdict key the webhook reads');
    console.log(`  answered: HTTP ${answer.value.status} in ${answer.ms.toFixed(0)} ms`);
    console.log(`  bytes Redis sent for it: ${outAfter - outBefore}`);
    console.log(`  peak RSS: ${mib(before)} before, ${mib(await webhook.peakRssBytes())} after`);
    console.log(
      `  forged entries counted: ${sumSamples(await webhook.metrics(), 'vouch_cache_forged_total')}`,
    );
  } finally {
    await raw.close();
    await webhook.stop();
    await redis.stop();
  }
}

const scenarios: Record<string, (w: World) => Promise<void>> = {
  fanout,
  // The most distinct images an object may name, all cold: the heaviest review that is verified.
  'fanout-100': (w) => fanout(w, 100),
  memory,
  redis: redisValue,
};
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(scenarios);
const w = await world();
try {
  for (const name of chosen) {
    const run = scenarios[name];
    if (!run) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(', ')}`);
    await run(w);
  }
} finally {
  await w.registry.stop();
}
