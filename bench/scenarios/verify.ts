import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseReference } from '../../src/reference/index.js';
import { MANIFEST_ACCEPT, RegistryClient } from '../../src/registry/index.js';
import {
  ImageArtefacts,
  legacyTag,
  type PrivateKey,
  parsePrivateKey,
  signLegacy,
} from '../../src/signature/index.js';
import { mapConcurrent } from '../../src/util/semaphore.js';
import { keyAuthority } from '../../src/verify/authority.js';
import { verifySignatures } from '../../src/verify/signatures.js';
import { buildImage, pushArtifact, startRegistry, tempDir } from '../../test/harness/index.js';
import { type BenchRow, interleave, median, round, type Scenario } from '../lib.js';

const run = promisify(execFile);
const VOUCH = fileURLToPath(new URL('../../../bin/vouch', import.meta.url));
const MANY = 200;

/** One HTTP request on a keep-alive agent, body read to the end. */
function httpRequest(
  agent: Agent,
  host: string,
  method: 'GET' | 'HEAD',
  path: string,
  accept?: string,
): Promise<void> {
  const [hostname, port] = host.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, hostname, port: Number(port), method, path, headers: accept ? { accept } : {} },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`${path}: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * `vouch verify` of key-signed legacy images against a local distribution registry:
 * - a cold verification of one image (new client, tag to resolve): its registry requests, and its
 *   latency against the floor of the same HTTP requests made by a bare node:http keep-alive client,
 *   interleaved in the same run;
 * - 200 images in one `vouch verify` against 200 sequential one-image runs of the CLI.
 */
export const verifyScenario: Scenario = {
  name: 'verify',
  async run(): Promise<BenchRow[]> {
    const registry = await startRegistry();
    const setup = new RegistryClient();
    try {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      const key: PrivateKey = await parsePrivateKey(pem, async () => '');
      const dir = await tempDir('bench-verify');
      const pub = join(dir, 'cosign.pub');
      await writeFile(pub, key.publicKey.pem);
      const authority = keyAuthority({ keys: [key.publicKey] });

      const images = Array.from({ length: MANY }, (_, i) => buildImage({ seed: `bench-verify-${i}` }));
      const repo = { registry: registry.host, repository: 'bench/app' };
      await mapConcurrent(images, 8, async (image, i) => {
        await pushArtifact(setup, repo, image, `v${i}`);
        await signLegacy(
          setup,
          { ...repo, digest: image.digest, mediaType: image.mediaType, size: image.manifest.byteLength },
          key,
          {},
        );
      });
      const first = images[0];
      if (!first) throw new Error('no image');
      const ref = parseReference(`${registry.host}/bench/app:v0`);
      const sig = await setup.getManifest({ ...repo, tag: legacyTag(first.digest, 'sig') });
      const payloadDigest = (sig.manifest as { layers: Array<{ digest: string }> }).layers[0]
        ?.digest as string;

      let requests = 0;
      const vouchCold = async () => {
        const client = new RegistryClient();
        try {
          const { digest } = await client.resolve(ref);
          const outcome = await verifySignatures(new ImageArtefacts(client, { ...repo, digest }), authority);
          if (!outcome.passed) throw new Error(outcome.reason);
          requests = client.stats.total;
        } finally {
          await client.close();
        }
      };
      const floor = async () => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        try {
          await httpRequest(agent, registry.host, 'HEAD', '/v2/bench/app/manifests/v0', MANIFEST_ACCEPT);
          await httpRequest(
            agent,
            registry.host,
            'GET',
            `/v2/bench/app/manifests/${legacyTag(first.digest, 'sig')}`,
            MANIFEST_ACCEPT,
          );
          await httpRequest(agent, registry.host, 'GET', `/v2/bench/app/blobs/${payloadDigest}`);
        } finally {
          agent.destroy();
        }
      };
      const timings = await interleave(vouchCold, floor, 200, 20);
      const vouchMs = median(timings.a);
      const floorMs = median(timings.b);

      const refs = images.map((_, i) => `${registry.host}/bench/app:v${i}`);
      const cli = (args: string[]) =>
        run(process.execPath, [VOUCH, 'verify', '--key', pub, ...args], { maxBuffer: 16 * 1024 * 1024 });
      await cli([refs[0] as string]); // warm the file cache for both
      let started = performance.now();
      const together = await cli(refs);
      const oneCommandMs = performance.now() - started;
      if (together.stdout.trim().split('\n').length !== MANY) throw new Error('not every image was verified');
      started = performance.now();
      for (const one of refs) await cli([one]);
      const sequentialMs = performance.now() - started;

      return [
        {
          group: 'verify',
          figure: 'registry requests, cold key verify of one legacy-signed tag (resolve included)',
          value: requests,
          unit: 'requests',
          goal: 'at most 4',
          met: requests <= 4,
        },
        {
          group: 'verify',
          figure: 'cold key verify of one legacy-signed tag, in process (median of 200)',
          value: round(vouchMs),
          unit: 'ms',
          reference: { label: 'same requests, bare node:http keep-alive client', value: round(floorMs) },
          goal: 'within 1.3x of the floor',
          met: vouchMs <= 1.3 * floorMs,
        },
        {
          group: 'verify',
          figure: `${MANY} signed images in one vouch verify`,
          value: round(oneCommandMs),
          unit: 'ms',
          reference: { label: `${MANY} sequential one-image vouch verify runs`, value: round(sequentialMs) },
          goal: 'at least 8x faster',
          met: sequentialMs >= 8 * oneCommandMs,
        },
      ];
    } finally {
      await setup.close();
      await registry.stop();
    }
  },
};
