/**
 * Kyverno `imageReferences` as ClusterImagePolicy globs.
 *
 * Kyverno matches its wildcard patterns against the image as written, with `docker.io` added when no
 * registry is written (`nginx` → `docker.io/nginx:latest`, no `library/`), and against the digest form
 * only when the image carries a digest (`repo:tag@sha256:…` is `repo@sha256:…` there). vouch matches
 * canonical names (`index.docker.io/library/nginx:latest`) in both the tag form and the digest form.
 */
import type { Scope } from '../report.js';
import { DOCKER_HUB_HOSTS, looksLikeHost, wildcardToGlob } from '../wildcards.js';

export interface GlobsResult {
  globs: string[];
  /** True when some pattern restricts tags, so an image written `repo:tag@digest` is matched differently. */
  tagForms: boolean;
}

/** One pattern's globs; reports what happened to it at `path`. */
function patternGlobs(pattern: string, scope: Scope, path: string): { globs: string[]; tagForm: boolean } {
  const slash = pattern.indexOf('/');
  const first = slash < 0 ? pattern : pattern.slice(0, slash);
  if (!/[*?]/.test(first) && !looksLikeHost(first)) {
    scope.dropped(
      path,
      `${JSON.stringify(pattern)} never matches in Kyverno (image names carry a registry there, docker.io when none is written): no glob`,
    );
    return { globs: [], tagForm: false };
  }
  let rest = pattern;
  let docker = false;
  if (!/[*?]/.test(first) && DOCKER_HUB_HOSTS.includes(first)) {
    docker = true;
    rest = slash < 0 ? '' : pattern.slice(slash + 1);
  }
  const candidates = docker
    ? [
        `index.docker.io/${rest}`,
        ...(rest.startsWith('library/') || /^[*?]/.test(rest) ? [] : [`index.docker.io/library/${rest}`]),
      ]
    : [pattern];
  const globs: string[] = [];
  for (const candidate of candidates) {
    const converted = wildcardToGlob(candidate);
    if (!converted.ok) {
      scope.dropped(path, `${JSON.stringify(pattern)}: ${converted.problem}`);
      return { globs: [], tagForm: false };
    }
    globs.push(converted.glob);
    if (converted.widened && candidate === candidates[0])
      scope.changed(
        path,
        `"?" (one character) became "**": the glob ${converted.glob} matches more names than ${JSON.stringify(pattern)}`,
      );
  }
  if (docker)
    scope.changed(
      path,
      `${JSON.stringify(pattern)} → ${globs.join(', ')}: Kyverno compares Docker Hub names as written (docker.io/nginx, docker.io/library/nginx and index.docker.io/nginx differ there); vouch compares canonical names, so every spelling is covered`,
    );
  else
    scope.translated(
      path,
      `${JSON.stringify(pattern)} → glob ${globs.join(', ')} (Kyverno's * crosses "/", as ** does)`,
    );
  const last = pattern.slice(pattern.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  const tagForm = colon >= 0 && !last.slice(0, colon).includes('@');
  return { globs, tagForm };
}

export function kyvernoGlobs(
  references: readonly { pattern: string; path: string }[],
  scope: Scope,
): GlobsResult {
  const globs = new Set<string>();
  let tagForms = false;
  for (const { pattern, path } of references) {
    const result = patternGlobs(pattern, scope, path);
    for (const glob of result.globs) globs.add(glob);
    tagForms ||= result.tagForm;
  }
  return { globs: [...globs], tagForms };
}
