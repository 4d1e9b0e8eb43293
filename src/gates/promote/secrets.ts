/**
 * Registry credentials for ImageRepository `spec.secretRef`: Kubernetes Secret manifests of type
 * `kubernetes.io/dockerconfigjson` (or the older `kubernetes.io/dockercfg`), as `kubectl create
 * secret docker-registry … --dry-run=client -o yaml` writes them, read from the files and directories
 * given with `--pull-secrets`. A secret is matched by namespace and name; its `auths` are used for
 * that repository only, ahead of the credentials of `--registry-config`.
 */
import { z } from 'zod';
import type { DockerConfig } from '../../registry/index.js';
import { PromoteError } from './errors.js';
import { collectYamlFiles, displayPath, formatLocation, readText } from './files.js';
import { DEFAULT_NAMESPACE, objectKey } from './flux/load.js';
import { formatPath, locatePath, parseYamlSource } from './yaml-source.js';

export interface PullSecret {
  namespace: string;
  name: string;
  config: DockerConfig;
  /** Where it was read from, for messages. */
  source: string;
}

const secretSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().min(1).optional() }),
  type: z.enum(['kubernetes.io/dockerconfigjson', 'kubernetes.io/dockercfg']),
  data: z.record(z.string(), z.string()).optional(),
  stringData: z.record(z.string(), z.string()).optional(),
});

const authEntry = z.looseObject({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
});
const auths = z.record(z.string(), authEntry);

function decodeBase64(value: string): string | undefined {
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

export async function loadPullSecrets(paths: readonly string[]): Promise<Map<string, PullSecret>> {
  const secrets = new Map<string, PullSecret>();
  const errors: string[] = [];
  for (const path of paths) {
    for (const file of await collectYamlFiles(path)) {
      const source = parseYamlSource(displayPath(file), await readText(file));
      errors.push(...source.errors);
      for (const document of source.documents) {
        const value: unknown = document.toJS();
        if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== 'Secret')
          continue;
        const at = (fieldPath: (string | number)[]) =>
          formatLocation(locatePath(source, document, fieldPath));
        const parsed = secretSchema.safeParse(value);
        if (!parsed.success) {
          for (const issue of parsed.error.issues) {
            const fieldPath = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
            errors.push(`${at(fieldPath)}: Secret: ${formatPath(fieldPath) || '(object)'}: ${issue.message}`);
          }
          continue;
        }
        const secret = parsed.data;
        const dockerconfigjson = secret.type === 'kubernetes.io/dockerconfigjson';
        const key = dockerconfigjson ? '.dockerconfigjson' : '.dockercfg';
        const raw =
          secret.stringData?.[key] ??
          (secret.data?.[key] !== undefined ? decodeBase64(secret.data[key]) : undefined);
        const field = secret.stringData?.[key] !== undefined ? ['stringData', key] : ['data', key];
        if (raw === undefined) {
          errors.push(
            `${at(field)}: Secret ${secret.metadata.name}: ${formatPath(field)} is missing or not base64`,
          );
          continue;
        }
        let json: unknown;
        try {
          json = JSON.parse(raw);
        } catch {
          errors.push(`${at(field)}: Secret ${secret.metadata.name}: ${formatPath(field)} is not JSON`);
          continue;
        }
        const entries = auths.safeParse(
          dockerconfigjson ? (json as { auths?: unknown } | null)?.auths : json,
        );
        if (!entries.success) {
          errors.push(
            `${at(field)}: Secret ${secret.metadata.name}: ${formatPath(field)} has no valid "auths"`,
          );
          continue;
        }
        const namespace = secret.metadata.namespace ?? DEFAULT_NAMESPACE;
        const id = objectKey(namespace, secret.metadata.name);
        if (secrets.has(id)) {
          errors.push(`${at([])}: Secret ${id} is defined twice`);
          continue;
        }
        secrets.set(id, {
          namespace,
          name: secret.metadata.name,
          config: { auths: entries.data as DockerConfig['auths'] },
          source: source.file,
        });
      }
    }
  }
  if (errors.length) throw new PromoteError('INVALID_OBJECT', errors.join('\n'));
  return secrets;
}
