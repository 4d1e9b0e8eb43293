/** What `vouch sign` and `vouch attest` share: which manifests to sign, and one image after another. */
import { describeError } from '../errors.js';
import { formatReference, type ImageReference, repositoryName, withDigest } from '../reference/index.js';
import {
  type Descriptor,
  isIndex,
  isIndexMediaType,
  type RegistryClient,
  RegistryError,
} from '../registry/index.js';
import { SignatureError, type SignTarget } from '../signature/index.js';
import { Deadline } from '../util/deadline.js';
import { ExitCode } from './errors.js';
import { createClient, type GlobalOptions, timeoutMs } from './global-options.js';
import { printLines } from './output.js';

/**
 * Runs `work` for each image, one after another (signing and attesting rewrite shared `.sig`/`.att`
 * manifests and referrer indexes), each with its own deadline. A registry or signature failure is
 * reported for that image and makes the exit code 1; the other images still go on.
 */
export async function forEachImage(
  images: readonly string[],
  refs: readonly ImageReference[],
  options: GlobalOptions,
  verb: string,
  work: (client: RegistryClient, ref: ImageReference, deadline: Deadline) => Promise<void>,
): Promise<ExitCode> {
  const client = await createClient(options);
  const budget = timeoutMs(options);
  let failed = false;
  try {
    for (const [index, ref] of refs.entries()) {
      try {
        await work(client, ref, Deadline.after(budget));
      } catch (error) {
        if (!(error instanceof RegistryError || error instanceof SignatureError)) throw error;
        failed = true;
        await printLines([`vouch: cannot ${verb} ${images[index]}: ${describeError(error)}`], process.stderr);
      }
    }
  } finally {
    await client.close();
  }
  return failed ? ExitCode.NOT_VERIFIED : ExitCode.OK;
}

/** The digest the reference points at, and with `recursive` every manifest below an index. */
export async function signTargets(
  client: RegistryClient,
  ref: ImageReference,
  recursive: boolean,
  deadline: Deadline,
): Promise<Array<{ target: SignTarget; display: string }>> {
  const resolved = await client.resolve(ref, { deadline });
  const repo = { registry: ref.registry, repository: ref.repository };
  let size = resolved.size;
  let children: Descriptor[] = [];
  if (size === 0 || (recursive && isIndexMediaType(resolved.mediaType))) {
    const fetched = await client.getManifest({ ...repo, digest: resolved.digest }, { deadline });
    size = fetched.size;
    if (recursive && isIndex(fetched.manifest)) children = fetched.manifest.manifests;
  }
  const top = {
    target: { ...repo, digest: resolved.digest, mediaType: resolved.mediaType, size },
    display: formatReference(withDigest(ref, resolved.digest)),
  };
  const below: Array<{ target: SignTarget; display: string }> = [];
  for (const child of children) {
    const childRef: ImageReference = { ...repo, digest: child.digest };
    below.push(...(await signTargets(client, childRef, true, deadline)));
  }
  return [
    top,
    ...below.map((entry) => ({ ...entry, display: `${repositoryName(repo)}@${entry.target.digest}` })),
  ];
}
