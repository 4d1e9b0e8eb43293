import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mapConcurrent } from '../../src/util/semaphore.js';

/**
 * Creates many tags at once by writing them the way the registry itself stores a tag (its link files
 * under the storage directory), for tests and benchmarks that need thousands of tags: the registry
 * accepts tag PUTs at roughly 6–8 ms each whatever the concurrency. The manifest must already be in
 * the repository (push it first). Listing and paging stay entirely the real registry's.
 */
export async function seedTags(
  storageDir: string,
  repository: string,
  digest: string,
  tags: readonly string[],
): Promise<void> {
  const tagsDir = join(storageDir, 'docker/registry/v2/repositories', repository, '_manifests/tags');
  const [algorithm, hex] = digest.split(':') as [string, string];
  await mapConcurrent(tags, 32, async (tag) => {
    const index = join(tagsDir, tag, 'index', algorithm, hex);
    await mkdir(index, { recursive: true });
    await mkdir(join(tagsDir, tag, 'current'), { recursive: true });
    await writeFile(join(index, 'link'), digest);
    await writeFile(join(tagsDir, tag, 'current', 'link'), digest);
  });
}
