/**
 * `vouch policy import --from kyverno`: ClusterPolicy / Policy documents (kyverno.io v1, v2beta1) with
 * `verifyImages` rules, ImageValidatingPolicy documents (policies.kyverno.io), and the ConfigMaps their
 * rules read keys from; every other document is reported and left alone.
 */
import { verificationConfig } from '../cip.js';
import type { ImportResult, SourceDocument } from '../model.js';
import { ImportBuilder, type Scope } from '../report.js';
import { TrustRoots } from '../trust-roots.js';
import { translateImageValidatingPolicy } from './ivp.js';
import { translateKyvernoPolicy } from './policy.js';

const POLICY_KINDS = new Set(['ClusterPolicy', 'Policy']);
const POLICY_VERSIONS = new Set(['kyverno.io/v1', 'kyverno.io/v2beta1']);
const IVP_KINDS = new Set(['ImageValidatingPolicy', 'NamespacedImageValidatingPolicy']);
const IVP_VERSIONS = new Set([
  'policies.kyverno.io/v1alpha1',
  'policies.kyverno.io/v1beta1',
  'policies.kyverno.io/v1',
]);

interface Item {
  document: SourceDocument;
  value: Record<string, unknown>;
  /** Index inside a List document. */
  item?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Documents, with `List` objects (what `kubectl get -o yaml` writes) expanded into their items. */
function items(documents: readonly SourceDocument[]): (Item | { document: SourceDocument; invalid: true })[] {
  const out: (Item | { document: SourceDocument; invalid: true })[] = [];
  for (const document of documents) {
    const value = document.value;
    if (!isRecord(value)) {
      out.push({ document, invalid: true });
      continue;
    }
    if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      value.items.forEach((entry, item) => {
        if (isRecord(entry)) out.push({ document, value: entry, item });
        else out.push({ document, invalid: true });
      });
    } else out.push({ document, value });
  }
  return out;
}

function nameOf(value: Record<string, unknown>): string | undefined {
  const metadata = value.metadata;
  return isRecord(metadata) && typeof metadata.name === 'string' ? metadata.name : undefined;
}

export function importKyverno(documents: readonly SourceDocument[]): ImportResult {
  const builder = new ImportBuilder('kyverno');
  const all = items(documents);
  const configMaps = new Map<string, Record<string, string>>();
  let policies = 0;
  for (const entry of all) {
    if ('invalid' in entry) continue;
    const { value } = entry;
    if (
      value.apiVersion === 'v1' &&
      value.kind === 'ConfigMap' &&
      isRecord(value.metadata) &&
      isRecord(value.data)
    ) {
      const namespace = typeof value.metadata.namespace === 'string' ? value.metadata.namespace : 'default';
      const data: Record<string, string> = {};
      for (const [key, text] of Object.entries(value.data)) if (typeof text === 'string') data[key] = text;
      configMaps.set(`${namespace}/${nameOf(value) ?? ''}`, data);
    }
    if (POLICY_KINDS.has(String(value.kind)) && POLICY_VERSIONS.has(String(value.apiVersion))) policies++;
  }
  const trustRoots = new TrustRoots('kyverno');
  const context = { configMaps, policies, trustRoot: trustRoots.get.bind(trustRoots) };

  for (const entry of all) {
    const base = { source: entry.document.source, document: entry.document.document };
    if ('invalid' in entry) {
      builder.scope(base).refuse('', 'a document must be a mapping (a Kubernetes object)');
      continue;
    }
    const { value } = entry;
    const kind = typeof value.kind === 'string' ? value.kind : undefined;
    const name = nameOf(value);
    const location = {
      ...base,
      ...(entry.item !== undefined && { item: entry.item }),
      ...(kind !== undefined && { kind }),
      ...(name !== undefined && { name }),
    };
    const comments = [entry.document.comments.get('')].filter(
      (text): text is string => text !== undefined && entry.item === undefined,
    );
    const scope = builder.scope(location, { comments });
    const apiVersion = String(value.apiVersion ?? '');
    if (kind !== undefined && POLICY_KINDS.has(kind) && apiVersion.startsWith('kyverno.io/')) {
      if (!POLICY_VERSIONS.has(apiVersion))
        scope.refuse(
          'apiVersion',
          `Kyverno serves ${kind} as ${[...POLICY_VERSIONS].join(' and ')}, not ${apiVersion}`,
        );
      else
        translateKyvernoPolicy(
          entry.document.value === value ? entry.document : { ...entry.document, value, comments: new Map() },
          scope,
          context,
        );
    } else if (kind !== undefined && IVP_KINDS.has(kind) && apiVersion.startsWith('policies.kyverno.io/')) {
      if (!IVP_VERSIONS.has(apiVersion))
        scope.refuse(
          'apiVersion',
          `Kyverno serves ${kind} as ${[...IVP_VERSIONS].join(', ')}, not ${apiVersion}`,
        );
      else translateImageValidatingPolicy(value, scope, context);
    } else otherDocument(kind, apiVersion, scope);
  }

  if (builder.finish().documents.some((draft) => draft.kind === 'ClusterImagePolicy')) {
    const scope = builder.scope({ source: '(the import as a whole)' });
    scope.translated(
      '',
      'Kyverno admits images no rule matches → verification config no-match-policy: allow (vouch denies them by default)',
    );
    scope.draft('VerificationConfig', 'verification', verificationConfig('allow'));
  }
  return builder.finish();
}

function otherDocument(kind: string | undefined, apiVersion: string, scope: Scope): void {
  if (kind === undefined || apiVersion === '') {
    scope.refuse('', 'not a Kubernetes object (no apiVersion and kind)');
    return;
  }
  if (apiVersion === 'v1' && kind === 'ConfigMap') {
    scope.ignored('', 'read for the values policies take from it');
    return;
  }
  if (kind === 'PolicyException') {
    scope.changed(
      '',
      'policy exceptions are not translated: vouch applies the policies to the resources they exempt',
    );
    return;
  }
  if (apiVersion.startsWith('kyverno.io/') || apiVersion.startsWith('policies.kyverno.io/')) {
    scope.ignored('', `${kind} is not an image verification policy`);
    return;
  }
  scope.ignored('', `${apiVersion} ${kind} is not a Kyverno policy`);
}
