import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { createImageChecker, type ImageCheckerHandle } from '../../src/cli/checker.js';
import {
  AccessPool,
  DEFAULT_MESSAGE_TEMPLATE,
  GitRepository,
  MessageTemplate,
  RegistryClients,
  runUpdate,
  TagPolicy,
} from '../../src/gates/promote/index.js';
import { loadPolicyText } from '../../src/policy/index.js';
import { anonymous, RegistryClient, type Repository } from '../../src/registry/index.js';
import { type PrivateKey, parsePrivateKey, signLegacy } from '../../src/signature/index.js';
import { Deadline } from '../../src/util/deadline.js';
import { mapConcurrent } from '../../src/util/semaphore.js';
import {
  type BuiltImage,
  buildImage,
  pushArtifact,
  seedTags,
  startRegistry,
  type TestRegistry,
  tempDir,
} from '../../test/harness/index.js';
import { type BenchRow, interleave, median, round, type Scenario } from '../lib.js';

const run = promisify(execFile);
const VOUCH = fileURLToPath(new URL('../../../bin/vouch', import.meta.url));

const TAG_COUNT = 10_000;
/** The newest tags are unsigned, each a distinct image; the next one is the newest signed. */
const UNSIGNED = 50;
/** Tags per page, as a registry pages them (`startRegistry({pageTags})`); vouch asks for as many. */
const PAGE_SIZE = 1000;
/** Candidates verified at once, by vouch and by the two references alike. */
const CONCURRENCY = 4;
const TIMEOUT_MS = 60_000;
const ITERATIONS = 5;
const NAIVE_ITERATIONS = 2;

/** Registry requests and wall time of one approach, and the tag it elected. */
interface Measured {
  requests: number;
  pages: number;
  picked?: string;
  examined: number;
  ms: number;
}

async function newKey(): Promise<PrivateKey> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return parsePrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, async () => '');
}

async function sign(client: RegistryClient, repo: Repository, image: BuiltImage, key: PrivateKey) {
  await signLegacy(
    client,
    { ...repo, digest: image.digest, mediaType: image.mediaType, size: image.manifest.byteLength },
    key,
    {},
  );
}

const tagOf = (patch: number) => `1.0.${patch}`;

async function git(cwd: string, ...args: string[]): Promise<void> {
  await run('git', args, { cwd });
}

/**
 * Issue 7: `vouch update` on a repository of 10,000 tags (pages of 1,000) whose 50 newest are
 * unsigned distinct images and whose 51st is signed, against verifying every tag (a naive gate) and
 * against checking only the newest candidate (Argo CD Image Updater's approach), in the same run. All
 * three list the tags the same way, order them with the same ImagePolicy and verify with the same
 * engine (cold: new clients and an empty cache for every run), `CONCURRENCY` candidates at a time.
 */
export const updateScenario: Scenario = {
  name: 'update',
  async run(): Promise<BenchRow[]> {
    const registry = await startRegistry({ pageTags: PAGE_SIZE });
    const setup = new RegistryClient();
    try {
      return await measure(registry, setup);
    } finally {
      await setup.close();
      await registry.stop();
    }
  },
};

async function measure(registry: TestRegistry, setup: RegistryClient): Promise<BenchRow[]> {
  const repo = { registry: registry.host, repository: 'bench/busy' };
  const key = await newKey();
  const newest = TAG_COUNT - 1;
  const winnerPatch = newest - UNSIGNED;
  await mapConcurrent(
    Array.from({ length: UNSIGNED }, (_, i) => newest - i),
    8,
    (patch) => pushArtifact(setup, repo, buildImage({ seed: `bench-update-${patch}` }), tagOf(patch)),
  );
  const winner = buildImage({ seed: 'bench-update-winner' });
  await pushArtifact(setup, repo, winner, tagOf(winnerPatch));
  await sign(setup, repo, winner, key);
  // The older versions are one signed image of their own (seeded: tag PUTs cost 6–8 ms each).
  const old = buildImage({ seed: 'bench-update-old' });
  await pushArtifact(setup, repo, old, tagOf(0));
  await sign(setup, repo, old, key);
  await seedTags(
    registry.storageDir,
    repo.repository,
    old.digest,
    Array.from({ length: winnerPatch - 1 }, (_, i) => tagOf(i + 1)),
  );

  const dir = await tempDir('bench-update');
  const policyYaml = stringify({
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: { name: 'release' },
    spec: { images: [{ glob: `${registry.host}/**` }], authorities: [{ key: { data: key.publicKey.pem } }] },
  });
  const { policySet } = await loadPolicyText(policyYaml, 'release.yaml');
  const emptyConfig = join(dir, 'docker-config.json');
  await writeFile(emptyConfig, '{}');
  await writeFile(join(dir, 'release.pub'), key.publicKey.pem);
  const global = { registryConfig: emptyConfig };

  // A Git working tree with the Flux objects and one marked Deployment pinning the oldest version.
  const work = join(dir, 'work');
  await run('git', ['init', '--quiet', '--initial-branch=main', work]);
  await git(work, 'config', 'user.name', 'bench');
  await git(work, 'config', 'user.email', 'bench@example.test');
  await git(work, 'config', 'commit.gpgsign', 'false');
  const flux = `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: { name: busy, namespace: flux-system }
spec: { image: ${registry.host}/bench/busy, interval: 5m }
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: { name: busy, namespace: flux-system }
spec:
  imageRepositoryRef: { name: busy }
  policy: { semver: { range: ">=1.0.0" } }
`;
  await writeFile(join(work, 'images.yaml'), flux);
  await writeFile(
    join(work, 'deploy.yaml'),
    `image: ${registry.host}/bench/busy:${tagOf(0)}@${old.digest} # {"$imagepolicy": "flux-system:busy"}\n`,
  );
  await git(work, 'add', '.');
  await git(work, 'commit', '--quiet', '-m', 'initial');
  const repository = await GitRepository.open(work);
  const tagPolicy = new TagPolicy({ ordering: { kind: 'semver', range: '>=1.0.0' } });

  /** Fresh registry clients and a fresh engine (as the CLI builds them), counting every request. */
  const fresh = () => {
    let engineRequests = 0;
    const clients = new RegistryClients(async (settings) => new RegistryClient(settings), {
      credentials: anonymous,
      insecureRegistries: [],
    });
    const engines = new AccessPool<ImageCheckerHandle>((access) =>
      createImageChecker({
        policySet,
        global,
        onRegistryRequest: () => {
          engineRequests++;
        },
        ...(access.credentials && { registryAccess: { credentials: access.credentials } }),
      }),
    );
    return {
      clients,
      engines,
      requests: async () => engineRequests,
      close: () => Promise.all([clients.close(), engines.close()]),
    };
  };

  /** What each reference does before verifying: list every page and order the candidates. */
  const listAndRank = async (listing: RegistryClient) => {
    const tags: string[] = [];
    for await (const page of listing.tagPages(repo, {
      pageSize: PAGE_SIZE,
      deadline: Deadline.after(TIMEOUT_MS),
    }))
      tags.push(...page);
    return tagPolicy.rank(tags).candidates.map((candidate) => candidate.tag);
  };

  let lastVouch: Measured | undefined;
  const vouch = async () => {
    const pagesBefore = registry.tagPagesServed();
    const started = performance.now();
    const { clients, engines, requests, close } = fresh();
    let listing: RegistryClient | undefined;
    try {
      const report = await runUpdate(
        {
          repository,
          scanPath: work,
          messageTemplate: MessageTemplate.parse(DEFAULT_MESSAGE_TEMPLATE),
          dryRun: true,
          concurrency: CONCURRENCY,
          tagPageSize: PAGE_SIZE,
          timeoutMs: TIMEOUT_MS,
        },
        {
          checker: async (image, secret) => (await engines.for(image, secret)).checker,
          registryFor: async (image, secret) => {
            listing = await clients.registryFor(image, secret);
            return listing;
          },
        },
      );
      const ms = performance.now() - started;
      const policy = report.policies[0];
      lastVouch = {
        requests: (listing?.stats.total ?? 0) + (await requests()),
        pages: registry.tagPagesServed() - pagesBefore,
        ...(policy?.chosen && { picked: policy.chosen.tag }),
        examined: policy?.examined ?? 0,
        ms,
      };
    } finally {
      await close();
    }
  };

  /** Verifies a list of candidates with the engine, `CONCURRENCY` at a time; the newest allowed wins. */
  const reference = async (choose: (candidates: string[]) => string[]): Promise<Measured> => {
    const pagesBefore = registry.tagPagesServed();
    const started = performance.now();
    const listing = new RegistryClient();
    let engineRequests = 0;
    const engine = await createImageChecker({
      policySet,
      global,
      onRegistryRequest: () => {
        engineRequests++;
      },
    });
    try {
      const candidates = choose(await listAndRank(listing));
      const verdicts = await mapConcurrent(candidates, CONCURRENCY, (tag) =>
        engine.checker.check(
          { image: `${registry.host}/bench/busy:${tag}` },
          { deadline: Deadline.after(TIMEOUT_MS) },
        ),
      );
      const index = verdicts.findIndex((verdict) => verdict.allowed);
      const ms = performance.now() - started;
      return {
        requests: listing.stats.total + engineRequests,
        pages: registry.tagPagesServed() - pagesBefore,
        ...(index >= 0 && { picked: candidates[index] }),
        examined: verdicts.length,
        ms,
      };
    } finally {
      await listing.close();
      await engine.close();
    }
  };

  let lastNewest: Measured | undefined;
  const newestOnly = async () => {
    lastNewest = await reference((candidates) => candidates.slice(0, 1));
  };
  const timed = await interleave(vouch, newestOnly, ITERATIONS, 1);
  const naiveRuns: Measured[] = [];
  for (let i = 0; i < NAIVE_ITERATIONS; i++) naiveRuns.push(await reference((candidates) => candidates));

  // The command itself, once more through the CLI (node start-up included), as a user runs it.
  const cliTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await run(
      process.execPath,
      [VOUCH, 'update', '--key', join(dir, 'release.pub'), '--dry-run', '-o', 'json'],
      {
        cwd: work,
        env: { ...process.env, DOCKER_CONFIG: dir },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    cliTimes.push(performance.now() - started);
  }

  const ours = lastVouch as Measured;
  const newestRun = lastNewest as Measured;
  const naive = naiveRuns[naiveRuns.length - 1] as Measured;
  const expected = tagOf(winnerPatch);
  const bound = ours.pages + 4 * ours.examined;
  const vouchMs = median(timed.a);
  const setupLabel = `${TAG_COUNT.toLocaleString('en')} tags in pages of ${PAGE_SIZE}, ${UNSIGNED} newest unsigned, the ${UNSIGNED + 1}st signed`;
  return [
    {
      group: 'update',
      figure: `tag elected (${setupLabel}; position among candidates, newest = 1; 0 = none)`,
      value: ours.picked === expected ? UNSIGNED + 1 : 0,
      unit: 'position',
      reference: { label: 'newest only (Argo CD Image Updater)', value: newestRun.picked ? 1 : 0 },
      goal: `picks the ${UNSIGNED + 1}st (${expected}); newest-only picks nothing`,
      met: ours.picked === expected && newestRun.picked === undefined,
    },
    {
      group: 'update',
      figure: `registry requests, vouch update in process (${ours.pages} tag pages, ${ours.examined} candidates examined)`,
      value: ours.requests,
      unit: 'requests',
      reference: {
        label: `verify every tag (${naive.examined} candidates, ${CONCURRENCY} at a time, elects ${naive.picked ?? 'nothing'})`,
        value: naive.requests,
      },
      goal: `at most tag pages + 4 per examined candidate (${bound})`,
      met: ours.requests <= bound,
    },
    {
      group: 'update',
      figure: 'registry requests, vouch update in process',
      value: ours.requests,
      unit: 'requests',
      reference: { label: 'newest only (1 candidate, elects nothing)', value: newestRun.requests },
      goal: 'informative: newest-only is cheap because it gives up',
      met: true,
    },
    {
      group: 'update',
      figure: `wall time, vouch update in process, dry run (median of ${ITERATIONS})`,
      value: round(vouchMs),
      unit: 'ms',
      reference: {
        label: `verify every tag (median of ${NAIVE_ITERATIONS})`,
        value: round(median(naiveRuns.map((measured) => measured.ms))),
      },
      goal: 'under 3 s',
      met: vouchMs < 3000,
    },
    {
      group: 'update',
      figure: `wall time, vouch update in process, dry run (median of ${ITERATIONS})`,
      value: round(vouchMs),
      unit: 'ms',
      reference: { label: 'newest only', value: round(median(timed.b)) },
      goal: 'informative',
      met: true,
    },
    {
      group: 'update',
      figure:
        'wall time, `vouch update --key … --dry-run -o json` through the CLI, node start-up included (median of 3)',
      value: round(median(cliTimes)),
      unit: 'ms',
      goal: 'under 3 s',
      met: median(cliTimes) < 3000,
    },
  ];
}
