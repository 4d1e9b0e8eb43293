/**
 * Flux image-policy setter markers: a trailing comment `# {"$imagepolicy": "<namespace>:<name>"}` on a
 * YAML scalar marks it to be set to the policy's image (`name:tag@sha256:…`); the suffixes `:tag`,
 * `:name` and `:digest` mark a scalar for one field (Kustomize `images:` entries `newTag`, `newName`,
 * `digest`; Helm values `image.tag`; …). As in Flux (kyaml's field metadata), the comment text after the
 * `#`s must be a JSON object of strings with a non-empty `$imagepolicy` key, and only files containing
 * the token `"$imagepolicy"` are read.
 *
 * Each marker keeps the exact source range of its value so that rewriting touches nothing else.
 */
import { isMap, isPair, isScalar, type Scalar, visit, type YAMLMap } from 'yaml';
import type { SourceLocation } from './files.js';
import { formatLocation } from './files.js';
import { locationAt, parseYamlSource } from './yaml-source.js';

export type SetterField = 'full' | 'tag' | 'name' | 'digest';
export type ScalarStyle = 'plain' | 'double' | 'single';

export const MARKER_TOKEN = '"$imagepolicy"';

export interface Marker {
  /** `namespace/name` of the ImagePolicy (the key Flux objects are stored under). */
  policyKey: string;
  /** The setter exactly as written: `flux-system:app`, `flux-system:app:tag`. */
  setter: string;
  field: SetterField;
  /** The scalar's value now. */
  value: string;
  style: ScalarStyle;
  /** Source range of the value (quotes included) in the file's text. */
  start: number;
  end: number;
  location: SourceLocation;
  /**
   * For a `:tag` or `:digest` marker: the value of the same policy's `:name` marker in the same
   * mapping (Kustomize `newName`, Helm `image.repository`), which says whose tag or digest it is.
   */
  nameBeside?: string;
}

export interface MarkedFile {
  markers: Marker[];
  /** Ignored markers, and marked values that will not carry the verified digest. */
  warnings: string[];
}

const FIELDS: Readonly<Record<string, SetterField>> = { tag: 'tag', name: 'name', digest: 'digest' };
const TRAILING_COMMENT = /^[ \t]+#([^\r\n]*)/;

/** The setter named by a comment's text, or undefined when the comment is not a marker. */
export function markerSetter(comment: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(comment.replace(/^#+/, ''));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const entries = Object.entries(parsed);
  // Flux decodes the comment into map[string]string: any other value type makes it an ordinary comment.
  if (!entries.every(([, value]) => typeof value === 'string')) return undefined;
  const setter = (parsed as Record<string, string>).$imagepolicy;
  return setter ? setter : undefined;
}

function styleOf(node: Scalar): ScalarStyle | undefined {
  switch (node.type) {
    case 'PLAIN':
      return 'plain';
    case 'QUOTE_DOUBLE':
      return 'double';
    case 'QUOTE_SINGLE':
      return 'single';
    default:
      return undefined;
  }
}

/** Finds the markers in one file's text. `file` is how the file is named in messages. */
export function findMarkers(file: string, text: string): MarkedFile {
  const result: MarkedFile = { markers: [], warnings: [] };
  if (!text.includes(MARKER_TOKEN)) return result;
  const source = parseYamlSource(file, text);
  if (source.errors.length) {
    result.warnings.push(
      `skipped ${file}: it has image policy markers but is not valid YAML (${source.errors[0]})`,
    );
    return result;
  }
  const byMap = new Map<YAMLMap, Marker[]>();
  for (const document of source.documents) {
    visit(document, {
      Scalar(_key, node, path) {
        if (!node.range) return;
        const [start, end] = node.range;
        const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
        // A block scalar's comment sits on its header line (`key: |  # …`), not after the value.
        const header = block ? (text.slice(start).split(/\r?\n/)[0] ?? '') : '';
        const comment = block ? /[ \t]#(.*)$/.exec(header) : TRAILING_COMMENT.exec(text.slice(end));
        if (!comment) return;
        const setter = markerSetter((comment[1] as string).trim());
        if (setter === undefined) return;
        const location = locationAt(source, start);
        const ignore = (reason: string) =>
          result.warnings.push(
            `${formatLocation(location)}: marker ${JSON.stringify(setter)} ignored: ${reason}`,
          );
        const parts = setter.split(':');
        const field =
          parts.length === 2 ? 'full' : parts.length === 3 ? FIELDS[parts[2] as string] : undefined;
        if (!field || !parts[0] || !parts[1])
          return ignore('expected <namespace>:<name> with an optional :tag, :name or :digest');
        const style = styleOf(node);
        if (
          !style ||
          (typeof node.value !== 'string' &&
            typeof node.value !== 'number' &&
            typeof node.value !== 'boolean')
        )
          return ignore('only single-line scalar values can be set');
        const sourceText = text.slice(start, end);
        if (start === end || /[\r\n]/.test(sourceText))
          return ignore('only single-line scalar values can be set');
        const marker: Marker = {
          policyKey: `${parts[0]}/${parts[1]}`,
          setter,
          field,
          value: style === 'plain' ? sourceText : String(node.value),
          style,
          start,
          end,
          location,
        };
        result.markers.push(marker);
        const parent = path[path.length - 1];
        const map = path[path.length - 2];
        if (isPair(parent) && isMap(map)) {
          const group = byMap.get(map) ?? [];
          group.push(marker);
          byMap.set(map, group);
        }
      },
    });
  }
  for (const group of byMap.values())
    for (const marker of group) {
      if (marker.field !== 'tag' && marker.field !== 'digest') continue;
      const name = group.find((other) => other.field === 'name' && other.policyKey === marker.policyKey);
      if (name) marker.nameBeside = name.value;
    }
  // A `:tag` marker without a `:digest` (or full) marker beside it writes a tag the verified digest
  // does not pin; Kustomize would even keep an old unmarked `digest:` and deploy that instead.
  for (const [map, group] of byMap) {
    for (const marker of group) {
      if (marker.field !== 'tag') continue;
      const pinned = group.some(
        (other) =>
          other.policyKey === marker.policyKey && (other.field === 'digest' || other.field === 'full'),
      );
      if (pinned) continue;
      const digestPair = map.items.find((item) => isScalar(item.key) && item.key.value === 'digest');
      const digestStart = (digestPair?.value as Scalar | null | undefined)?.range?.[0];
      const digestMarked = group.some((other) => other.start === digestStart);
      result.warnings.push(
        digestPair && !digestMarked
          ? `${formatLocation(marker.location)}: "${marker.setter}" sets the tag but the "digest" field beside it is not marked, so the old digest stays in force; mark it with {"$imagepolicy": "${marker.setter.replace(/:tag$/, ':digest')}"}`
          : `${formatLocation(marker.location)}: "${marker.setter}" sets only the tag, so Git will not pin the verified digest here; add a "${marker.setter.replace(/:tag$/, ':digest')}" marker or use the full "${marker.setter.replace(/:tag$/, '')}" form`,
      );
    }
  }
  return result;
}

/**
 * The image name a marked value is about, when it says: the name part of a full reference, or the
 * `:name` marker beside a `:tag` or `:digest` marker. Undefined when the value does not name one.
 */
export function markedName(marker: Marker): string | undefined {
  switch (marker.field) {
    case 'full': {
      const at = marker.value.indexOf('@');
      const name = at >= 0 ? marker.value.slice(0, at) : marker.value;
      const colon = name.lastIndexOf(':');
      return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
    }
    case 'name':
      return marker.value;
    default:
      return marker.nameBeside;
  }
}

/** The tag and digest a marked value pins now (for the full form and `:tag`/`:digest` markers). */
export function pinnedBy(marker: Marker): { tag?: string; digest?: string } {
  switch (marker.field) {
    case 'tag':
      return { tag: marker.value };
    case 'digest':
      return { digest: marker.value };
    case 'name':
      return {};
    case 'full': {
      const at = marker.value.indexOf('@');
      const name = at >= 0 ? marker.value.slice(0, at) : marker.value;
      const digest = at >= 0 ? marker.value.slice(at + 1) : undefined;
      const colon = name.lastIndexOf(':');
      const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : undefined;
      return { ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
    }
  }
}

/** What a marker of each kind is set to for an elected image. */
export function valueFor(field: SetterField, image: { name: string; tag: string; digest: string }): string {
  switch (field) {
    case 'full':
      return `${image.name}:${image.tag}@${image.digest}`;
    case 'tag':
      return image.tag;
    case 'name':
      return image.name;
    case 'digest':
      return image.digest;
  }
}
