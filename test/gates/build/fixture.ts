/**
 * What the build gate's registry-backed tests share: a real distribution registry, a signing key (its
 * public half in a file for `--key`), and base images pushed and signed by the project's own signature
 * layer. Images are built by the harness from fixed seeds, so the same name always has the same digest.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text writes ${NAME} literally
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { RegistryClient } from '../../../src/registry/index.js';
import { type ArtefactSigner, type PrivateKey, signLegacy } from '../../../src/signature/index.js';
import { newKey } from '../../engine/helpers.js';
import {
  type BuiltArtifact,
  buildImage,
  buildIndex,
  pushArtifact,
  startRegistry,
  type TestRegistry,
  tempDir,
} from '../../harness/index.js';

export interface Published {
  /** `127.0.0.1:PORT/repository:tag` */
  ref: string;
  /** The digest the tag points to (the index's, for a multi-platform image). */
  digest: string;
  /** For a multi-platform image: the digests of its platform images. */
  platformDigests: string[];
}

export interface PublishOptions {
  /** Who signs the pushed manifest; unsigned when absent. */
  signer?: PrivateKey | ArtefactSigner;
  /** Push a two-platform index instead of a single image. */
  index?: boolean;
  /** The seed of the content (default: the reference without the registry); equal seeds, equal digests. */
  seed?: string;
  /** Write the signature to this repository of the registry instead (cosign's COSIGN_REPOSITORY). */
  signatureRepository?: string;
}

export class BuildFixture {
  private constructor(
    readonly registry: TestRegistry,
    readonly client: RegistryClient,
    /** Signs every "signed" base. */
    readonly key: PrivateKey,
    /** Its public key, PEM, for `--key`. */
    readonly keyFile: string,
    /** A scratch directory for Dockerfiles and policies. */
    readonly dir: string,
  ) {}

  static async start(): Promise<BuildFixture> {
    const [registry, dir, key] = await Promise.all([startRegistry(), tempDir('bases-e2e'), newKey()]);
    const keyFile = join(dir, 'cosign.pub');
    await writeFile(keyFile, key.publicKey.pem);
    return new BuildFixture(registry, new RegistryClient(), key, keyFile, dir);
  }

  get host(): string {
    return this.registry.host;
  }

  /** Pushes `repository:tag` (built from its seed) and signs it when asked. */
  async publish(repositoryAndTag: string, options: PublishOptions = {}): Promise<Published> {
    const colon = repositoryAndTag.lastIndexOf(':');
    const repository = repositoryAndTag.slice(0, colon);
    const tag = repositoryAndTag.slice(colon + 1);
    const seed = `vouch-bases/${options.seed ?? repositoryAndTag}`;
    const artifact: BuiltArtifact = options.index ? buildIndex({ seed }) : buildImage({ seed });
    const repo = { registry: this.host, repository };
    await pushArtifact(this.client, repo, artifact, tag);
    if (options.signer)
      await signLegacy(
        this.client,
        {
          ...repo,
          digest: artifact.digest,
          mediaType: artifact.mediaType,
          size: artifact.manifest.byteLength,
        },
        options.signer,
        {},
        options.signatureRepository === undefined
          ? {}
          : { signatureRepository: { registry: this.host, repository: options.signatureRepository } },
      );
    return {
      ref: `${this.host}/${repositoryAndTag}`,
      digest: artifact.digest,
      platformDigests: artifact.kind === 'index' ? artifact.images.map((image) => image.digest) : [],
    };
  }

  /** Writes a file under the scratch directory (creating nothing else) and returns its path. */
  async file(name: string, text: string): Promise<string> {
    const path = join(this.dir, name);
    await writeFile(path, text);
    return path;
  }

  /** Writes YAML documents (ClusterImagePolicies, a verification config) to a file. */
  async yaml(name: string, ...documents: unknown[]): Promise<string> {
    return this.file(name, documents.map((document) => stringify(document)).join('---\n'));
  }

  /** A ClusterImagePolicy requiring this fixture's key for the images matching `glob`. */
  keyPolicy(name: string, glob: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      apiVersion: 'policy.sigstore.dev/v1beta1',
      kind: 'ClusterImagePolicy',
      metadata: { name },
      spec: { images: [{ glob }], authorities: [{ key: { data: this.key.publicKey.pem } }], ...extra },
    };
  }

  async stop(): Promise<void> {
    await this.client.close();
    await this.registry.stop();
  }
}

/** The base images of `multiStage(ns)`, pushed under `ns/`: all signed but `unsigned:1`. */
export interface MultiStageImages {
  frontend: Published;
  base1: Published;
  base2: Published;
  tools: Published;
  assets: Published;
  runtime: Published;
  unsigned: Published;
}

export async function publishMultiStage(fixture: BuildFixture, ns: string): Promise<MultiStageImages> {
  const signer = fixture.key;
  return {
    frontend: await fixture.publish(`${ns}/frontend:1`, { signer }),
    base1: await fixture.publish(`${ns}/base:1`, { signer }),
    base2: await fixture.publish(`${ns}/base:2`, { signer }),
    tools: await fixture.publish(`${ns}/tools:1`, { signer }),
    assets: await fixture.publish(`${ns}/assets:1`, { signer }),
    runtime: await fixture.publish(`${ns}/runtime:1`, { signer }),
    unsigned: await fixture.publish(`${ns}/unsigned:1`),
  };
}

/**
 * A multi-stage Dockerfile pulling every kind of base image: a `# syntax=` frontend (line 1), a FROM
 * built from two global ARG defaults (line 5: `${REGISTRY}/…/base:${BASE_TAG}`), a `RUN --mount from=`
 * image (line 6, continued on line 7), `scratch` (line 8), a `COPY --from` image (line 9), a FROM of an
 * earlier stage (line 10), a FROM whose whole reference is an ARG default (line 12), `COPY --from` two
 * stage aliases (lines 13, 14), and an unsigned base (line 15).
 */
export function multiStage(host: string, ns: string): string {
  const p = `${host}/${ns}`;
  return [
    `# syntax=${p}/frontend:1`,
    `ARG REGISTRY=${host}`,
    'ARG BASE_TAG=1',
    `ARG RUNTIME=${p}/runtime:1`,
    `FROM \${REGISTRY}/${ns}/base:\${BASE_TAG} AS build`,
    `RUN --mount=type=bind,from=${p}/tools:1,target=/tools \\`,
    '    /tools/build --out /out',
    'FROM scratch AS empty',
    `COPY --from=${p}/assets:1 /assets /assets`,
    'FROM build AS test',
    'RUN make test',
    'FROM ${RUNTIME}',
    'COPY --from=build /out /out',
    'COPY --from=empty /assets /assets',
    `FROM ${p}/unsigned:1 AS extra`,
    '',
  ].join('\n');
}

/** A table row of `vouch bases` split into its cells (FILE:LINE, IMAGE, DIGEST, VERDICT). */
export function tableRows(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.split(/ {2,}/));
}
