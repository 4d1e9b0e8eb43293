/**
 * `vouch policy import --from ratify`: Ratify's `Verifier` resources of type notation and cosign, with
 * the CertificateStore and KeyManagementProvider resources they name; `Store` and `Policy` resources and
 * the Gatekeeper constraint that enforces Ratify's answer are reported (and read where they change a
 * verdict).
 *
 * Ratify verifies every image it is asked about: an image no trust policy scope covers is an error, and
 * Gatekeeper denies it — the no-match policy is `deny`.
 */
import type { PolicyMode } from '../../model.js';
import { verificationConfig } from '../cip.js';
import type { ImportResult, SourceDocument } from '../model.js';
import { ImportBuilder, type Scope } from '../report.js';
import { parseStrict } from '../strict.js';
import { certificates, publicKeys } from '../trust.js';
import { globsIntersect } from '../wildcards.js';
import { inlineParametersSchema, resourceSchema, verifierSpecSchema } from './schema.js';
import { cosignVerifier, notationVerifier, type Provided, type VerifierContext } from './verifiers.js';

const GROUP = 'config.ratify.deislabs.io/';
const VERSIONS = new Set(['config.ratify.deislabs.io/v1alpha1', 'config.ratify.deislabs.io/v1beta1']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function baseKind(kind: string): string {
  return kind.startsWith('Namespaced') ? kind.slice('Namespaced'.length) : kind;
}

interface Entry {
  document: SourceDocument;
  value: Record<string, unknown>;
  scope: Scope;
}

export function importRatify(documents: readonly SourceDocument[]): ImportResult {
  const builder = new ImportBuilder('ratify');
  const entries: Entry[] = [];
  for (const document of documents) {
    const value = document.value;
    const kind = isRecord(value) && typeof value.kind === 'string' ? value.kind : undefined;
    const name =
      isRecord(value) && isRecord(value.metadata) && typeof value.metadata.name === 'string'
        ? value.metadata.name
        : undefined;
    const scope = builder.scope({
      source: document.source,
      document: document.document,
      ...(kind !== undefined && { kind }),
      ...(name !== undefined && { name }),
    });
    if (!isRecord(value) || typeof value.apiVersion !== 'string' || kind === undefined) {
      scope.refuse('', 'not a Kubernetes object (no apiVersion and kind)');
      continue;
    }
    entries.push({ document, value, scope });
  }

  const providers = new Map<string, Provided>();
  let mode: PolicyMode = 'enforce';
  const ratify = entries.filter((entry) => String(entry.value.apiVersion).startsWith(GROUP));
  for (const entry of ratify) {
    if (!VERSIONS.has(String(entry.value.apiVersion))) {
      entry.scope.refuse(
        'apiVersion',
        `Ratify serves ${String(entry.value.kind)} as ${[...VERSIONS].join(' and ')}`,
      );
      continue;
    }
    const kind = baseKind(String(entry.value.kind));
    if (kind === 'CertificateStore' || kind === 'KeyManagementProvider') readProvider(entry, kind, providers);
  }
  for (const entry of entries) {
    const kind = String(entry.value.kind);
    if (kind === 'RatifyVerification') mode = readConstraint(entry.value, entry.scope) ?? mode;
    else if (!String(entry.value.apiVersion).startsWith(GROUP))
      entry.scope.ignored('', `${String(entry.value.apiVersion)} ${kind} is not a Ratify resource`);
  }
  const context: VerifierContext = { providers, mode, made: [] };
  for (const entry of ratify) {
    if (!VERSIONS.has(String(entry.value.apiVersion))) continue;
    const kind = baseKind(String(entry.value.kind));
    const parsed = parseStrict(resourceSchema, entry.value);
    for (const issue of parsed.invalid) entry.scope.refuse(issue.path, issue.message);
    for (const path of parsed.unknown) entry.scope.dropped(path, 'unknown field');
    if (parsed.value === undefined) continue;
    if (String(entry.value.kind).startsWith('Namespaced'))
      entry.scope.changed(
        'kind',
        'a namespaced Ratify resource applies in its namespace; a ClusterImagePolicy applies in every namespace',
      );
    if (kind === 'Verifier') readVerifier(entry, context);
    else if (kind === 'Store') readStore(entry);
    else if (kind === 'Policy') readPolicy(entry);
    else if (kind === 'CertificateStore' || kind === 'KeyManagementProvider')
      entry.scope.ignored('', 'read for the certificates and keys verifiers name');
    else entry.scope.ignored('', `${kind} is not about verification`);
  }
  const budget = { states: 5_000_000 };
  for (const made of context.made) {
    if (!made.global) continue;
    const overlapping = context.made.some(
      (other) =>
        other !== made &&
        !other.global &&
        other.body !== made.body &&
        made.globs.some((a) => other.globs.some((b) => globsIntersect(a, b, budget) !== false)),
    );
    if (overlapping)
      made.scope.changed(
        '',
        'Ratify applies the "*" trust policy only to images no other scope covers; vouch applies it to every image, so images of the other scopes must pass both',
      );
  }
  if (context.made.length > 0) {
    const scope = builder.scope({ source: '(the import as a whole)' });
    scope.translated(
      '',
      'Ratify (through Gatekeeper) denies images no trust policy covers → no-match-policy: deny',
    );
    scope.draft('VerificationConfig', 'verification', verificationConfig('deny'));
  }
  return builder.finish();
}

function readProvider(entry: Entry, kind: string, providers: Map<string, Provided>): void {
  const spec = isRecord(entry.value.spec) ? entry.value.spec : {};
  const type = kind === 'CertificateStore' ? spec.provider : spec.type;
  const name = isRecord(entry.value.metadata) ? String(entry.value.metadata.name) : '';
  if (type !== 'inline') {
    providers.set(name, {
      problem: `provider ${JSON.stringify(type)} is not imported (vouch reads no key vault): give the certificates or key inline`,
    });
    return;
  }
  const parsed = parseStrict(inlineParametersSchema, spec.parameters, ['spec', 'parameters']);
  for (const issue of parsed.invalid) entry.scope.refuse(issue.path, issue.message);
  if (parsed.value === undefined) return;
  const contentType = parsed.value.contentType ?? 'certificate';
  const checked = contentType === 'key' ? publicKeys(parsed.value.value) : certificates(parsed.value.value);
  if (!checked.ok) {
    entry.scope.refuse('spec.parameters.value', checked.problem);
    return;
  }
  providers.set(name, {
    pem: parsed.value.value.endsWith('\n') ? parsed.value.value : `${parsed.value.value}\n`,
    contentType,
  });
}

function readVerifier(entry: Entry, context: VerifierContext): void {
  const parsed = parseStrict(verifierSpecSchema, entry.value.spec, ['spec']);
  for (const path of parsed.unknown) entry.scope.dropped(path, 'unknown field: not part of a Verifier');
  for (const issue of parsed.invalid) entry.scope.refuse(issue.path, issue.message);
  const spec = parsed.value;
  if (spec === undefined) return;
  const type = spec.type ?? spec.name;
  const name = isRecord(entry.value.metadata) ? String(entry.value.metadata.name) : type;
  entry.scope.translated(spec.type !== undefined ? 'spec.type' : 'spec.name', `a ${type} verifier`);
  if (spec.type !== undefined) entry.scope.translated('spec.name', 'the verifier plugin name');
  if (spec.artifactTypes !== undefined)
    entry.scope.translated('spec.artifactTypes', `${spec.artifactTypes}: the signatures it reads`);
  if (spec.version !== undefined) entry.scope.ignored('spec.version', 'plugin version');
  if (spec.address !== undefined || spec.source !== undefined)
    entry.scope.ignored('spec.source', 'where Ratify downloads plugins from');
  if (type === 'notation') notationVerifier(name, spec.parameters ?? {}, entry.scope, context);
  else if (type === 'cosign') cosignVerifier(name, spec.parameters ?? {}, entry.scope, context);
  else
    entry.scope.dropped(
      'spec',
      `a ${type} verifier checks ${spec.artifactTypes ?? 'other artifacts'}, not signatures: not translated (Ratify passes images that carry no such artifact unless its Policy requires the type)`,
    );
}

function readStore(entry: Entry): void {
  const spec = isRecord(entry.value.spec) ? entry.value.spec : {};
  const parameters = isRecord(spec.parameters) ? spec.parameters : {};
  if (spec.name !== 'oras') {
    entry.scope.dropped(
      'spec.name',
      `store ${JSON.stringify(spec.name)} is not translated: vouch reads signatures from the registry (tags and referrers)`,
    );
    return;
  }
  entry.scope.translated(
    'spec.name',
    'oras: vouch reads signatures from the registry itself (cosign .sig tags and OCI referrers)',
  );
  for (const [key, value] of Object.entries(parameters)) {
    const path = `spec.parameters.${key}`;
    if (key === 'useHttp' && value === true)
      entry.scope.flag(path, 'true: vouch --allow-http-registry <host> for each registry reached over HTTP');
    else if (key === 'authProvider')
      entry.scope.changed(
        path,
        'vouch reads registries with its own credentials (--registry-config, pull secrets)',
      );
    else if (key === 'cosignEnabled' && value === false)
      entry.scope.changed(path, "false: Ratify does not read cosign's .sig tags; vouch reads them");
    else entry.scope.ignored(path, 'store tuning (cache, TTL, paths)');
  }
}

function readPolicy(entry: Entry): void {
  const spec = isRecord(entry.value.spec) ? entry.value.spec : {};
  const metadata = isRecord(entry.value.metadata) ? entry.value.metadata : {};
  // v1beta1 names the policy type in spec.type; v1alpha1 in metadata.name (regopolicy | configpolicy).
  const rego = spec.type !== undefined ? spec.type === 'rego-policy' : metadata.name === 'regopolicy';
  if (spec.type !== undefined)
    entry.scope.translated('spec.type', `${String(spec.type)}: how verifier reports are judged`);
  if (rego) {
    entry.scope.dropped(
      'spec',
      'a Rego policy over verifier reports is not translated: vouch requires every matching ClusterImagePolicy to pass',
    );
    return;
  }
  const parameters = isRecord(spec.parameters) ? spec.parameters : {};
  for (const key of Object.keys(parameters))
    if (key !== 'artifactVerificationPolicies')
      entry.scope.ignored(`spec.parameters.${key}`, 'not read by a config policy');
  const policies = isRecord(parameters.artifactVerificationPolicies)
    ? parameters.artifactVerificationPolicies
    : {};
  const values = Object.entries(policies);
  if (values.length === 0 || values.every(([, value]) => value === 'all'))
    entry.scope.changed(
      'spec.parameters.artifactVerificationPolicies',
      '"all" (the default): Ratify denies an image when any of its signatures fails to verify; vouch accepts it when a signature verifies',
    );
  else
    for (const [type, value] of values)
      entry.scope.translated(
        `spec.parameters.artifactVerificationPolicies[${JSON.stringify(type)}]`,
        `${String(value)}: one verified signature is enough in vouch`,
      );
}

/** The Gatekeeper constraint of Ratify's library: its enforcement action is each policy's mode. */
function readConstraint(value: Record<string, unknown>, scope: Scope): PolicyMode | undefined {
  const spec = isRecord(value.spec) ? value.spec : {};
  const action = spec.enforcementAction ?? 'deny';
  const match = isRecord(spec.match) ? spec.match : {};
  if (Array.isArray(match.namespaces))
    scope.changed(
      'spec.match.namespaces',
      'the constraint applies only in these namespaces; vouch webhook checks every namespace but those in --exclude-namespaces',
    );
  if (Array.isArray(match.excludedNamespaces))
    scope.flag(
      'spec.match.excludedNamespaces',
      `vouch webhook --exclude-namespaces ${match.excludedNamespaces.join(',')}`,
    );
  if (action === 'deny') {
    scope.translated('spec.enforcementAction', 'deny → mode: enforce');
    return 'enforce';
  }
  scope.translated('spec.enforcementAction', `${String(action)} → mode: warn`);
  return 'warn';
}
