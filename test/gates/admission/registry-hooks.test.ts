/**
 * The webhook learns about registry traffic only through RegistryClient's `onRequest` hook (the
 * engine's client is built with it): these tests feed that hook from a real client talking to the
 * real registry, and to a throttling server for the 429s no real registry sends on demand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookMetrics } from '../../../src/gates/admission/metrics.js';
import { parseReference } from '../../../src/reference/index.js';
import { RegistryClient, RegistryError, RegistryTrouble } from '../../../src/registry/index.js';
import { Deadline } from '../../../src/util/deadline.js';
import {
  buildImage,
  type FakeRegistry,
  pushArtifact,
  startFakeRegistry,
  startRegistry,
  type TestRegistry,
} from '../../harness/index.js';

describe('registry hooks', () => {
  let registry: TestRegistry;
  let throttling: FakeRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: 'anonymous' });
    throttling = await startFakeRegistry((_request, response) => {
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
      response.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"rate limit exceeded"}]}');
    });
  });
  afterAll(async () => {
    await throttling?.stop();
    await registry?.stop();
  });

  function instrumentedClient() {
    const metrics = new WebhookMetrics({ defaultMetrics: false });
    const problems = new RegistryTrouble();
    const client = new RegistryClient({
      onRequest: (event) => {
        metrics.recordRegistryRequest(event);
        problems.record(event);
      },
      retryBaseDelayMs: 10,
    });
    return { metrics, problems, client };
  }

  it('counts registry requests by registry and status', async () => {
    const { metrics, problems, client } = instrumentedClient();
    const pusher = new RegistryClient();
    try {
      const image = buildImage({ seed: 'admission-hooks' });
      await pushArtifact(pusher, { registry: registry.host, repository: 'team/app' }, image, 'v1');
      const since = Date.now();
      await client.resolve(parseReference(`${registry.host}/team/app:v1`));
      await expect(
        client.resolve(parseReference(`${registry.host}/team/app:missing`)),
      ).rejects.toBeInstanceOf(RegistryError);
      const text = await metrics.text();
      expect(text).toContain(`vouch_registry_requests_total{registry="${registry.host}",status="200"} 1`);
      expect(text).toContain(`vouch_registry_requests_total{registry="${registry.host}",status="404"} 1`);
      // A 404 is an answer about the image, not a registry problem that would explain a timeout.
      expect(problems.describe(registry.host, since)).toBeUndefined();
    } finally {
      await client.close();
      await pusher.close();
    }
  });

  it('remembers a throttling registry for the timeout message', async () => {
    const { metrics, problems, client } = instrumentedClient();
    try {
      const since = Date.now();
      await expect(
        client.resolve(parseReference(`${throttling.host}/team/app:v1`), { deadline: Deadline.after(2000) }),
      ).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
      expect(problems.describe(throttling.host, since)).toBe(`registry ${throttling.host} answered 429`);
      expect(await metrics.text()).toMatch(
        new RegExp(`vouch_registry_requests_total\\{registry="${throttling.host}",status="429"\\} [1-9]`),
      );
    } finally {
      await client.close();
    }
  });
});
