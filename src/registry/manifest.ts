import { z } from 'zod';
import { isDigest } from '../reference/index.js';
import { RegistryError } from './errors.js';
import type { Manifest } from './media-types.js';

const digest = z.string().refine(isDigest, { message: 'not a valid digest' });

const descriptor = z.looseObject({
  mediaType: z.string().min(1),
  digest,
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
  artifactType: z.string().optional(),
  platform: z
    .looseObject({
      architecture: z.string(),
      os: z.string(),
      variant: z.string().optional(),
      'os.version': z.string().optional(),
    })
    .optional(),
  urls: z.array(z.string()).optional(),
  data: z.string().optional(),
});

const imageManifest = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: descriptor,
  layers: z.array(descriptor),
  subject: descriptor.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const imageIndex = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(descriptor),
  subject: descriptor.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/**
 * Parses manifest bytes strictly enough that later layers can trust the shape: schema version 2,
 * well-formed descriptors with valid digests and sizes. Unknown fields are allowed (OCI permits them).
 */
export function parseManifest(bytes: Uint8Array, registry: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new RegistryError('MANIFEST_INVALID', `manifest from ${registry} is not valid JSON`, {
      registry,
      cause,
    });
  }
  const isIndexShape = typeof json === 'object' && json !== null && 'manifests' in json;
  const result = (isIndexShape ? imageIndex : imageManifest).safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'manifest';
    throw new RegistryError(
      'MANIFEST_INVALID',
      `manifest from ${registry} is malformed: ${where}: ${issue?.message ?? 'invalid'}`,
      {
        registry,
      },
    );
  }
  return result.data as Manifest;
}
