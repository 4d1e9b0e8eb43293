import { generateKeyPairSync } from 'node:crypto';
import { stringify } from 'yaml';
import { MemoryCache } from '../../src/cache/index.js';
import { PolicyEngine, singleClient } from '../../src/policy/engine/index.js';
import { loadPolicyText } from '../../src/policy/index.js';
import { parseReference } from '../../src/reference/index.js';
import { RegistryClient } from '../../src/registry/index.js';
import { ImageArtefacts, type PrivateKey, parsePrivateKey, signLegacy } from '../../src/signature/index.js';
import { keyAuthority } from '../../src/verify/authority.js';
import { verifySignatures } from '../../src/verify/signatures.js';
import { buildImage, pushArtifact, startRegistry } from '../../test/harness/index.js';
import { type BenchRow, interleave, median, round, type Scenario } from '../lib.js';

const POLICIES = 5;
const AUTHORITIES = 3;
const ITERATIONS = 200;

async function newKey(): Promise<PrivateKey> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return parsePrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, async () => '');
}

/**
 * The policy engine against one key verification, in the same run, on a local distribution registry:
 * one legacy-signed image (signed by three keys) checked cold — new registry client and empty cache,
 * tag resolved — against 5 matching ClusterImagePolicies of 3 key authorities each, versus resolving
 * it and verifying its signatures with one key. Also: the same check answered from the verdict cache.
 */
export const policyScenario: Scenario = {
  name: 'policy',
  async run(): Promise<BenchRow[]> {
    const registry = await startRegistry();
    const setup = new RegistryClient();
    try {
      const keys: PrivateKey[] = [];
      for (let i = 0; i < AUTHORITIES; i++) keys.push(await newKey());
      const image = buildImage({ seed: 'bench-policy' });
      const repo = { registry: registry.host, repository: 'bench/policy' };
      await pushArtifact(setup, repo, image, 'v1');
      for (const key of keys)
        await signLegacy(
          setup,
          { ...repo, digest: image.digest, mediaType: image.mediaType, size: image.manifest.byteLength },
          key,
          {},
        );
      const reference = `${registry.host}/bench/policy:v1`;

      // Five policies that all match the image (different globs), each trusting the same three keys.
      const globs = [
        `${registry.host}/bench/**`,
        `${registry.host}/bench/policy*`,
        '**',
        `${registry.host}/**`,
        `${registry.host}/*/policy:*`,
      ];
      const yaml = globs
        .slice(0, POLICIES)
        .map((glob, i) =>
          stringify({
            apiVersion: 'policy.sigstore.dev/v1beta1',
            kind: 'ClusterImagePolicy',
            metadata: { name: `policy-${i}` },
            spec: {
              images: [{ glob }],
              authorities: keys.map((key, k) => ({ name: `key-${k}`, key: { data: key.publicKey.pem } })),
            },
          }),
        )
        .join('---\n');
      const { policySet } = await loadPolicyText(yaml, 'bench.yaml');
      const authority = keyAuthority({ keys: [(keys[0] as PrivateKey).publicKey] });
      const ref = parseReference(reference);

      let policyRequests = 0;
      // One cache, emptied after every run: cold means nothing cached, not building a new LRU each time.
      const coldCache = new MemoryCache();
      const engineCold = async () => {
        const client = new RegistryClient();
        try {
          const engine = new PolicyEngine({
            policySet,
            clients: singleClient(client),
            cache: coldCache,
          });
          const verdict = await engine.check({ image: reference });
          if (!verdict.allowed || verdict.policies.length !== POLICIES)
            throw new Error(verdict.errors.join('; '));
          policyRequests = client.stats.total;
        } finally {
          await client.close();
          await coldCache.close();
        }
      };
      let keyRequests = 0;
      const keyCold = async () => {
        const client = new RegistryClient();
        try {
          const { digest } = await client.resolve(ref);
          const outcome = await verifySignatures(new ImageArtefacts(client, { ...repo, digest }), authority);
          if (!outcome.passed) throw new Error(outcome.reason);
          keyRequests = client.stats.total;
        } finally {
          await client.close();
        }
      };
      const cold = await interleave(engineCold, keyCold, ITERATIONS, 20);
      const engineMs = median(cold.a);
      const keyMs = median(cold.b);

      // Warm: one engine, verdict cached; every check after the first is answered from the cache.
      const warmClient = new RegistryClient();
      const warm = new PolicyEngine({
        policySet,
        clients: singleClient(warmClient),
        cache: new MemoryCache(),
      });
      await warm.check({ image: reference });
      const warmRequestsBefore = warmClient.stats.total;
      const warmTimes = await interleave(
        async () => {
          const verdict = await warm.check({ image: reference });
          if (!verdict.cached) throw new Error('not from the cache');
        },
        keyCold,
        ITERATIONS,
        20,
      );
      const warmRequests = warmClient.stats.total - warmRequestsBefore;
      await warmClient.close();

      const figure = `${POLICIES} matching policies × ${AUTHORITIES} key authorities, one image, cold (resolve included)`;
      return [
        {
          group: 'policy',
          figure: `registry requests, ${figure}`,
          value: policyRequests,
          unit: 'requests',
          reference: { label: 'one key verification of the same image', value: keyRequests },
          goal: 'the same as one key verification',
          met: policyRequests === keyRequests,
        },
        {
          group: 'policy',
          figure: `latency, ${figure} (median of ${ITERATIONS})`,
          value: round(engineMs),
          unit: 'ms',
          reference: { label: 'one key verification of the same image', value: round(keyMs) },
          goal: 'within 1.5x of one key verification',
          met: engineMs <= 1.5 * keyMs,
        },
        {
          group: 'policy',
          figure: `latency, the same check answered from the verdict cache (median of ${ITERATIONS}; ${warmRequests} registry requests)`,
          value: round(median(warmTimes.a), 3),
          unit: 'ms',
          reference: { label: 'one cold key verification', value: round(median(warmTimes.b)) },
          goal: 'no registry request, faster than a cold key verification',
          met: warmRequests === 0 && median(warmTimes.a) < median(warmTimes.b),
        },
      ];
    } finally {
      await setup.close();
      await registry.stop();
    }
  },
};
