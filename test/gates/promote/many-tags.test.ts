import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitRepository } from '../../../src/gates/promote/git.js';
import { DEFAULT_MESSAGE_TEMPLATE, MessageTemplate } from '../../../src/gates/promote/message.js';
import { runUpdate } from '../../../src/gates/promote/update.js';
import { RegistryClient, type Repository } from '../../../src/registry/index.js';
import { mapConcurrent } from '../../../src/util/semaphore.js';
import {
  buildImage,
  type FakeRegistry,
  pushArtifact,
  startRegistry,
  type TestRegistry,
} from '../../harness/index.js';
import { createRepos, git, StandInChecker } from './helpers.js';
import { startPagingProxy } from './paging-proxy.js';

const TAG_COUNT = 2500;
const PAGE_SIZE = 100;

let registry: TestRegistry;
let pusher: RegistryClient;
let repo: Repository;
let digest: string;
let proxy: FakeRegistry & { tagPages: number };

/**
 * The registry accepts tag PUTs at 6–8 ms each whatever the concurrency (about 15 s for 2,500 on the
 * test machine), so the test pushes the first tags through the API and then seeds the others as the
 * registry itself stores a tag — a copy of the tag's link files in its storage directory (well under a
 * second). Listing and paging are then entirely the real registry's.
 */
async function seedTags(
  storageDir: string,
  repository: string,
  digest: string,
  tags: readonly string[],
): Promise<void> {
  const tagsDir = join(storageDir, 'docker/registry/v2/repositories', repository, '_manifests/tags');
  const hex = digest.slice('sha256:'.length);
  await mapConcurrent(tags, 32, async (tag) => {
    const index = join(tagsDir, tag, 'index/sha256', hex);
    await mkdir(index, { recursive: true });
    await mkdir(join(tagsDir, tag, 'current'), { recursive: true });
    await writeFile(join(index, 'link'), digest);
    await writeFile(join(tagsDir, tag, 'current/link'), digest);
  });
}

beforeAll(async () => {
  registry = await startRegistry();
  pusher = new RegistryClient();
  repo = { registry: registry.host, repository: 'acme/busy' };
  const image = buildImage({ seed: 'busy' });
  digest = await pushArtifact(pusher, repo, image, 'latest');
  const tags = Array.from({ length: TAG_COUNT }, (_, i) => `1.0.${i}`);
  const artefacts = [`sha256-${digest.slice(7)}`, `sha256-${digest.slice(7)}.sig`, '1.0.9999.att'];
  let started = Date.now();
  const viaApi = [...tags.slice(0, 20), ...artefacts];
  await mapConcurrent(viaApi, 16, (tag) => pusher.putManifest(repo, tag, image.manifest, image.mediaType));
  console.info(`pushed ${viaApi.length} tags through the registry API in ${Date.now() - started} ms`);
  started = Date.now();
  await seedTags(registry.storageDir, repo.repository, digest, tags.slice(20));
  console.info(`seeded ${TAG_COUNT - 20} more tags in the registry's storage in ${Date.now() - started} ms`);
  proxy = await startPagingProxy(registry.url);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await pusher?.close();
  await registry?.stop();
});

describe('a repository with 2,500 tags', () => {
  it('is all there, and distribution 2.8 answers it in one piece whatever `n` says', async () => {
    const answer = await fetch(`${registry.url}/v2/acme/busy/tags/list?n=${PAGE_SIZE}`);
    expect(answer.headers.get('link')).toBeNull();
    expect(((await answer.json()) as { tags: string[] }).tags).toHaveLength(TAG_COUNT + 4);
  });

  it('is listed page by page and elects the newest verified tag with few requests', async () => {
    const repos = await createRepos({
      'deploy/images.yaml': `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: { name: busy, namespace: flux-system }
spec: { image: ${proxy.host}/acme/busy, interval: 5m }
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: { name: busy, namespace: flux-system }
spec:
  imageRepositoryRef: { name: busy }
  policy: { semver: { range: ">=1.0.0" } }
`,
      'deploy/app.yaml': `image: ${proxy.host}/acme/busy:1.0.0 # {"$imagepolicy": "flux-system:busy"}\n`,
    });
    const listing = new RegistryClient();
    const verifying = new RegistryClient();
    // Only 1.0.2400 "verifies": the 99 newer tags are rejected first.
    const checker = new StandInChecker(verifying, (tag) =>
      tag === '1.0.2400' ? { allow: true } : { allow: false, reason: 'unsigned' },
    );
    try {
      const repository = await GitRepository.open(repos.work);
      const report = await runUpdate(
        {
          repository,
          scanPath: join(repository.root, 'deploy'),
          messageTemplate: MessageTemplate.parse(DEFAULT_MESSAGE_TEMPLATE),
          dryRun: false,
          tagPageSize: PAGE_SIZE,
          timeoutMs: 30_000,
        },
        { checker: async () => checker, registryFor: async () => listing },
      );
      const policy = report.policies[0];
      const listed = TAG_COUNT + 4; // 2,500 versions, latest, and three artefact tags
      expect(policy?.tags).toMatchObject({
        listed,
        pages: Math.ceil(listed / PAGE_SIZE),
        artefacts: 3,
        candidates: TAG_COUNT,
      });
      expect(policy?.chosen).toMatchObject({ tag: '1.0.2400', digest });
      expect(policy?.rejected).toHaveLength(99);
      expect(policy?.rejected[0]).toMatchObject({ tag: '1.0.2499', reason: 'unsigned' });
      expect(await git(repos.work, 'show', 'HEAD:deploy/app.yaml')).toBe(
        `image: ${proxy.host}/acme/busy:1.0.2400@${digest} # {"$imagepolicy": "flux-system:busy"}`,
      );

      // Requests: the tag pages, one manifest GET to prove the winner pullable, and what the checker
      // made (one HEAD per candidate it saw) — within "tag pages + 4 per examined candidate".
      const pages = Math.ceil(listed / PAGE_SIZE);
      expect(proxy.tagPages).toBe(pages);
      expect(listing.stats.snapshot()).toEqual({
        total: pages + 1,
        byKind: { 'tags-list': pages, 'manifest-get': 1 },
      });
      const examined = policy?.examined ?? 0;
      expect(examined).toBeGreaterThanOrEqual(100);
      // Older candidates may start while the winner is still being verified (four at a time); once the
      // answer is known nothing new starts, and at most three in flight are abandoned uncounted.
      expect(checker.calls.length).toBeLessThanOrEqual(examined + 3);
      expect(listing.stats.total + verifying.stats.total).toBeLessThanOrEqual(pages + 4 * examined);
    } finally {
      await listing.close();
      await verifying.close();
    }
  });
});
