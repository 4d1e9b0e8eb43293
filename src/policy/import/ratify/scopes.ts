/**
 * Ratify's scopes as ClusterImagePolicy globs: a cosign trust policy's `scopes` (`*`, a prefix ending in
 * `*`, or an exact reference, compared with the image as written) and a Notation trust policy's
 * `registryScopes` (`*` or a repository, `registry/path`). `*` applies only where no other scope does,
 * in both; a ClusterImagePolicy applies wherever its globs match.
 */
import type { Scope } from '../report.js';
import { DOCKER_HUB_HOSTS, wildcardToGlob } from '../wildcards.js';

function dockerVariants(prefix: string): string[] | undefined {
  const slash = prefix.indexOf('/');
  const host = slash < 0 ? prefix : prefix.slice(0, slash);
  if (!DOCKER_HUB_HOSTS.includes(host)) return undefined;
  const rest = slash < 0 ? '' : prefix.slice(slash + 1);
  return rest.startsWith('library/') || rest === ''
    ? [`index.docker.io/${rest}`]
    : [`index.docker.io/${rest}`, `index.docker.io/library/${rest}`];
}

/** A cosign trust policy scope → globs (empty when it has none), reported at `path`. */
export function cosignScopeGlobs(scope: string, report: Scope, path: string): string[] {
  if (scope === '*') {
    report.translated(path, '"*" → glob **');
    return ['**'];
  }
  const docker = dockerVariants(scope);
  const candidates = docker ?? [scope];
  const globs: string[] = [];
  for (const candidate of candidates) {
    const converted = wildcardToGlob(candidate);
    if (!converted.ok) {
      report.dropped(path, `${JSON.stringify(scope)}: ${converted.problem}`);
      return [];
    }
    globs.push(converted.glob);
  }
  if (docker !== undefined)
    report.changed(
      path,
      `${JSON.stringify(scope)} → ${globs.join(', ')}: Ratify compares the image as written; vouch compares canonical Docker Hub names, so every spelling is covered`,
    );
  else
    report.translated(
      path,
      `${JSON.stringify(scope)} → glob ${globs.join(', ')}${scope.endsWith('*') ? ' (a prefix: ** crosses "/")' : ''}`,
    );
  return globs;
}

/** A Notation registry scope (a repository) → globs for its tags and digests. */
export function registryScopeGlobs(scope: string, report: Scope, path: string): string[] {
  if (scope === '*') {
    report.translated(path, '"*" → glob **');
    return ['**'];
  }
  const docker = dockerVariants(scope);
  const repositories = docker ?? [scope];
  const globs: string[] = [];
  for (const repository of repositories) {
    const converted = wildcardToGlob(repository);
    if (!converted.ok || repository.includes('*')) {
      report.refuse(
        path,
        `${JSON.stringify(scope)} is not a repository (a registry scope is "*" or registry/path)`,
      );
      return [];
    }
    globs.push(`${converted.glob}:*`, `${converted.glob}@*`);
  }
  if (docker !== undefined)
    report.changed(
      path,
      `${JSON.stringify(scope)} → ${globs.join(', ')}: vouch compares canonical Docker Hub names, so every spelling is covered`,
    );
  else
    report.translated(
      path,
      `${JSON.stringify(scope)} → globs ${globs.join(', ')} (every tag and digest of the repository)`,
    );
  return globs;
}
