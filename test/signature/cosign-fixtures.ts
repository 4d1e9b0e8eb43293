import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Digest } from '../../src/reference/index.js';
import type { Descriptor } from '../../src/registry/index.js';
import type { LegacyLayerArtefact } from '../../src/signature/index.js';

/** Real-cosign signatures from containers/image (see test/fixtures/cosign-real/README.md). */
export const FIXTURES = fileURLToPath(new URL('../fixtures/cosign-real/', import.meta.url));

export interface FixtureSignature {
  mimeType: string;
  payload: Buffer;
  annotations: Record<string, string>;
}

/** A `signature-N` file: NUL, `sigstore-json`, newline, then `{mimeType, payload, annotations}`. */
export function readFixtureSignature(path: string): FixtureSignature {
  const bytes = readFileSync(path);
  const prefix = Buffer.from('\0sigstore-json\n');
  if (!bytes.subarray(0, prefix.length).equals(prefix))
    throw new Error(`${path} is not a sigstore-json signature`);
  const json = JSON.parse(bytes.subarray(prefix.length).toString('utf8')) as {
    mimeType: string;
    payload: string;
    annotations: Record<string, string>;
  };
  return {
    mimeType: json.mimeType,
    payload: Buffer.from(json.payload, 'base64'),
    annotations: json.annotations,
  };
}

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

export interface FixtureCase {
  name: string;
  /** The signed image manifest's bytes, when the case has one. */
  manifest?: Buffer;
  signatures: FixtureSignature[];
}

export function readCase(name: string): FixtureCase {
  const dir = join(FIXTURES, name);
  const files = readdirSync(dir);
  const signatures = files
    .filter((file) => /^signature-\d+$/.test(file))
    .sort()
    .map((file) => readFixtureSignature(join(dir, file)));
  return {
    name,
    ...(files.includes('manifest.json') && { manifest: readFileSync(join(dir, 'manifest.json')) }),
    signatures,
  };
}

/** The layer descriptor a `.sig` manifest would carry for a signature. */
export function fixtureDescriptor(signature: FixtureSignature): Descriptor {
  return {
    mediaType: signature.mimeType,
    digest: sha256Digest(signature.payload),
    size: signature.payload.byteLength,
    annotations: signature.annotations,
  };
}

/** The signature as discovery hands it to a verifier: the layer and its fetched blob. */
export function fixtureLayer(signature: FixtureSignature): LegacyLayerArtefact {
  return { descriptor: fixtureDescriptor(signature), blob: { ok: true, value: signature.payload } };
}
