import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitRepository } from '../../../src/gates/promote/git.js';
import { DEFAULT_MESSAGE_TEMPLATE, MessageTemplate } from '../../../src/gates/promote/message.js';
import { runUpdate } from '../../../src/gates/promote/update.js';
import { RegistryClient, type Repository } from '../../../src/registry/index.js';
import { mapConcurrent } from '../../../src/util/semaphore.js';
import { buildImage, pushArtifact, seedTags, startRegistry, type TestRegistry } from '../../harness/index.js';
import { createRepos, git, StandInChecker } from './helpers.js';

const TAG_COUNT = 2500;
const PAGE_SIZE = 100;

let registry: TestRegistry;
let pusher: RegistryClient;
let repo: Repository;
let digest: string;

beforeAll(async () => {
  registry = await startRegistry({ pageTags: PAGE_SIZE });
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
  // The registry takes tag PUTs at 6–8 ms each: push a few through the API, seed the rest in its storage.
  await seedTags(registry.storageDir, repo.repository, digest, tags.slice(20));
  console.info(`seeded ${TAG_COUNT - 20} more tags in the registry's storage in ${Date.now() - started} ms`);
}, 60_000);

afterAll(async () => {
  await pusher?.close();
  await registry?.stop();
});

describe('a repository with 2,500 tags', () => {
  it('is all there, and distribution 2.8 answers it in one piece whatever `n` says', async () => {
    const answer = await fetch(`${registry.upstreamUrl}/v2/acme/busy/tags/list?n=${PAGE_SIZE}`);
    expect(answer.headers.get('link')).toBeNull();
    expect(((await answer.json()) as { tags: string[] }).tags).toHaveLength(TAG_COUNT + 4);
  });

  it('is listed page by page and elects the newest verified tag with few requests', async () => {
    const repos = await createRepos({
      'deploy/images.yaml': `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: { name: busy, namespace: flux-system }
spec: { image: ${registry.host}/acme/busy, interval: 5m }
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: { name: busy, namespace: flux-system }
spec:
  imageRepositoryRef: { name: busy }
  policy: { semver: { range: ">=1.0.0" } }
`,
      'deploy/app.yaml': `image: ${registry.host}/acme/busy:1.0.0 # {"$imagepolicy": "flux-system:busy"}\n`,
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
        `image: ${registry.host}/acme/busy:1.0.2400@${digest} # {"$imagepolicy": "flux-system:busy"}`,
      );

      // Requests: the tag pages, one manifest GET to prove the winner pullable, and what the checker
      // made (one HEAD per candidate it saw) — within "tag pages + 4 per examined candidate".
      const pages = Math.ceil(listed / PAGE_SIZE);
      expect(registry.tagPagesServed()).toBe(pages);
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
