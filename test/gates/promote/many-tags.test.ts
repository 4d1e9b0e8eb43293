/**
 * A repository with 2,500 tags, listed in pages by the registry, where the 99 newest versions are
 * unsigned distinct images: the real engine verifies candidates newest first until the newest signed
 * one, and the whole round stays within "tag pages + 4 requests per candidate started".
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitRepository } from '../../../src/gates/promote/git.js';
import { DEFAULT_MESSAGE_TEMPLATE, MessageTemplate } from '../../../src/gates/promote/message.js';
import { runUpdate } from '../../../src/gates/promote/update.js';
import { RegistryClient, type Repository } from '../../../src/registry/index.js';
import type { PrivateKey } from '../../../src/signature/index.js';
import { mapConcurrent } from '../../../src/util/semaphore.js';
import { buildImage, pushArtifact, seedTags, startRegistry, type TestRegistry } from '../../harness/index.js';
import { createRepos, engineFor, git, keyPolicy, newKey, RecordingChecker, signArtifact } from './helpers.js';

const TAG_COUNT = 2500;
const PAGE_SIZE = 100;
/** The newest signed version; every newer one is an unsigned image of its own. */
const WINNER = 2400;

let registry: TestRegistry;
let pusher: RegistryClient;
let repo: Repository;
let key: PrivateKey;
let winnerDigest: string;

beforeAll(async () => {
  registry = await startRegistry({ pageTags: PAGE_SIZE });
  pusher = new RegistryClient();
  repo = { registry: registry.host, repository: 'acme/busy' };
  key = await newKey();
  let started = Date.now();
  const unsigned = Array.from({ length: TAG_COUNT - 1 - WINNER }, (_, i) => WINNER + 1 + i);
  await mapConcurrent(unsigned, 8, (patch) =>
    pushArtifact(pusher, repo, buildImage({ seed: `busy-${patch}` }), `1.0.${patch}`),
  );
  const winner = buildImage({ seed: 'busy-winner' });
  winnerDigest = await pushArtifact(pusher, repo, winner, `1.0.${WINNER}`);
  await signArtifact(pusher, repo, winner, key);
  const old = buildImage({ seed: 'busy-old' });
  const oldDigest = await pushArtifact(pusher, repo, old, '1.0.0');
  await signArtifact(pusher, repo, old, key);
  // Artefact tags that are never versions: a referrers tag-schema index tag and an attestation tag.
  const unrelated = `sha256-${createHash('sha256').update('unrelated').digest('hex')}`;
  for (const tag of [unrelated, '1.0.9999.att'])
    await pusher.putManifest(repo, tag, old.manifest, old.mediaType);
  console.info(`pushed ${unsigned.length + 2} images through the registry API in ${Date.now() - started} ms`);
  started = Date.now();
  // The registry takes tag PUTs at 6–8 ms each: the older versions are seeded in its storage.
  const older = Array.from({ length: WINNER - 1 }, (_, i) => `1.0.${i + 1}`);
  await seedTags(registry.storageDir, repo.repository, oldDigest, older);
  console.info(`seeded ${older.length} more tags in the registry's storage in ${Date.now() - started} ms`);
}, 120_000);

afterAll(async () => {
  await pusher?.close();
  await registry?.stop();
});

describe('a repository with 2,500 tags', () => {
  /** 2,500 versions, two `.sig` tags, and the two artefact tags. */
  const listed = TAG_COUNT + 4;

  it('is all there, and distribution 2.8 answers it in one piece whatever `n` says', async () => {
    const answer = await fetch(`${registry.upstreamUrl}/v2/acme/busy/tags/list?n=${PAGE_SIZE}`);
    expect(answer.headers.get('link')).toBeNull();
    expect(((await answer.json()) as { tags: string[] }).tags).toHaveLength(listed);
  });

  it('is listed page by page and elects the newest signed tag, verifying only what it must', async () => {
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
    const verifying = engineFor(await keyPolicy('release', `${registry.host}/**`, key));
    const checker = new RecordingChecker(verifying.engine);
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
      const pages = Math.ceil(listed / PAGE_SIZE);
      expect(policy?.tags).toMatchObject({ listed, pages, artefacts: 4, candidates: TAG_COUNT });
      expect(policy?.chosen).toMatchObject({ tag: `1.0.${WINNER}`, digest: winnerDigest });
      expect(policy?.rejected).toHaveLength(TAG_COUNT - 1 - WINNER);
      expect(policy?.rejected.every((rejected) => rejected.reason === 'unsigned')).toBe(true);
      expect(policy?.rejected[0]).toMatchObject({ tag: '1.0.2499', reason: 'unsigned' });
      expect(await git(repos.work, 'show', 'HEAD:deploy/app.yaml')).toBe(
        `image: ${registry.host}/acme/busy:1.0.${WINNER}@${winnerDigest} # {"$imagepolicy": "flux-system:busy"}`,
      );

      // Requests: the tag pages and one manifest GET to prove the winner pullable (the listing client),
      // and what the engine made for the candidates it verified. Candidates are verified four at a time,
      // so up to three older ones may have started before the winner was known (then cancelled).
      expect(registry.tagPagesServed()).toBe(pages);
      expect(listing.stats.snapshot()).toEqual({
        total: pages + 1,
        byKind: { 'tags-list': pages, 'manifest-get': 1 },
      });
      const examined = policy?.examined ?? 0;
      const started = checker.calls.length;
      // Every newer candidate and the winner have verdicts; an older one may have finished first.
      expect(examined).toBeGreaterThanOrEqual(TAG_COUNT - WINNER);
      expect(started).toBeGreaterThanOrEqual(examined);
      expect(started).toBeLessThanOrEqual(TAG_COUNT - WINNER + 3);
      expect(checker.tags).toEqual(Array.from({ length: started }, (_, i) => `1.0.${TAG_COUNT - 1 - i}`));
      expect(verifying.client.stats.total).toBeLessThanOrEqual(4 * started);
      expect(listing.stats.total + verifying.client.stats.total).toBeLessThanOrEqual(pages + 4 * started);
      console.info(
        `${pages} tag pages, ${examined} candidates examined (${started} started), ${listing.stats.total + verifying.client.stats.total} registry requests in all`,
      );
    } finally {
      await listing.close();
      await verifying.close();
    }
  });
});
