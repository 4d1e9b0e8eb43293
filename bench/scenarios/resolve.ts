import { parseReference } from '../../src/reference/index.js';
import { MANIFEST_ACCEPT, RegistryClient } from '../../src/registry/index.js';
import { buildImage, pushArtifact } from '../../test/harness/images.js';
import { startRegistry } from '../../test/harness/registry.js';
import { BareClient } from '../floor.js';
import { type BenchRow, interleave, median, round, type Scenario } from '../lib.js';

/** Issue 2: one resolve — request count, and library latency against a bare keep-alive HEAD. */
export const resolveScenario: Scenario = {
  name: 'resolve',
  async run(): Promise<BenchRow[]> {
    const registry = await startRegistry();
    const client = new RegistryClient();
    const bare = new BareClient(registry.url);
    try {
      const image = buildImage({ seed: 'bench-resolve' });
      await pushArtifact(client, { registry: registry.host, repository: 'bench/app' }, image, 'v1');
      const ref = parseReference(`${registry.host}/bench/app:v1`);

      const cold = new RegistryClient();
      await cold.resolve(ref);
      const requests = cold.stats.snapshot();
      await cold.close();

      const path = '/v2/bench/app/manifests/v1';
      const timings = await interleave(
        () => client.resolve(ref),
        () => bare.send('HEAD', path, { accept: MANIFEST_ACCEPT }),
        400,
        50,
      );
      const ours = median(timings.a);
      const floor = median(timings.b);
      return [
        {
          group: 'resolve',
          figure: 'registry requests for one anonymous resolve',
          value: requests.total,
          unit: 'requests',
          reference: { label: 'HEAD requests among them', value: requests.byKind['manifest-head'] ?? 0 },
          goal: 'exactly 1 HEAD',
          met: requests.total === 1 && requests.byKind['manifest-head'] === 1,
        },
        {
          group: 'resolve',
          figure: 'in-process resolve latency (median of 400)',
          value: round(ours, 3),
          unit: 'ms',
          reference: { label: 'bare keep-alive HEAD', value: round(floor, 3) },
          goal: 'within 1.3x of the floor',
          met: ours <= floor * 1.3,
        },
      ];
    } finally {
      bare.close();
      await client.close();
      await registry.stop();
    }
  },
};
