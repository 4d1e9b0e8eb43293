/**
 * Whether an image can actually be pulled, by digest: its manifest and, for an index, every platform
 * manifest must be fetchable. A registry that refuses (for instance a vulnerability-scanning proxy
 * answering 403 with a message) makes the image not pullable, with the registry's own words.
 */
import { describeError } from '../../errors.js';
import {
  isIndexMediaType,
  type RegistryClient,
  RegistryError,
  type Repository,
} from '../../registry/index.js';
import type { Deadline } from '../../util/deadline.js';

/** Index entries that are not images to run (buildx attestation manifests). */
function isAttestationEntry(annotations: Record<string, string> | undefined): boolean {
  return annotations?.['vnd.docker.reference.type'] === 'attestation-manifest';
}

export type Pullability = { pullable: true; manifests: number } | { pullable: false; message: string };

export async function checkPullable(
  registry: Pick<RegistryClient, 'getManifest'>,
  repository: Repository,
  digest: string,
  options: { deadline: Deadline },
): Promise<Pullability> {
  let fetched = 0;
  const fetch = async (manifestDigest: string) => {
    const result = await registry.getManifest({ ...repository, digest: manifestDigest }, options);
    fetched++;
    return result;
  };
  try {
    const top = await fetch(digest);
    if (isIndexMediaType(top.mediaType) && 'manifests' in top.manifest) {
      for (const entry of top.manifest.manifests) {
        if (isAttestationEntry(entry.annotations)) continue;
        await fetch(entry.digest);
      }
    }
    return { pullable: true, manifests: fetched };
  } catch (error) {
    if (error instanceof RegistryError) {
      const said = error.registryMessage;
      return {
        pullable: false,
        message: said && !error.message.includes(said) ? `${error.message}: ${said}` : error.message,
      };
    }
    return { pullable: false, message: describeError(error) };
  }
}
