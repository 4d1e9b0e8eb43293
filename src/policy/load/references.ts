/**
 * What `secretRef` and `configMapRef` resolve against. policy-controller reads them from the cluster;
 * vouch reads the same objects from what it is given: `Secret` and `ConfigMap` YAML documents among the
 * policy sources, and a secrets directory laid out as Kubernetes mounts a Secret volume
 * (`DIR/<secret-name>/<key>`, one file per data key).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../../errors.js';
import type { Location, PolicyIssue } from '../errors.js';

/** policy-controller's namespace: where a reference without a namespace points. */
export const CONTROLLER_NAMESPACE = 'cosign-system';

export interface SuppliedObject {
  namespace: string;
  name: string;
  /** Data keys to values (Secret values decoded from base64). */
  data: Record<string, string>;
  /** A Secret's `type` (`kubernetes.io/dockerconfigjson`, …). */
  type?: string;
  /** Where it was read from, for messages. */
  from: string;
  location: Location;
  /** For a secrets directory: the directory the keys were files of. */
  directory?: string;
}

export class SuppliedObjects {
  private readonly objects = new Map<string, SuppliedObject>();

  constructor(readonly kind: 'Secret' | 'ConfigMap') {}

  /** Adds an object; returns the one already there under the same namespace and name, if any. */
  add(object: SuppliedObject): SuppliedObject | undefined {
    const key = `${object.namespace}/${object.name}`;
    const existing = this.objects.get(key);
    if (existing) return existing;
    this.objects.set(key, object);
    return undefined;
  }

  get(namespace: string | undefined, name: string): SuppliedObject | undefined {
    return this.objects.get(`${namespace ?? CONTROLLER_NAMESPACE}/${name}`);
  }

  names(): string[] {
    return [...this.objects.keys()].sort();
  }

  /** Every object with this name, in any namespace: signature pull secrets are named without one. */
  named(name: string): SuppliedObject[] {
    return [...this.objects.values()].filter((object) => object.name === name);
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes standard base64 strictly (line breaks allowed, as Go's decoder allows them). */
export function decodeBase64(value: string): Buffer | undefined {
  const compact = value.replace(/[\r\n]/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

/**
 * Reads a secrets directory: each subdirectory is one Secret in the controller namespace, named after
 * the subdirectory, each regular file in it one data key. Entries starting with ".." are skipped: that
 * is where the kubelet keeps a mounted volume's bookkeeping (`..data`, `..2026_01_01_…`). Keys may
 * start with a single "." — a `kubernetes.io/dockerconfigjson` Secret's only key is `.dockerconfigjson`.
 */
export async function readSecretsDirectory(
  directory: string,
): Promise<{ secrets: SuppliedObject[]; issues: PolicyIssue[] }> {
  const secrets: SuppliedObject[] = [];
  const issues: PolicyIssue[] = [];
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => !isVolumeBookkeeping(name)).sort();
  } catch (error) {
    issues.push({
      code: 'READ',
      source: directory,
      message: `cannot read secrets directory: ${describeError(error)}`,
    });
    return { secrets, issues };
  }
  for (const name of names) {
    const path = join(directory, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    const data: Record<string, string> = {};
    for (const key of (await readdir(path)).filter((entry) => !isVolumeBookkeeping(entry)).sort()) {
      const file = join(path, key);
      const fileInfo = await stat(file).catch(() => undefined);
      if (!fileInfo?.isFile()) continue;
      if (fileInfo.size > 1024 * 1024) {
        issues.push({ code: 'READ', source: file, message: 'secret file is larger than 1 MiB' });
        continue;
      }
      data[key] = await readFile(file, 'utf8');
    }
    secrets.push({
      namespace: CONTROLLER_NAMESPACE,
      name,
      data,
      from: path,
      location: { source: path },
      directory: path,
    });
  }
  return { secrets, issues };
}

/** The kubelet's own entries in a mounted volume, never data. */
function isVolumeBookkeeping(name: string): boolean {
  return name.startsWith('..');
}
