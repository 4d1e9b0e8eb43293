import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import {
  type LoadedPolicies,
  type LoadOptions,
  loadPolicyText,
  PolicyError,
} from '../../src/policy/index.js';

export const PUBLIC_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
  type: 'spki',
  format: 'pem',
}) as string;
export const OTHER_PUBLIC_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
  type: 'spki',
  format: 'pem',
}) as string;
export const CERTIFICATE = readFileSync(
  new URL('../fixtures/cosign-real/fulcio_v1.crt.pem', import.meta.url),
  'utf8',
);

export function cip(
  name: string,
  spec: Record<string, unknown>,
  apiVersion = 'policy.sigstore.dev/v1beta1',
): Record<string, unknown> {
  return { apiVersion, kind: 'ClusterImagePolicy', metadata: { name }, spec };
}

export function keyPolicy(
  name: string,
  globs: string[] = ['ghcr.io/org/**'],
  extra: Record<string, unknown> = {},
) {
  return cip(name, {
    images: globs.map((glob) => ({ glob })),
    authorities: [{ key: { data: PUBLIC_KEY } }],
    ...extra,
  });
}

export function yamlDocuments(...documents: unknown[]): string {
  return documents.map((document) => stringify(document)).join('---\n');
}

export async function load(text: string, options?: LoadOptions): Promise<LoadedPolicies> {
  return loadPolicyText(text, 'test.yaml', options);
}

/** The error lines a load fails with (and fails the test if it loads). */
export async function loadErrors(text: string, options?: LoadOptions): Promise<string[]> {
  try {
    await load(text, options);
  } catch (error) {
    if (error instanceof PolicyError) return error.message.split('\n');
    throw error;
  }
  expect.fail('expected the load to fail');
}

/** Loads one policy spec and returns the error lines, each without the location prefix of the document. */
export async function specErrors(
  spec: Record<string, unknown>,
  extraDocuments: unknown[] = [],
): Promise<string[]> {
  const lines = await loadErrors(yamlDocuments(cip('p', spec), ...extraDocuments));
  const prefix = 'test.yaml: document 1 (ClusterImagePolicy "p"): ';
  return lines.map((line) => (line.startsWith(prefix) ? line.slice(prefix.length) : line));
}

export const KEY_AUTHORITY = { key: { data: PUBLIC_KEY } };
export const GLOBS = [{ glob: 'ghcr.io/org/**' }];
