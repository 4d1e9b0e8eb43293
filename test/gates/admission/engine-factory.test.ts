/**
 * The policy engine as the webhook builds it (`createChecker`): one cache kept across policy reloads,
 * a new engine per reload, the replaced one closed once the admissions that started with it are over,
 * and registry requests reported to the webhook's hook. In process, against a real registry.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChecker } from '../../../src/cli/engine-factory.js';
import type { RequestEvent } from '../../../src/registry/index.js';
import { tempDir, waitFor } from '../../harness/index.js';
import { type SignedWorld, startSignedWorld, worldPolicies } from './signed-images.js';

/**
 * Established connections to a loopback port (Linux's /proc/net/tcp): only the engines in this test
 * talk to this registry, so these are their keep-alive connections (idle ones are invisible to Node's
 * own resource list, being unref'd).
 */
async function connectionsTo(port: number): Promise<number> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return table
    .split('\n')
    .slice(1)
    .filter((line) => {
      const fields = line.trim().split(/\s+/);
      return fields[2] === remote && fields[3] === '01';
    }).length;
}

describe('createChecker', () => {
  let world: SignedWorld;
  let policyFile: string;

  beforeAll(async () => {
    world = await startSignedWorld();
    policyFile = join(await tempDir('engine-factory'), 'policies.yaml');
    await writeFile(policyFile, worldPolicies(world));
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('keeps verdicts across reloads, reports every registry request, and closes replaced engines', async () => {
    const events: RequestEvent[] = [];
    const factory = await createChecker({
      cache: { cache: 'memory' },
      global: {},
      onRegistryRequest: (event) => events.push(event),
      retireAfterMs: 50,
    });
    try {
      const port = Number(world.registry.host.split(':')[1]);
      // The harness's readiness probe (fetch) keeps its connection a few seconds: let it go first.
      await waitFor('idle connections to close', async () => (await connectionsTo(port)) === 0);
      const first = await factory.load([policyFile]);
      expect(first.policyCount).toBe(3);
      expect(first.resourceSensitive).toBe(false);
      const verdict = await first.checker.check({ image: world.signed.ref });
      expect(verdict).toMatchObject({ allowed: true, digest: world.signed.digest });
      expect(verdict.cached).toBeUndefined();
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((event) => event.registry === world.registry.host)).toBe(true);
      expect(await connectionsTo(port)).toBeGreaterThan(0);

      // The same policies reloaded: a new engine, the same fingerprint, the same cache.
      const cache = factory.cache;
      const second = await factory.load([policyFile]);
      expect(second.checker).not.toBe(first.checker);
      expect(second.fingerprint).toBe(first.fingerprint);
      expect(factory.cache).toBe(cache);
      expect(factory.current()).toBe(second.checker);
      const requests = events.length;
      const again = await second.checker.check({ image: world.signed.ref });
      expect(again).toMatchObject({ allowed: true, digest: world.signed.digest, cached: true });
      expect(events.length).toBe(requests);

      // The first engine's keep-alive connections are closed once its grace period is over.
      await waitFor('the replaced engine to close', async () => (await connectionsTo(port)) === 0);
    } finally {
      await factory.close();
    }
    expect(factory.current()).toBeUndefined();
    await expect(factory.load([policyFile])).rejects.toThrow(/closed/);
  });

  it('keeps the engine in force when a reload fails', async () => {
    const factory = await createChecker({ cache: { cache: 'memory' }, global: {} });
    try {
      const loaded = await factory.load([policyFile]);
      const broken = join(await tempDir('engine-factory-broken'), 'broken.yaml');
      await writeFile(broken, 'kind: [');
      await expect(factory.load([broken])).rejects.toThrow(/broken\.yaml/);
      expect(factory.current()).toBe(loaded.checker);
      expect((await loaded.checker.check({ image: world.signed.ref })).allowed).toBe(true);
    } finally {
      await factory.close();
    }
  });
});
