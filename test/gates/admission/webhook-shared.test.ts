/**
 * Two `vouch webhook` processes sharing verdicts through the real redis-server (entries sealed with the
 * HMAC key from VOUCH_CACHE_HMAC_KEY), then the registry stopped: what was verified is still answered
 * from Redis, what was not is denied within the budget, naming the image and the registry problem.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cip, keyAuthority } from '../../engine/helpers.js';
import {
  type FakeRegistry,
  startFakeRegistry,
  startRedis,
  type TestRedis,
  tempDir,
} from '../../harness/index.js';
import { type RunningWebhook, startWebhookProcess } from '../../harness/webhook.js';
import { createMount } from './mounts.js';
import { podSpec, review, workload } from './reviews.js';
import { type SignedWorld, startSignedWorld, worldPolicies } from './signed-images.js';

describe('webhook replicas sharing verdicts through Redis', () => {
  let world: SignedWorld;
  let redis: TestRedis;
  /** Throttles (`/v2/throttled/…`) or never answers (`/v2/stalled/…`): no real registry does either on demand. */
  let misbehaving: FakeRegistry;
  let first: RunningWebhook;
  let second: RunningWebhook;

  beforeAll(async () => {
    [world, redis] = await Promise.all([startSignedWorld(), startRedis()]);
    misbehaving = await startFakeRegistry((request, response) => {
      if (request.url === '/v2/') {
        response.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0' });
        response.end('{}');
      } else if (request.url?.startsWith('/v2/throttled/')) {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '60' });
        response.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"rate limit exceeded"}]}');
      }
      // Anything else: the connection stays open and no answer ever comes.
    });
    const policyDir = `${await tempDir('webhook-shared')}/policies`;
    const throttled = cip('misbehaving-registry', {
      images: [{ glob: `${misbehaving.host}/**` }],
      authorities: [keyAuthority(world.key)],
    });
    await createMount(policyDir, { 'policies.yaml': worldPolicies(world, { extra: [throttled] }) });
    const replica = {
      policy: [policyDir],
      args: ['--cache', redis.url, '--timeout-budget', '3s'],
      env: { VOUCH_CACHE_HMAC_KEY: randomBytes(32).toString('hex') },
    };
    [first, second] = await Promise.all([startWebhookProcess(replica), startWebhookProcess(replica)]);
  });

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await redis?.stop();
    await misbehaving?.stop();
    await world?.stop();
  });

  const pod = (image: string) =>
    review({ kind: 'Pod', operation: 'CREATE', object: workload('Pod', podSpec({ containers: [image] })) });

  it('the second replica answers a digest-pinned image verified by the first, with the registry stopped', async () => {
    const pinned = `${world.signed.ref}@${world.signed.digest}`;
    const verified = await first.admit(pod(pinned), 'mutate');
    expect(verified.allowed).toBe(true);
    expect(await first.registryRequests()).toBeGreaterThan(0);

    await world.registry.stop({ keepStorage: true });

    const shared = await second.admit(pod(pinned), 'mutate');
    expect(shared).toEqual({ uid: expect.any(String), allowed: true });
    expect(await second.registryRequests()).toBe(0);
    expect(await second.counter('vouch_cache_hits_total', { source: 'check' })).toBe(1);
  });

  it('denies within the budget what nobody verified, naming the image and the registry problem', async () => {
    const host = world.registry.host;
    const unreachable = `cannot reach registry ${host}: connect ECONNREFUSED ${host}`;
    const tagged = await second.admit(pod(world.migrate.ref));
    expect(tagged.allowed).toBe(false);
    expect(tagged.status?.message).toBe(
      `image "${world.migrate.ref}" in container "app-0": registry failure while resolving ${world.migrate.ref}: ${unreachable}`,
    );
    const pinned = `${host}/team/debug@${world.debug.digest}`;
    const byDigest = await second.admit(pod(pinned));
    expect(byDigest.allowed).toBe(false);
    expect(byDigest.status?.message).toContain(
      `image "${pinned}" in container "app-0": failed policy: release-signed: signature key validation failed for authority authority-0 for ${pinned}: registry failure while reading the signatures of ${world.debug.digest}: reading the .sig signatures: ${unreachable}`,
    );
    expect(
      await second.counter('vouch_registry_requests_total', { registry: host, status: '0' }),
    ).toBeGreaterThan(0);
    expect(await second.counter('vouch_denials_total', { reason: 'registry' })).toBe(2);
  });

  it('denies within the budget a registry that throttles or stalls, saying which and how', async () => {
    const throttled = `${misbehaving.host}/throttled/app:v1`;
    const tooLong = await first.admit(pod(throttled));
    expect(tooLong.allowed).toBe(false);
    expect(tooLong.status?.message).toBe(
      `image "${throttled}" in container "app-0": registry failure while resolving ${throttled}: registry ${misbehaving.host} answered 429 Too Many Requests (it asked to retry after 60 s, beyond the deadline)`,
    );
    expect(
      await first.counter('vouch_registry_requests_total', { registry: misbehaving.host, status: '429' }),
    ).toBe(1);

    const stalled = `${misbehaving.host}/stalled/app:v1`;
    const late = await first.admit(pod(stalled));
    expect(late.allowed).toBe(false);
    expect(late.status?.message).toBe(
      `image "${stalled}" in container "app-0": verification of ${stalled} did not finish in 3 s: registry ${misbehaving.host} did not answer in time`,
    );
    expect(await first.counter('vouch_timeouts_total')).toBe(1);
    expect(await first.counter('vouch_denials_total', { reason: 'timeout' })).toBe(1);
  });
});
