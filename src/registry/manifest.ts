import { isDigest } from '../reference/index.js';
import { RegistryError } from './errors.js';
import type { Manifest } from './media-types.js';

/**
 * The shape rules, written out rather than as a zod schema: every admission of a tag-only image parses
 * a `.sig` manifest on its cold path, and there zod's generic machinery cost over 100 µs per manifest
 * (measured in the webhook benchmark's profile) against a few µs for these checks. The rules are the
 * OCI image spec's, as zod had them: unknown fields allowed, `null` never standing in for an absent
 * optional field.
 */
function shapeError(path: string, message: string): RegistryError {
  // The registry is named by parseManifest, which rewraps this with the whole message.
  return new RegistryError('MANIFEST_INVALID', `${path || 'manifest'}: ${message}`, { registry: '' });
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, path: string): Json {
  if (!isObject(value)) throw shapeError(path, `expected an object, got ${kindOf(value)}`);
  return value;
}

function string(value: unknown, path: string, options: { nonEmpty?: boolean } = {}): string {
  if (typeof value !== 'string') throw shapeError(path, `expected a string, got ${kindOf(value)}`);
  if (options.nonEmpty && value.length === 0) throw shapeError(path, 'must not be empty');
  return value;
}

function optionalString(parent: Json, key: string, path: string): void {
  if (parent[key] !== undefined) string(parent[key], join(path, key));
}

function stringRecord(parent: Json, key: string, path: string): void {
  const value = parent[key];
  if (value === undefined) return;
  const where = join(path, key);
  for (const [name, entry] of Object.entries(object(value, where))) string(entry, join(where, name));
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw shapeError(path, `expected an array, got ${kindOf(value)}`);
  return value;
}

function descriptor(value: unknown, path: string): void {
  const d = object(value, path);
  string(d.mediaType, join(path, 'mediaType'), { nonEmpty: true });
  if (!isDigest(string(d.digest, join(path, 'digest'))))
    throw shapeError(join(path, 'digest'), 'not a valid digest');
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0)
    throw shapeError(join(path, 'size'), `expected a non-negative integer, got ${kindOf(d.size)}`);
  stringRecord(d, 'annotations', path);
  optionalString(d, 'artifactType', path);
  if (d.platform !== undefined) {
    const where = join(path, 'platform');
    const platform = object(d.platform, where);
    string(platform.architecture, join(where, 'architecture'));
    string(platform.os, join(where, 'os'));
    optionalString(platform, 'variant', where);
    optionalString(platform, 'os.version', where);
  }
  if (d.urls !== undefined) {
    const where = join(path, 'urls');
    for (const [index, url] of array(d.urls, where).entries()) string(url, join(where, String(index)));
  }
  optionalString(d, 'data', path);
}

/** Checks an image manifest or an index (chosen by the presence of `manifests`); throws RegistryError MANIFEST_INVALID. */
function checkShape(json: unknown): void {
  const manifest = object(json, '');
  if (manifest.schemaVersion !== 2) throw shapeError('schemaVersion', 'expected 2');
  optionalString(manifest, 'mediaType', '');
  optionalString(manifest, 'artifactType', '');
  if ('manifests' in manifest) {
    for (const [index, entry] of array(manifest.manifests, 'manifests').entries())
      descriptor(entry, `manifests.${index}`);
  } else {
    descriptor(manifest.config, 'config');
    for (const [index, entry] of array(manifest.layers, 'layers').entries())
      descriptor(entry, `layers.${index}`);
  }
  if (manifest.subject !== undefined) descriptor(manifest.subject, 'subject');
  stringRecord(manifest, 'annotations', '');
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'undefined' ? 'nothing' : typeof value;
}

/**
 * Parses manifest bytes strictly enough that later layers can trust the shape: schema version 2,
 * well-formed descriptors with valid digests and sizes. Unknown fields are allowed (OCI permits them).
 */
export function parseManifest(bytes: Uint8Array, registry: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (cause) {
    throw new RegistryError('MANIFEST_INVALID', `manifest from ${registry} is not valid JSON`, {
      registry,
      cause,
    });
  }
  try {
    checkShape(json);
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    throw new RegistryError('MANIFEST_INVALID', `manifest from ${registry} is malformed: ${error.message}`, {
      registry,
      cause: error,
    });
  }
  return json as Manifest;
}
