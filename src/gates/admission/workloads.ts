/**
 * Which Kubernetes kinds carry a pod template, where it is, and every image in it with the JSON
 * pointer of the string that names it (so that a patch can replace exactly that string).
 */
import { z } from 'zod';
import { WORKLOAD_KINDS, type WorkloadKind } from '../../policy/workload-kinds.js';
import { isRecord } from '../../util/is-record.js';
import { AdmissionError } from './errors.js';
import { describeIssues } from './review.js';

export { WORKLOAD_KINDS, type WorkloadKind } from '../../policy/workload-kinds.js';

/** group → kind → WorkloadKind (two lookups instead of building a key for every admission). */
const BY_GROUP_KIND = new Map<string, Map<string, WorkloadKind>>();
for (const kind of WORKLOAD_KINDS) {
  const kinds = BY_GROUP_KIND.get(kind.group) ?? new Map<string, WorkloadKind>();
  kinds.set(kind.kind, kind);
  BY_GROUP_KIND.set(kind.group, kinds);
}

/** `/spec/template/spec` and the like, per kind. */
const BASE_POINTERS = new Map(
  WORKLOAD_KINDS.map((kind) => [kind, `/${kind.podSpecPath.map(escapePointerToken).join('/')}`]),
);

/** The workload kind for an API group and kind, or undefined when it carries no pod template we know. */
export function workloadKind(group: string, kind: string): WorkloadKind | undefined {
  return BY_GROUP_KIND.get(group)?.get(kind);
}

/** `apps/v1` → `apps`, `v1` → `''` (the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export type ImageField = 'containers' | 'initContainers' | 'ephemeralContainers' | 'volumes';

/** One place an image is named in an object. */
export interface ImageLocation {
  image: string;
  /** RFC 6901 pointer to the image string (`/spec/template/spec/containers/0/image`). */
  pointer: string;
  field: ImageField;
  index: number;
  /** Container or volume name, when it has one. */
  name?: string;
}

const Container = z.looseObject({ name: z.string().optional(), image: z.string().optional() });
const Containers = z.array(Container).nullable().optional();
const Volume = z.looseObject({
  name: z.string().optional(),
  image: z.looseObject({ reference: z.string().optional() }).nullable().optional(),
});
/** The pod spec as the gate reads it (exported for tests comparing it with `isPodSpec`). */
export const PodSpec = z.looseObject({
  containers: Containers,
  initContainers: Containers,
  ephemeralContainers: Containers,
  volumes: z.array(Volume).nullable().optional(),
});

type PodSpec = z.infer<typeof PodSpec>;

const CONTAINER_FIELDS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

const optionalString = (value: unknown) => value === undefined || typeof value === 'string';

/** Absent, null, or a list of objects each passing `item`. */
function isOptionalList(value: unknown, item: (entry: Record<string, unknown>) => boolean): boolean {
  if (value === undefined || value === null) return true;
  if (!Array.isArray(value)) return false;
  for (const entry of value) if (!isRecord(entry) || !item(entry)) return false;
  return true;
}

const isContainer = (entry: Record<string, unknown>) =>
  optionalString(entry.name) && optionalString(entry.image);

function isVolume(entry: Record<string, unknown>): boolean {
  const image = entry.image;
  return (
    optionalString(entry.name) &&
    (image === undefined || image === null || (isRecord(image) && optionalString(image.reference)))
  );
}

/**
 * The rules of `PodSpec` checked in place, without the copy a schema parse makes (this runs on every
 * admission); whatever it refuses is parsed by the schema, which names the problem.
 */
export function isPodSpec(spec: unknown): spec is PodSpec {
  return (
    isRecord(spec) &&
    isOptionalList(spec.containers, isContainer) &&
    isOptionalList(spec.initContainers, isContainer) &&
    isOptionalList(spec.ephemeralContainers, isContainer) &&
    isOptionalList(spec.volumes, isVolume)
  );
}

/**
 * Every image of the object's pod spec, in a stable order (init containers, containers, ephemeral
 * containers, image volumes). A missing template means no images (the API server's own validation
 * rejects such objects later); a template of the wrong shape throws MALFORMED_REVIEW.
 */
export function extractImages(kind: WorkloadKind, object: unknown): ImageLocation[] {
  const spec = valueAtPath(object, kind.podSpecPath);
  if (spec === undefined || spec === null) return [];
  let podSpec: PodSpec;
  if (isPodSpec(spec)) podSpec = spec;
  else {
    const parsed = PodSpec.safeParse(spec);
    if (!parsed.success) {
      throw new AdmissionError(
        'MALFORMED_REVIEW',
        `${kind.kind} ${kind.podSpecPath.join('.')} is malformed: ${describeIssues(parsed.error)}`,
      );
    }
    podSpec = parsed.data;
  }
  const base = BASE_POINTERS.get(kind) ?? `/${kind.podSpecPath.map(escapePointerToken).join('/')}`;
  const locations: ImageLocation[] = [];
  for (const field of CONTAINER_FIELDS) {
    podSpec[field]?.forEach((container, index) => {
      if (!container.image) return;
      const location: ImageLocation = {
        image: container.image,
        pointer: `${base}/${field}/${index}/image`,
        field,
        index,
      };
      if (container.name !== undefined) location.name = container.name;
      locations.push(location);
    });
  }
  podSpec.volumes?.forEach((volume, index) => {
    const reference = volume.image?.reference;
    if (!reference) return;
    const location: ImageLocation = {
      image: reference,
      pointer: `${base}/volumes/${index}/image/reference`,
      field: 'volumes',
      index,
    };
    if (volume.name !== undefined) location.name = volume.name;
    locations.push(location);
  });
  return locations;
}

/** `in container "app"`, `in image volume "models"`: where an image is, for messages. */
export function describeLocation(location: ImageLocation): string {
  const what = {
    containers: 'container',
    initContainers: 'init container',
    ephemeralContainers: 'ephemeral container',
    volumes: 'image volume',
  }[location.field];
  return location.name !== undefined
    ? `${what} ${JSON.stringify(location.name)}`
    : `${what} #${location.index}`;
}

export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

function unescapePointerToken(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

/** The value an RFC 6901 pointer designates, or undefined when the path does not exist. */
export function valueAtPointer(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  if (!pointer.startsWith('/')) return undefined;
  return valueAtPath(root, pointer.slice(1).split('/').map(unescapePointerToken));
}

function valueAtPath(root: unknown, path: readonly string[]): unknown {
  let current: unknown = root;
  for (const token of path) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      current = current[Number(token)];
    } else if (typeof current === 'object' && current !== null) {
      if (!Object.hasOwn(current, token)) return undefined;
      current = (current as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return current;
}
