/**
 * Decides what each document is. A document is ignored only when it is clearly some other Kubernetes
 * object (it has an apiVersion and kind outside policy.sigstore.dev that do not resemble a policy), so
 * that a directory holding a whole deployment can be pointed at. Anything that looks like it was meant
 * for vouch but is not quite right — a typo in the kind, an unknown version, a missing apiVersion — is
 * an error: ignoring it could silently drop a policy and admit what it was written to block.
 */
import type { Location } from '../errors.js';
import { describeValue } from '../schema/common.js';
import type { RawDocument } from './sources.js';

export type DocumentKind = 'ClusterImagePolicy' | 'TrustRoot' | 'Secret' | 'ConfigMap';

export type Classified =
  | {
      type: 'resource';
      kind: DocumentKind;
      value: Record<string, unknown>;
      location: Location;
      raw: RawDocument;
    }
  | { type: 'config'; value: Record<string, unknown>; location: Location; raw: RawDocument }
  | { type: 'ignored'; location: Location; reason: string }
  | { type: 'error'; location: Location; message: string };

const POLICY_GROUPS = new Set(['policy.sigstore.dev', 'cosigned.sigstore.dev']);
export const CIP_API_VERSIONS = ['policy.sigstore.dev/v1beta1', 'policy.sigstore.dev/v1alpha1'];
export const TRUST_ROOT_API_VERSIONS = ['policy.sigstore.dev/v1alpha1'];
/** What `kubectl get … -o yaml` writes for several objects (`List`), and the typed list kinds. */
const LIST_KINDS = new Set([
  'List',
  'ClusterImagePolicyList',
  'TrustRootList',
  'SecretList',
  'ConfigMapList',
]);

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function nameOf(value: Record<string, unknown>): string | undefined {
  const metadata = value.metadata;
  return isMapping(metadata) && typeof metadata.name === 'string' && metadata.name !== ''
    ? metadata.name
    : undefined;
}

/** Classifies a document; `List` objects are expanded into their items. */
export function classify(raw: RawDocument, options: { allowConfig: boolean }): Classified[] {
  const base: Location = { source: raw.source, document: raw.document };
  return classifyValue(raw.value, base, raw, options, true);
}

function classifyValue(
  value: unknown,
  base: Location,
  raw: RawDocument,
  options: { allowConfig: boolean },
  expandLists: boolean,
): Classified[] {
  if (!isMapping(value))
    return [{ type: 'error', location: base, message: 'a document must be a mapping (a Kubernetes object)' }];
  const apiVersion = value.apiVersion;
  const kind = value.kind;
  const name = nameOf(value);
  if (typeof apiVersion === 'string' && typeof kind === 'string' && apiVersion !== '' && kind !== '') {
    const location: Location = { ...base, kind, ...(name !== undefined && { name }) };
    if (expandLists && LIST_KINDS.has(kind) && Array.isArray(value.items)) {
      return value.items.flatMap((item, index) =>
        classifyValue(item, { ...base, item: index }, raw, { allowConfig: false }, false),
      );
    }
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    if (kind === 'ClusterImagePolicy') {
      if (CIP_API_VERSIONS.includes(apiVersion)) return [{ type: 'resource', kind, value, location, raw }];
      return [
        {
          type: 'error',
          location,
          message: `unsupported apiVersion ${JSON.stringify(apiVersion)} for ClusterImagePolicy (use ${CIP_API_VERSIONS.join(' or ')})`,
        },
      ];
    }
    if (kind === 'TrustRoot') {
      if (TRUST_ROOT_API_VERSIONS.includes(apiVersion))
        return [{ type: 'resource', kind, value, location, raw }];
      return [
        {
          type: 'error',
          location,
          message: `unsupported apiVersion ${JSON.stringify(apiVersion)} for TrustRoot (use ${TRUST_ROOT_API_VERSIONS.join(' or ')})`,
        },
      ];
    }
    if (apiVersion === 'v1' && (kind === 'Secret' || kind === 'ConfigMap'))
      return [{ type: 'resource', kind, value, location, raw }];
    if (POLICY_GROUPS.has(group))
      return [
        {
          type: 'error',
          location,
          message: `unknown kind ${JSON.stringify(kind)} in ${group} (vouch reads ClusterImagePolicy and TrustRoot)`,
        },
      ];
    if (/imagepolic|trustroot/i.test(kind))
      return [
        {
          type: 'error',
          location,
          message: `${apiVersion} ${kind} looks like a policy but is not one vouch reads (ClusterImagePolicy ${CIP_API_VERSIONS.join(', ')}; TrustRoot ${TRUST_ROOT_API_VERSIONS.join(', ')})`,
        },
      ];
    return [{ type: 'ignored', location, reason: `${apiVersion} ${kind} is not a policy document` }];
  }
  const hasApiVersion = typeof apiVersion === 'string' && apiVersion !== '';
  const hasKind = typeof kind === 'string' && kind !== '';
  if (!hasApiVersion && !hasKind && ('policies' in value || 'no-match-policy' in value)) {
    if (options.allowConfig) return [{ type: 'config', value, location: base, raw }];
    return [
      {
        type: 'error',
        location: base,
        message: 'a verification config cannot include another verification config',
      },
    ];
  }
  const location: Location = {
    ...base,
    ...(hasKind && { kind: kind as string }),
    ...(name !== undefined && { name }),
  };
  // A field that is there but not a string (`apiVersion: 5`) is a typo to point at, not a missing field.
  const problems = [
    fieldProblem('apiVersion', apiVersion, hasApiVersion),
    fieldProblem('kind', kind, hasKind),
  ].filter((problem): problem is string => problem !== undefined);
  const present = (value: unknown) => value !== undefined && value !== null && value !== '';
  return [
    {
      type: 'error',
      location,
      message:
        !present(apiVersion) && !present(kind)
          ? 'not a Kubernetes object (no apiVersion and kind) nor a verification config (no-match-policy, policies)'
          : problems.join('; '),
    },
  ];
}

/** What is wrong with `apiVersion` or `kind`, or undefined when it is a non-empty string. */
function fieldProblem(field: 'apiVersion' | 'kind', value: unknown, ok: boolean): string | undefined {
  if (ok) return undefined;
  if (value === undefined || value === null || value === '') return `${field} is missing`;
  return `${field} must be a string (got ${describeValue(value)})`;
}
