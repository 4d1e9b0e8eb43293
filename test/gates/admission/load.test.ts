/**
 * The webhook serves the whole cluster, so one request must not starve the rest (issue 15, items 6 and
 * 7). A real `vouch webhook` process, its heap capped as deploy/base caps it, under the loads the issue
 * names: one Pod with 5,000 distinct images, and 16 concurrent maximum-size reviews. What is asserted is
 * behaviour — every review answered before the API server would give up, /healthz and other reviews
 * answered meanwhile, the process alive and inside its Deployment's memory limit. How long things took
 * is measured by `scripts/reliability.ts` and quoted in the README, never asserted here.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sha256Digest } from '../../../src/reference/index.js';
import { tempDir } from '../../harness/index.js';
import { type RunningWebhook, startWebhookProcess } from '../../harness/webhook.js';
import { createMount } from './mounts.js';
import { podSpec, review, workload } from './reviews.js';
import { type SignedWorld, startSignedWorld, worldPolicies } from './signed-images.js';

/** deploy/base's webhook container: its memory limit, and the NODE_OPTIONS (heap cap) it runs with. */
function deployment(): { memoryLimitBytes: number; nodeOptions: string[] } {
  const file = resolve(dirname(fileURLToPath(import.meta.url)), '../../../deploy/base/deployment.yaml');
  const container = parse(readFileSync(file, 'utf8')).spec.template.spec.containers[0];
  const limit = /^(\d+)Mi$/.exec(container.resources.limits.memory)?.[1];
  const options = container.env.find((entry: { name: string }) => entry.name === 'NODE_OPTIONS')?.value;
  if (limit === undefined || typeof options !== 'string')
    throw new Error(`${file}: no memory limit or NODE_OPTIONS`);
  return { memoryLimitBytes: Number(limit) * 1024 * 1024, nodeOptions: options.split(' ') };
}
const { memoryLimitBytes: MEMORY_LIMIT_BYTES, nodeOptions: NODE_OPTIONS } = deployment();
/** deploy/base/webhooks.yaml `timeoutSeconds`: how long the API server waits for an answer. */
const API_SERVER_WAIT_MS = 10_000;
/** The API server's (and the webhook's) body limit. */
const BODY_LIMIT = 3 * 1024 * 1024;

interface Answer {
  status: number;
  body: { response?: { allowed: boolean; status?: { message: string } }; error?: string; message?: string };
}

/** Polls /healthz until stopped; every answer must be 200. */
function pollHealth(webhook: RunningWebhook) {
  let running = true;
  const statuses: number[] = [];
  const done = (async () => {
    while (running) {
      statuses.push(
        await webhook.get('/healthz').then(
          (answer) => answer.status,
          () => 0,
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return async () => {
    running = false;
    await done;
    return statuses;
  };
}

function podReview(images: readonly string[]) {
  return review({
    kind: 'Pod',
    operation: 'CREATE',
    object: workload('Pod', podSpec({ containers: [...images] })),
  });
}

describe('one admission never starves the others', () => {
  let world: SignedWorld;
  let webhook: RunningWebhook;

  beforeAll(async () => {
    world = await startSignedWorld();
    const policyDir = `${await tempDir('webhook-load')}/policies`;
    await createMount(policyDir, { 'policies.yaml': worldPolicies(world) });
    webhook = await startWebhookProcess({ policy: [policyDir], nodeOptions: NODE_OPTIONS });
  });
  afterAll(async () => {
    await webhook?.stop();
    await world?.stop();
  });

  const unsigned = (seed: string) =>
    `${world.registry.host}/team/app@${sha256Digest(`${seed}-${randomUUID()}`)}`;
  const post = (body: unknown) =>
    webhook.post('/validate', body, 'application/json', { waitMs: API_SERVER_WAIT_MS }) as Promise<Answer>;

  it('a Pod with 5,000 distinct images is denied in time; /healthz and a review sent meanwhile are answered', async () => {
    const stopPolling = pollHealth(webhook);
    const crowded = post(podReview(Array.from({ length: 5000 }, (_, i) => unsigned(`fanout-${i}`))));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [big, small] = await Promise.all([crowded, post(podReview([world.signed.ref]))]);
    const health = await stopPolling();

    expect(big.status).toBe(200);
    expect(big.body.response?.allowed).toBe(false);
    expect(big.body.response?.status?.message).toBe(
      'the Pod names more than 100 distinct images (5000 images in all); vouch checks at most 100 for one object, so it is denied unverified',
    );
    // The signed image sent meanwhile is verified, not denied for want of the registry or the budget.
    expect(small.status).toBe(200);
    expect(small.body.response?.allowed).toBe(true);
    expect(health.length).toBeGreaterThan(0);
    expect(health.every((status) => status === 200)).toBe(true);
    expect(await webhook.counter('vouch_denials_total', { reason: 'too-many-images' })).toBe(1);
    // Nothing of the crowded Pod reached the registry.
    expect(await webhook.counter('vouch_timeouts_total')).toBe(0);
  });

  it('the most distinct images an object may name, all cold, are verified in time', async () => {
    const images = Array.from({ length: 99 }, (_, i) => unsigned(`cap-${i}`));
    const verified = (origin: string, result: string) =>
      webhook.counter('vouch_verification_duration_seconds_count', { origin, result });
    const before = await verified('check', 'denied');
    const answer = await post(podReview([...images, world.signed.ref]));
    expect(answer.status).toBe(200);
    expect(answer.body.response?.allowed).toBe(false);
    const message = answer.body.response?.status?.message ?? '';
    expect(message).toContain(`image "${images[0]}" in container "app-0": failed policy: release-signed`);
    expect(message).not.toContain(`image "${world.signed.ref}"`);
    // Every unsigned image was verified and denied for what it is — none for want of time.
    expect((await verified('check', 'denied')) - before).toBe(99);
    expect(await webhook.counter('vouch_timeouts_total')).toBe(0);
  });

  it('16 concurrent maximum-size reviews: each answered or shed with 429, the process alive inside its memory limit', async () => {
    // A Pod of distinct images, as many as fit under the body limit (about 3 MiB).
    const images: string[] = [];
    const perImage =
      JSON.stringify(podReview([unsigned('one')])).length - JSON.stringify(podReview([])).length;
    while ((images.length + 1) * perImage < BODY_LIMIT - 64 * 1024)
      images.push(unsigned(`max-${images.length}`));
    const bodies = Array.from({ length: 16 }, () => JSON.stringify(podReview(images)));
    expect(bodies[0]?.length).toBeLessThan(BODY_LIMIT);

    const stopPolling = pollHealth(webhook);
    const answers = await Promise.all(bodies.map((body) => post(body)));
    const health = await stopPolling();

    for (const answer of answers) {
      if (answer.status === 429) {
        expect(answer.body).toEqual({
          error: 'TOO_MANY_REQUESTS',
          message: 'vouch is already answering 2 AdmissionReviews over 512 KiB; retry',
        });
        continue;
      }
      expect(answer.status).toBe(200);
      expect(answer.body.response?.allowed).toBe(false);
      expect(answer.body.response?.status?.message).toMatch(/names more than 100 distinct images/);
    }
    expect(answers.some((answer) => answer.status === 200)).toBe(true);
    expect(health.every((status) => status === 200)).toBe(true);
    expect(webhook.process.child.exitCode).toBeNull();
    expect(await webhook.peakRssBytes()).toBeLessThan(MEMORY_LIMIT_BYTES);
    expect(await webhook.counter('vouch_admission_shed_total')).toBe(
      answers.filter((answer) => answer.status === 429).length,
    );
    // And it goes on answering ordinary reviews.
    expect((await post(podReview([world.signed.ref]))).body.response?.allowed).toBe(true);
  });
});
