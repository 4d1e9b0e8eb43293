/**
 * Loads Flux `ImageRepository` and `ImagePolicy` objects from files and directories (multi-document
 * YAML and Kubernetes `List`s included), validates them strictly and links each policy to its
 * repository. Every problem is reported with file, line and column; all problems are collected before
 * failing, so one run shows them all.
 */
import type { Document } from 'yaml';
import { parseReference } from '../../../reference/index.js';
import { isRecord } from '../../../util/is-record.js';
import { PromoteError, type PromoteErrorCode } from '../errors.js';
import { collectYamlFiles, displayPath, formatLocation, readText, type SourceLocation } from '../files.js';
import { TagPolicy, type TagPolicySpec } from '../tags/policy.js';
import { formatPath, locatePath, parseYamlSource, type YamlSource } from '../yaml-source.js';
import {
  IMAGE_TOOLKIT_GROUP,
  type ImagePolicySpec,
  type ImageRepositorySpec,
  imagePolicyObject,
  imageRepositoryObject,
  SUPPORTED_VERSIONS,
} from './schema.js';

/** Objects without `metadata.namespace` are placed where `flux create image …` puts them. */
export const DEFAULT_NAMESPACE = 'flux-system';

interface ObjectIdentity {
  apiVersion: string;
  namespace: string;
  name: string;
  location: SourceLocation;
}

export interface ImageRepositoryObject extends ObjectIdentity {
  kind: 'ImageRepository';
  spec: ImageRepositorySpec;
  /** Canonical registry host and repository path of `spec.image`. */
  registry: string;
  repository: string;
}

export interface ImagePolicyObject extends ObjectIdentity {
  kind: 'ImagePolicy';
  spec: ImagePolicySpec;
  /** `namespace/name` of the ImageRepository it elects from. */
  repositoryKey: string;
  tagPolicy: TagPolicy;
}

export interface FluxObjects {
  repositories: ReadonlyMap<string, ImageRepositoryObject>;
  policies: ReadonlyMap<string, ImagePolicyObject>;
  /** Fields vouch reads but does not act on, files skipped while scanning, and similar notes. */
  warnings: string[];
}

export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export interface LoadOptions {
  /**
   * Paths the user named explicitly (`--images`): a file that is not valid YAML is an error. When
   * scanning a directory tree by default, such files (Helm templates, say) are skipped with a warning.
   */
  explicit: boolean;
}

interface Candidate {
  source: YamlSource;
  document: Document.Parsed;
  /** Path of the object inside the document (`[]`, or `['items', 3]` in a List). */
  base: (string | number)[];
  value: Record<string, unknown>;
}

function* objectsIn(source: YamlSource): Generator<Candidate> {
  for (const document of source.documents) {
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (!isRecord(value)) continue;
    if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      for (const [index, item] of value.items.entries())
        if (isRecord(item)) yield { source, document, base: ['items', index], value: item };
    } else {
      yield { source, document, base: [], value };
    }
  }
}

export async function loadFluxObjects(paths: readonly string[], options: LoadOptions): Promise<FluxObjects> {
  const errors: { code: PromoteErrorCode; text: string }[] = [];
  const fail = (code: PromoteErrorCode, text: string) => errors.push({ code, text });
  const warnings: string[] = [];
  const repositories = new Map<string, ImageRepositoryObject>();
  const policies = new Map<string, Omit<ImagePolicyObject, 'tagPolicy'>>();
  const policyRefLocations = new Map<string, SourceLocation>();
  /** Repositories that failed validation: policies naming them are not reported again as dangling. */
  const invalidRepositories = new Set<string>();
  let sawAutomation = false;

  for (const path of paths) {
    for (const file of await collectYamlFiles(path)) {
      const source = parseYamlSource(displayPath(file), await readText(file));
      if (source.errors.length) {
        if (options.explicit) for (const error of source.errors) fail('INVALID_OBJECT', error);
        else if (source.text.includes(IMAGE_TOOLKIT_GROUP))
          warnings.push(`skipped ${source.file}: not valid YAML (${source.errors[0]})`);
        continue;
      }
      for (const candidate of objectsIn(source)) {
        const apiVersion = candidate.value.apiVersion;
        if (typeof apiVersion !== 'string') continue;
        const [group, version] = apiVersion.split('/');
        if (group !== IMAGE_TOOLKIT_GROUP) continue;
        const kind = candidate.value.kind;
        if (kind === 'ImageUpdateAutomation') {
          sawAutomation = true;
          continue;
        }
        if (kind !== 'ImageRepository' && kind !== 'ImagePolicy') continue;
        const at = (path: (string | number)[], key = false) =>
          locatePath(source, candidate.document, [...candidate.base, ...path], { key });
        if (!SUPPORTED_VERSIONS.includes(version ?? '')) {
          fail(
            'INVALID_OBJECT',
            `${formatLocation(at(['apiVersion']))}: ${kind} ${apiVersion} is not supported (use ${SUPPORTED_VERSIONS.map((v) => `${IMAGE_TOOLKIT_GROUP}/${v}`).join(' or ')})`,
          );
          continue;
        }
        const schema = kind === 'ImageRepository' ? imageRepositoryObject : imagePolicyObject;
        const parsed = schema.safeParse(candidate.value);
        const metadata = isRecord(candidate.value.metadata) ? candidate.value.metadata : {};
        const label = `${kind} ${typeof metadata.namespace === 'string' ? `${metadata.namespace}/` : ''}${typeof metadata.name === 'string' ? metadata.name : '<unnamed>'}`;
        if (!parsed.success) {
          if (kind === 'ImageRepository' && typeof metadata.name === 'string')
            invalidRepositories.add(
              objectKey(
                typeof metadata.namespace === 'string' ? metadata.namespace : DEFAULT_NAMESPACE,
                metadata.name,
              ),
            );
          for (const issue of parsed.error.issues) {
            const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
            for (const key of keys) {
              const path = key === undefined ? issue.path : [...issue.path, key];
              const fieldPath = path.filter(
                (segment): segment is string | number => typeof segment !== 'symbol',
              );
              const message = key === undefined ? issue.message : `unknown field ${JSON.stringify(key)}`;
              fail(
                'INVALID_OBJECT',
                `${formatLocation(at(fieldPath, key !== undefined))}: ${label}: ${formatPath(fieldPath) || '(object)'}: ${message}`,
              );
            }
          }
          continue;
        }
        const namespace = parsed.data.metadata.namespace ?? DEFAULT_NAMESPACE;
        const name = parsed.data.metadata.name;
        const key = objectKey(namespace, name);
        const identity = { apiVersion, namespace, name, location: at([]) };
        const table: Map<string, { location: SourceLocation }> =
          kind === 'ImageRepository' ? repositories : policies;
        const previous = table.get(key);
        if (previous) {
          fail(
            'DUPLICATE_OBJECT',
            `${formatLocation(identity.location)}: ${kind} ${key} is defined twice (first at ${formatLocation(previous.location)})`,
          );
          continue;
        }
        if (parsed.data.kind === 'ImageRepository') {
          const spec = parsed.data.spec as ImageRepositorySpec;
          const reference = parseReference(spec.image);
          repositories.set(key, {
            kind: 'ImageRepository',
            ...identity,
            spec,
            registry: reference.registry,
            repository: reference.repository,
          });
          warnings.push(...ignoredFields(key, spec));
        } else {
          const spec = parsed.data.spec as ImagePolicySpec;
          const repositoryKey = objectKey(
            spec.imageRepositoryRef.namespace ?? namespace,
            spec.imageRepositoryRef.name,
          );
          policies.set(key, { kind: 'ImagePolicy', ...identity, spec, repositoryKey });
          policyRefLocations.set(key, at(['spec', 'imageRepositoryRef']));
        }
      }
    }
  }

  const linked = new Map<string, ImagePolicyObject>();
  for (const [key, policy] of policies) {
    const repository = repositories.get(policy.repositoryKey);
    if (!repository) {
      if (invalidRepositories.has(policy.repositoryKey)) continue;
      const location = policyRefLocations.get(key) ?? policy.location;
      fail(
        'DANGLING_REFERENCE',
        `${formatLocation(location)}: ImagePolicy ${key}: spec.imageRepositoryRef: ImageRepository ${policy.repositoryKey} is not among the loaded objects`,
      );
      continue;
    }
    linked.set(key, { ...policy, tagPolicy: new TagPolicy(tagPolicySpec(policy.spec, repository.spec)) });
  }

  const [first] = errors;
  if (first) throw new PromoteError(first.code, errors.map((error) => error.text).join('\n'));
  if (sawAutomation)
    warnings.push(
      'ImageUpdateAutomation objects are not read: give the author, message template and push branch as flags',
    );
  return { repositories, policies: linked, warnings };
}

function tagPolicySpec(policy: ImagePolicySpec, repository: ImageRepositorySpec): TagPolicySpec {
  const choice = policy.policy;
  const ordering: TagPolicySpec['ordering'] = choice.semver
    ? { kind: 'semver', range: choice.semver.range }
    : choice.numerical
      ? { kind: 'numerical', order: choice.numerical.order ?? 'asc' }
      : { kind: 'alphabetical', order: choice.alphabetical?.order ?? 'asc' };
  return {
    ordering,
    ...(policy.filterTags && { pattern: policy.filterTags.pattern ?? '' }),
    ...(policy.filterTags?.extract && { extract: policy.filterTags.extract }),
    ...(repository.exclusionList && { exclusionList: repository.exclusionList }),
  };
}

/** Fields of an ImageRepository that only mean something inside a cluster. */
function ignoredFields(key: string, spec: ImageRepositorySpec): string[] {
  const notes: string[] = [];
  const note = (field: string, instead: string) =>
    notes.push(`ImageRepository ${key}: spec.${field} is not used by vouch (${instead})`);
  if (spec.serviceAccountName)
    note('serviceAccountName', 'give credentials with --pull-secrets or --registry-config');
  if (spec.certSecretRef) note('certSecretRef', 'give CA certificates with --ca-file');
  if (spec.proxySecretRef) note('proxySecretRef', 'proxies are not supported');
  if (spec.provider && spec.provider !== 'generic')
    note('provider', 'use a docker credential helper for the registry in --registry-config');
  return notes;
}
