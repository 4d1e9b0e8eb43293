/**
 * `vouch audit`: the admission gate run over manifests instead of AdmissionReviews — reading
 * (files, directories, multi-document YAML, stdin, `kind: List`), the same image checks as the
 * webhook, and the results as a table or as wgpolicyk8s.io/v1alpha2 PolicyReports.
 */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { describeError } from '../../errors.js';
import { listSourceFiles } from '../../policy/load/sources.js';
import type { FailureKind, Verdict } from '../../policy/verdict.js';
import { formatColumns } from '../../util/columns.js';
import { mapConcurrent } from '../../util/semaphore.js';
import type { EnforcementMode } from './enforcement.js';
import { AdmissionError } from './errors.js';
import { type AdmissionGate, type EvaluatedImage, resourceContext } from './gate.js';
import type { KubeObject } from './review.js';
import {
  describeLocation,
  extractImages,
  groupOf,
  type ImageLocation,
  type WorkloadKind,
  workloadKind,
} from './workloads.js';

export interface ManifestSource {
  /** File path, or `-` for standard input. */
  name: string;
  text: string;
}

/**
 * Reads every source: `-` is standard input (read once), a directory is walked (YAML and JSON files,
 * hidden entries skipped, sorted so output is stable), anything else is read as a file.
 */
export async function readManifestSources(
  paths: readonly string[],
  readStdin: () => Promise<string>,
): Promise<ManifestSource[]> {
  const sources: ManifestSource[] = [];
  let stdinRead = false;
  for (const path of paths) {
    if (path === '-') {
      if (stdinRead) continue;
      stdinRead = true;
      sources.push({ name: '-', text: await readStdin() });
      continue;
    }
    await collect(path, sources);
  }
  return sources;
}

/** A file or directory's manifests, listed as policy files are (YAML and JSON, hidden entries skipped). */
async function collect(path: string, sources: ManifestSource[]): Promise<void> {
  let files: string[];
  try {
    files = await listSourceFiles([path]);
  } catch (error) {
    throw new AdmissionError('MANIFEST', `cannot read ${path}: ${describeError(error)}`, { cause: error });
  }
  for (const file of files) {
    try {
      sources.push({ name: file, text: await readFile(file, 'utf8') });
    } catch (error) {
      throw new AdmissionError('MANIFEST', `cannot read ${file}: ${describeError(error)}`, { cause: error });
    }
  }
}

/** One object of a manifest, with where it came from (`file#document`). */
export interface ManifestObject {
  origin: string;
  object: KubeObject;
}

/**
 * Every Kubernetes object in a source: multi-document YAML (JSON is YAML), `List` kinds unwrapped as
 * kubectl prints them. Documents that are empty or have no `apiVersion`/`kind` (values files,
 * kustomization fragments) are skipped; YAML that does not parse is an error naming the document.
 */
export function parseManifests(source: ManifestSource): ManifestObject[] {
  const objects: ManifestObject[] = [];
  let documents: ReturnType<typeof parseAllDocuments>;
  try {
    documents = parseAllDocuments(source.text, { uniqueKeys: false });
  } catch (error) {
    throw new AdmissionError('MANIFEST', `${source.name}: ${describeError(error)}`, { cause: error });
  }
  if (!Array.isArray(documents)) return objects;
  documents.forEach((document, index) => {
    const origin = `${source.name}#${index + 1}`;
    const problem = document.errors[0];
    if (problem) throw new AdmissionError('MANIFEST', `${origin}: ${problem.message.split('\n')[0]}`);
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      throw new AdmissionError('MANIFEST', `${origin}: ${describeError(error)}`, { cause: error });
    }
    flatten(value, origin, objects);
  });
  return objects;
}

function flatten(value: unknown, origin: string, into: ManifestObject[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const record = value as Record<string, unknown>;
  if (typeof record.kind !== 'string' || typeof record.apiVersion !== 'string') return;
  if (record.kind.endsWith('List') && Array.isArray(record.items)) {
    record.items.forEach((item, index) => {
      flatten(item, `${origin} items[${index}]`, into);
    });
    return;
  }
  into.push({ origin, object: record as KubeObject });
}

export interface AuditedWorkload {
  origin: string;
  apiVersion: string;
  kind: WorkloadKind;
  name: string;
  namespace: string;
  uid?: string;
  object: KubeObject;
  locations: ImageLocation[];
}

/**
 * The workloads among `objects` (the kinds the webhook checks) with their images. A namespaced object
 * without a namespace gets `defaultNamespace`, as `kubectl apply` would give it the context's.
 */
export function workloadsOf(
  objects: readonly ManifestObject[],
  defaultNamespace: string,
): { workloads: AuditedWorkload[]; ignored: number } {
  const workloads: AuditedWorkload[] = [];
  let ignored = 0;
  for (const { origin, object } of objects) {
    const apiVersion = object.apiVersion as string;
    const kind = workloadKind(groupOf(apiVersion), object.kind as string);
    if (!kind) {
      ignored++;
      continue;
    }
    let locations: ImageLocation[];
    try {
      locations = extractImages(kind, object);
    } catch (error) {
      throw new AdmissionError('MANIFEST', `${origin}: ${describeError(error)}`, { cause: error });
    }
    const metadata = object.metadata ?? {};
    workloads.push({
      origin,
      apiVersion,
      kind,
      name: metadata.name ?? metadata.generateName ?? '',
      namespace: metadata.namespace ?? defaultNamespace,
      ...(metadata.uid !== undefined && { uid: metadata.uid }),
      object,
      locations,
    });
  }
  return { workloads, ignored };
}

export type ReportResult = 'pass' | 'fail' | 'warn' | 'error';

export interface AuditedImage extends EvaluatedImage {
  result: ReportResult;
}

export interface AuditResult {
  workload: AuditedWorkload;
  mode: EnforcementMode;
  images: AuditedImage[];
  allowed: boolean;
}

/** Failures that are not statements about the image: reported as `error`, as Kyverno does. */
const ERROR_KINDS: ReadonlySet<FailureKind> = new Set<FailureKind>(['registry', 'timeout']);

function isError(image: EvaluatedImage): boolean {
  return (
    image.origin === 'timeout' ||
    image.origin === 'engine-error' ||
    (image.verdict.failure !== undefined && ERROR_KINDS.has(image.verdict.failure))
  );
}

/** pass / warn / fail / error for one image, from its decision. */
export function imageResult(image: EvaluatedImage): ReportResult {
  if (!image.decision.allowed) return isError(image) ? 'error' : 'fail';
  return image.decision.warned ? 'warn' : 'pass';
}

/** Checks every workload's images through the gate (the webhook's code), a few workloads at a time. */
export async function auditWorkloads(
  gate: AdmissionGate,
  workloads: readonly AuditedWorkload[],
  concurrency = 8,
): Promise<AuditResult[]> {
  return mapConcurrent(workloads, concurrency, async (workload) => {
    const images = await gate.checkImages(workload.locations, {
      namespace: workload.namespace,
      resource: resourceContext(workload.object),
    });
    const audited = images.map((image) => ({ ...image, result: imageResult(image) }));
    return {
      workload,
      mode: gate.rules.modeFor(workload.namespace),
      images: audited,
      allowed: audited.every((image) => image.decision.allowed),
    };
  });
}

// ---------------------------------------------------------------- wgpolicyk8s.io/v1alpha2

export const POLICY_REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';
export const REPORT_NAME = 'vouch-image-signatures';

export interface ObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface PolicyReportResult {
  source: 'vouch';
  policy: string;
  rule: string;
  result: ReportResult;
  scored: boolean;
  message: string;
  timestamp: { seconds: number; nanos: number };
  resources: ObjectReference[];
  properties: Record<string, string>;
}

export interface PolicyReportSummary {
  pass: number;
  fail: number;
  warn: number;
  error: number;
  skip: number;
}

export interface PolicyReport {
  apiVersion: typeof POLICY_REPORT_API_VERSION;
  kind: 'PolicyReport';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  summary: PolicyReportSummary;
  results: PolicyReportResult[];
}

/** The name a result is filed under when no ClusterImagePolicy speaks about the image. */
function unmatchedPolicyName(image: EvaluatedImage): string {
  if (image.verdict.failure === 'no-match' || image.verdict.policies.length === 0) {
    if (image.origin === 'check' || image.origin === 'unchanged-cache') return 'no-matching-policy';
  }
  return 'vouch';
}

/**
 * One result per (resource, image, policy): `pass` when the policy passed; a failed policy is `warn`
 * when it only warns here (its `mode: warn`, `--audit`, `--warn-namespaces`), `error` when the
 * registry or the deadline failed, `fail` otherwise. An image no policy spoke about gets one result.
 */
export function reportResults(results: readonly AuditResult[], now: Date): PolicyReportResult[] {
  const timestamp = { seconds: Math.floor(now.getTime() / 1000), nanos: 0 };
  const rows: PolicyReportResult[] = [];
  for (const { workload, mode, images } of results) {
    const resource: ObjectReference = {
      apiVersion: workload.apiVersion,
      kind: workload.kind.kind,
      name: workload.name,
      namespace: workload.namespace,
      ...(workload.uid !== undefined && { uid: workload.uid }),
    };
    for (const image of images) {
      const properties = imageProperties(image);
      const row = (policy: string, result: ReportResult, message: string): PolicyReportResult => ({
        source: 'vouch',
        policy,
        rule: 'verify-image',
        result,
        scored: true,
        message,
        timestamp,
        resources: [resource],
        properties,
      });
      const { verdict } = image;
      if (verdict.policies.length === 0) {
        rows.push(row(unmatchedPolicyName(image), image.result, summarise(image)));
        continue;
      }
      for (const policy of verdict.policies) {
        if (policy.passed) {
          rows.push(row(policy.name, 'pass', `${image.image}: ${passMessage(verdict)}`));
          continue;
        }
        const denies = mode === 'enforce' || (mode === 'policy' && policy.mode === 'enforce');
        const result: ReportResult =
          !denies && image.decision.allowed ? 'warn' : isError(image) ? 'error' : 'fail';
        rows.push(
          row(policy.name, result, `${image.image}: ${policy.message ?? `failed policy: ${policy.name}`}`),
        );
      }
    }
  }
  return rows;
}

function imageProperties(image: EvaluatedImage): Record<string, string> {
  const first = image.locations[0];
  return {
    image: image.image,
    ...(image.verdict.digest !== undefined && { digest: image.verdict.digest }),
    ...(first !== undefined && { location: describeLocation(first) }),
  };
}

function passMessage(verdict: Verdict): string {
  if (verdict.verifiedReference) return `verified ${verdict.verifiedReference}`;
  if (verdict.digest) return `verified ${verdict.digest}`;
  return 'passed';
}

function summarise(image: AuditedImage): string {
  if (image.result === 'pass') return `${image.image}: ${passMessage(image.verdict)}`;
  const messages = image.decision.allowed ? image.decision.warnings : image.decision.denials;
  return `${image.image}: ${messages.join('; ')}`;
}

/**
 * One PolicyReport per namespace, sorted by namespace. Every kind the gate checks is namespaced, so no
 * ClusterPolicyReport (the report for cluster-scoped resources) is ever needed.
 */
export function buildPolicyReports(results: readonly AuditResult[], now: Date): PolicyReport[] {
  const byNamespace = new Map<string, PolicyReportResult[]>();
  for (const row of reportResults(results, now)) {
    const namespace = row.resources[0]?.namespace ?? '';
    const rows = byNamespace.get(namespace);
    if (rows) rows.push(row);
    else byNamespace.set(namespace, [row]);
  }
  return [...byNamespace]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([namespace, rows]) => ({
      apiVersion: POLICY_REPORT_API_VERSION,
      kind: 'PolicyReport',
      metadata: { name: REPORT_NAME, namespace, labels: { 'app.kubernetes.io/managed-by': 'vouch' } },
      summary: summaryOf(rows),
      results: rows,
    }));
}

function summaryOf(rows: readonly PolicyReportResult[]): PolicyReportSummary {
  const summary: PolicyReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const row of rows) summary[row.result]++;
  return summary;
}

/** The table `vouch audit` prints: one line per workload image. */
export function formatAuditTable(results: readonly AuditResult[]): string[] {
  const rows = [['NAMESPACE', 'KIND', 'NAME', 'IMAGE', 'RESULT', 'DETAIL']];
  for (const { workload, images } of results) {
    for (const image of images) {
      rows.push([
        workload.namespace,
        workload.kind.kind,
        workload.name,
        image.image,
        image.result,
        detail(image),
      ]);
    }
  }
  return formatColumns(rows);
}

function detail(image: AuditedImage): string {
  if (image.result === 'pass') {
    if (image.verdict.digest) return image.verdict.digest;
    return image.verdict.policies.length ? 'passed (no digest needed)' : 'allowed';
  }
  const messages = image.decision.allowed ? image.decision.warnings : image.decision.denials;
  return messages.join('; ');
}
