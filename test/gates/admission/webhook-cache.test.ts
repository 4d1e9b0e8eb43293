/**
 * Whoever can write to the shared Redis cannot make the webhook admit, nor make it read a huge value:
 * forged and oversized entries are refused, the image is verified again, and /metrics counts every
 * refusal (issue 15, items 7 and 15). A real `vouch webhook` process against a real redis-server.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seal } from '../../../src/cache/index.js';
import { startRedis, type TestRedis, tempDir } from '../../harness/index.js';
import { type RunningWebhook, startWebhookProcess } from '../../harness/webhook.js';
import { createMount } from './mounts.js';
import { podSpec, review, workload } from './reviews.js';
import { type SignedWorld, startSignedWorld, worldPolicies } from './signed-images.js';

describe('the webhook’s shared cache under attack', () => {
  let world: SignedWorld;
  let redis: TestRedis;
  let raw: ReturnType<typeof createClient>;
  let webhook: RunningWebhook;

  beforeAll(async () => {
    [world, redis] = await Promise.all([startSignedWorld(), startRedis()]);
    const policyDir = `${await tempDir('webhook-cache')}/policies`;
    await createMount(policyDir, { 'policies.yaml': worldPolicies(world) });
    webhook = await startWebhookProcess({
      policy: [policyDir],
      args: ['--cache', redis.url],
      env: { VOUCH_CACHE_HMAC_KEY: randomBytes(32).toString('hex') },
    });
    raw = createClient({ url: redis.url });
    await raw.connect();
  });
  afterAll(async () => {
    if (raw?.isOpen) await raw.close();
    await webhook?.stop();
    await redis?.stop();
    await world?.stop();
  });

  const pod = (image: string) =>
    review({ kind: 'Pod', operation: 'CREATE', object: workload('Pod', podSpec({ containers: [image] })) });
  const forged = () => webhook.counter('vouch_cache_forged_total', { namespace: 'verdict' });

  it('refuses forged and oversized verdicts, verifies again, and counts them on /metrics', async () => {
    const image = `${world.registry.host}/team/app@${world.unsigned.digest}`;
    expect((await webhook.admit(pod(image))).allowed).toBe(false);
    expect(await webhook.metrics()).toMatch(/^vouch_cache_forged_total\{namespace="verdict"\} 0$/m);
    const [key] = await raw.keys(`vouch:verdict:*:${world.unsigned.digest}`);
    if (key === undefined) throw new Error('the webhook cached no verdict');
    const entryKey = key.slice('vouch:verdict:'.length);
    const allowed = JSON.stringify({
      image,
      digest: world.unsigned.digest,
      allowed: true,
      errors: [],
      warnings: [],
      policies: [{ name: 'release-signed', mode: 'enforce', passed: true, authorities: [] }],
    });

    // An "allowed" sealed with a key that is not the webhook's.
    await raw.set(key, seal(randomBytes(32), 'verdict', entryKey, allowed, Date.now() + 60_000));
    const requests = await webhook.registryRequests();
    const again = await webhook.admit(pod(image));
    expect(again.allowed).toBe(false);
    expect(again.status?.message).toContain('no signatures found');
    expect(await webhook.registryRequests()).toBeGreaterThan(requests);
    expect(await forged()).toBe(1);

    // 50 MB under the same key: refused without being read whole, and the webhook goes on.
    await raw.set(key, 'x'.repeat(50 * 1024 * 1024));
    const denied = await webhook.admit(pod(image));
    expect(denied.allowed).toBe(false);
    expect(await forged()).toBe(2);
    expect(await webhook.peakRssBytes()).toBeLessThan(256 * 1024 * 1024);
    expect((await webhook.admit(pod(world.signed.ref))).allowed).toBe(true);
  });
});
