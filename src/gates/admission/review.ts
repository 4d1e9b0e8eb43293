/**
 * The `admission.k8s.io/v1` AdmissionReview envelope: strict about what the gate relies on (version,
 * uid, operation, kind, the objects being objects), tolerant of every field Kubernetes may add.
 */
import { z } from 'zod';
import { isRecord } from '../../util/is-record.js';
import { AdmissionError } from './errors.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

const GroupVersionKind = z.looseObject({
  group: z.string(),
  version: z.string(),
  kind: z.string().min(1),
});

const GroupVersionResource = z.looseObject({
  group: z.string(),
  version: z.string(),
  resource: z.string().min(1),
});

const ObjectMeta = z.looseObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  deletionTimestamp: z.string().nullable().optional(),
});

/** Any Kubernetes object: only `metadata` is looked at here; the spec is read by `workloads.ts`. */
const KubeObject = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMeta.optional(),
});

const Operation = z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);
export type Operation = z.infer<typeof Operation>;

const AdmissionRequestSchema = z.looseObject({
  uid: z.string().min(1).max(256),
  kind: GroupVersionKind,
  resource: GroupVersionResource,
  subResource: z.string().optional(),
  requestKind: GroupVersionKind.optional(),
  requestResource: GroupVersionResource.optional(),
  requestSubResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: Operation,
  userInfo: z.looseObject({ username: z.string().optional() }).optional(),
  object: KubeObject.nullable().optional(),
  oldObject: KubeObject.nullable().optional(),
  dryRun: z.boolean().optional(),
  options: z.unknown().optional(),
});

const AdmissionReviewSchema = z.looseObject({
  apiVersion: z.literal(ADMISSION_API_VERSION, {
    error: (issue) =>
      `apiVersion must be ${ADMISSION_API_VERSION} (configure admissionReviewVersions: ["v1"]), got ${JSON.stringify(issue.input)}`,
  }),
  kind: z.literal('AdmissionReview'),
  request: AdmissionRequestSchema,
});

export type KubeObject = z.infer<typeof KubeObject>;

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** What the gate needs from a review's `request`, as plain data. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  username?: string;
  object?: KubeObject;
  oldObject?: KubeObject;
  dryRun: boolean;
}

/**
 * Parses a decoded JSON body as an AdmissionReview request. Anything that is not what the API server
 * sends throws AdmissionError('MALFORMED_REVIEW') with a reason naming the field.
 *
 * Every review goes through `admissionRequestOf`, a hand-written check of the same rules as the schema
 * above that copies nothing; only a body it refuses is parsed by the schema, whose errors name the
 * field (and which accepts whatever the check may be too strict about).
 */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  return admissionRequestOf(body) ?? parseStrictly(body);
}

/** The schema parse alone (what `parseAdmissionReview` falls back to): for tests comparing the two. */
export function parseStrictly(body: unknown): AdmissionRequest {
  const parsed = AdmissionReviewSchema.safeParse(body);
  if (!parsed.success) {
    throw new AdmissionError(
      'MALFORMED_REVIEW',
      `not an ${ADMISSION_API_VERSION} AdmissionReview: ${describeIssues(parsed.error)}`,
    );
  }
  return toRequest(parsed.data.request);
}

function toRequest(request: z.infer<typeof AdmissionRequestSchema>): AdmissionRequest {
  if ((request.operation === 'CREATE' || request.operation === 'UPDATE') && !request.object) {
    throw new AdmissionError('MALFORMED_REVIEW', `request.object is required for ${request.operation}`);
  }
  // Built field by field (not with spreads): this runs on every admission.
  const parsed: AdmissionRequest = {
    uid: request.uid,
    kind: { group: request.kind.group, version: request.kind.version, kind: request.kind.kind },
    resource: {
      group: request.resource.group,
      version: request.resource.version,
      resource: request.resource.resource,
    },
    operation: request.operation,
    dryRun: request.dryRun === true,
  };
  if (request.subResource) parsed.subResource = request.subResource;
  if (request.name) parsed.name = request.name;
  if (request.namespace) parsed.namespace = request.namespace;
  if (request.userInfo?.username !== undefined) parsed.username = request.userInfo.username;
  if (request.object) parsed.object = request.object;
  if (request.oldObject) parsed.oldObject = request.oldObject;
  return parsed;
}

// ---------------------------------------------------------------- the same rules, without copying

const optionalString = (value: unknown) => value === undefined || typeof value === 'string';

function isGroupVersion(value: unknown, name: 'kind' | 'resource'): boolean {
  return (
    isRecord(value) &&
    typeof value.group === 'string' &&
    typeof value.version === 'string' &&
    typeof value[name] === 'string' &&
    (value[name] as string).length > 0
  );
}

function isKubeObject(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (!isRecord(value) || !optionalString(value.apiVersion) || !optionalString(value.kind)) return false;
  const metadata = value.metadata;
  if (metadata === undefined) return true;
  return (
    isRecord(metadata) &&
    optionalString(metadata.name) &&
    optionalString(metadata.generateName) &&
    optionalString(metadata.namespace) &&
    optionalString(metadata.uid) &&
    (metadata.deletionTimestamp === null || optionalString(metadata.deletionTimestamp))
  );
}

const OPERATIONS: ReadonlySet<unknown> = new Set(Operation.options);

/**
 * The request of a review that satisfies every rule of `AdmissionReviewSchema`, read in place; undefined
 * for anything else (the caller then parses with the schema, which says what is wrong). It accepts
 * nothing the schema refuses.
 */
export function admissionRequestOf(body: unknown): AdmissionRequest | undefined {
  if (!isRecord(body) || body.apiVersion !== ADMISSION_API_VERSION || body.kind !== 'AdmissionReview')
    return undefined;
  const request = body.request;
  if (!isRecord(request)) return undefined;
  const { uid, userInfo } = request;
  if (
    typeof uid !== 'string' ||
    uid.length < 1 ||
    uid.length > 256 ||
    !isGroupVersion(request.kind, 'kind') ||
    !isGroupVersion(request.resource, 'resource') ||
    !optionalString(request.subResource) ||
    (request.requestKind !== undefined && !isGroupVersion(request.requestKind, 'kind')) ||
    (request.requestResource !== undefined && !isGroupVersion(request.requestResource, 'resource')) ||
    !optionalString(request.requestSubResource) ||
    !optionalString(request.name) ||
    !optionalString(request.namespace) ||
    !OPERATIONS.has(request.operation) ||
    (userInfo !== undefined && !(isRecord(userInfo) && optionalString(userInfo.username))) ||
    !isKubeObject(request.object) ||
    !isKubeObject(request.oldObject) ||
    (request.dryRun !== undefined && typeof request.dryRun !== 'boolean')
  )
    return undefined;
  return toRequest(request as z.infer<typeof AdmissionRequestSchema>);
}

/** `field.path: message` for the first few problems, which is what a person debugging a webhook needs. */
export function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(body)';
    return `${path}: ${issue.message}`;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return `${shown.join('; ')}${more}`;
}

/** One RFC 6902 operation; the gate only ever replaces image strings. */
export interface JsonPatchOperation {
  op: 'replace';
  path: string;
  value: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { status: 'Failure'; code: number; reason: string; message: string };
  warnings?: string[];
  patchType?: 'JSONPatch';
  patch?: string;
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** Kubernetes truncates longer warnings; keeping them short keeps the useful part. */
export const MAX_WARNING_LENGTH = 256;
/** The API server ignores warnings beyond 4 KiB in total. */
const MAX_WARNINGS_TOTAL = 4096;
/** A denial message bigger than this is cut: the logs have the whole verdict. */
const MAX_MESSAGE_LENGTH = 8192;

export interface ResponseInput {
  uid: string;
  allowed: boolean;
  message?: string;
  warnings?: readonly string[];
  patch?: readonly JsonPatchOperation[];
}

/** Builds the AdmissionReview answer: echoes `uid`; a denial carries a 403 status; a patch is base64 JSON. */
export function buildAdmissionReview(input: ResponseInput): AdmissionReviewResponse {
  const response: AdmissionResponse = { uid: input.uid, allowed: input.allowed };
  if (!input.allowed) {
    response.status = {
      status: 'Failure',
      code: 403,
      reason: 'Forbidden',
      message: truncate(input.message ?? 'denied by vouch', MAX_MESSAGE_LENGTH),
    };
  }
  const warnings = limitWarnings(input.warnings ?? []);
  if (warnings.length) response.warnings = warnings;
  if (input.allowed && input.patch?.length) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(input.patch)).toString('base64');
  }
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

function limitWarnings(warnings: readonly string[]): string[] {
  const kept: string[] = [];
  let total = 0;
  for (const warning of warnings) {
    const text = truncate(warning.replace(/[\r\n\t]+/g, ' '), MAX_WARNING_LENGTH);
    if (total + text.length > MAX_WARNINGS_TOTAL) break;
    total += text.length;
    kept.push(text);
  }
  return kept;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
