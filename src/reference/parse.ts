import { isIPv6 } from 'node:net';
import { checkDigest } from './digest.js';
import { InvalidReferenceError } from './errors.js';

/**
 * A parsed, canonical image reference: plain data. `tag` defaults to `latest` only when the input had
 * neither a tag nor a digest, so `repo@sha256:…` stays tagless and `repo:tag@sha256:…` keeps both.
 */
export interface ImageReference {
  /** Registry host with optional port, canonical (`index.docker.io` for Docker Hub). */
  readonly registry: string;
  /** Repository path inside the registry (`library/alpine`). */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export const DOCKER_HUB_REGISTRY = 'index.docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
export const DEFAULT_TAG = 'latest';

/** A registry host as image names spell it: Docker Hub's aliases are `index.docker.io`. */
export function canonicalRegistry(host: string): string {
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB_REGISTRY : host;
}

/** Distribution's limit on `registry/repository`. */
const NAME_MAX_LENGTH = 255;
const TAG = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;

/**
 * Parses an image reference as docker, distribution and go-containerregistry do: `alpine` is
 * `index.docker.io/library/alpine:latest`; the first path component is a registry when it contains
 * `.` or `:`, is `localhost`, is a bracketed IPv6 literal, or has uppercase letters.
 */
export function parseReference(input: string): ImageReference {
  if (input.trim() === '') throw new InvalidReferenceError('EMPTY', input, 'reference is empty');
  if (/\s/.test(input))
    throw new InvalidReferenceError('INVALID_FORMAT', input, 'reference contains white space');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (digest.includes('@')) throw new InvalidReferenceError('INVALID_FORMAT', input, 'more than one "@"');
    if (digest === '') throw new InvalidReferenceError('INVALID_DIGEST', input, 'digest after "@" is empty');
    checkDigest(digest, input);
  }

  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/') && lastColon > rest.lastIndexOf(']')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) {
      const reason =
        tag === ''
          ? 'tag after ":" is empty'
          : tag.length > 128
            ? `tag is longer than 128 characters`
            : `tag ${JSON.stringify(tag)} may contain only letters, digits, "_", "." and "-" and must not start with "." or "-"`;
      throw new InvalidReferenceError('INVALID_TAG', input, reason);
    }
  }

  if (rest === '') throw new InvalidReferenceError('INVALID_FORMAT', input, 'repository name is empty');
  if (rest.length > NAME_MAX_LENGTH) {
    throw new InvalidReferenceError(
      'NAME_TOO_LONG',
      input,
      `repository name must not be longer than ${NAME_MAX_LENGTH} characters`,
    );
  }

  let { registry, path } = splitRegistry(rest);
  if (registry !== undefined) {
    checkRegistry(registry, input);
    registry = canonicalRegistry(registry);
  } else {
    registry = DOCKER_HUB_REGISTRY;
  }
  checkRepository(path, input);
  if (registry === DOCKER_HUB_REGISTRY && !path.includes('/')) path = `library/${path}`;
  // The limit holds for the name as every later step spells it (`a` is `index.docker.io/library/a`):
  // a name that fits only as written would be accepted here and refused by the registry.
  const canonicalName = `${registry}/${path}`;
  if (canonicalName.length > NAME_MAX_LENGTH) {
    throw new InvalidReferenceError(
      'NAME_TOO_LONG',
      input,
      `repository name ${canonicalName.slice(0, 40)}… is ${canonicalName.length} characters in canonical form, longer than ${NAME_MAX_LENGTH}`,
    );
  }

  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return {
    registry,
    repository: path,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

function splitRegistry(name: string): { registry?: string; path: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { path: name };
  const first = name.slice(0, slash);
  const looksLikeHost =
    first.includes('.') ||
    first.includes(':') ||
    first === 'localhost' ||
    first.startsWith('[') ||
    first !== first.toLowerCase();
  return looksLikeHost ? { registry: first, path: name.slice(slash + 1) } : { path: name };
}

function checkRegistry(registry: string, input: string): void {
  let host = registry;
  let port: string | undefined;
  if (registry.startsWith('[')) {
    const close = registry.indexOf(']');
    if (close < 0)
      throw new InvalidReferenceError(
        'INVALID_REGISTRY',
        input,
        `registry ${JSON.stringify(registry)} has an unclosed "["`,
      );
    host = registry.slice(1, close);
    const after = registry.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':'))
        throw new InvalidReferenceError(
          'INVALID_REGISTRY',
          input,
          `registry ${JSON.stringify(registry)} is malformed`,
        );
      port = after.slice(1);
    }
    if (!isIPv6(host))
      throw new InvalidReferenceError(
        'INVALID_REGISTRY',
        input,
        `${JSON.stringify(host)} is not an IPv6 address`,
      );
  } else {
    const colon = registry.indexOf(':');
    if (colon >= 0) {
      host = registry.slice(0, colon);
      port = registry.slice(colon + 1);
    }
    if (host === '' || !host.split('.').every((component) => DOMAIN_COMPONENT.test(component))) {
      throw new InvalidReferenceError(
        'INVALID_REGISTRY',
        input,
        `registry host ${JSON.stringify(host)} is not a valid host name`,
      );
    }
  }
  if (port !== undefined && (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    throw new InvalidReferenceError(
      'INVALID_REGISTRY',
      input,
      `registry port ${JSON.stringify(port)} is not a number from 1 to 65535`,
    );
  }
}

function checkRepository(path: string, input: string): void {
  if (path === '') throw new InvalidReferenceError('INVALID_REPOSITORY', input, 'repository path is empty');
  if (path !== path.toLowerCase()) {
    throw new InvalidReferenceError(
      'REPOSITORY_NOT_LOWERCASE',
      input,
      `repository ${JSON.stringify(path)} must be lowercase`,
    );
  }
  for (const component of path.split('/')) {
    if (component === '')
      throw new InvalidReferenceError(
        'INVALID_REPOSITORY',
        input,
        `repository ${JSON.stringify(path)} has an empty path component`,
      );
    if (!PATH_COMPONENT.test(component)) {
      throw new InvalidReferenceError(
        'INVALID_REPOSITORY',
        input,
        `repository path component ${JSON.stringify(component)} must be lowercase letters and digits separated by ".", "_", "__" or "-"`,
      );
    }
  }
}

/**
 * The registry and repository a name denotes, spelled one way, for deciding whether two names are the
 * same repository (policy globs): the host lower-cased (host names are case-insensitive), `:443`
 * dropped (the HTTPS port is the default one), Docker Hub's aliases read as `index.docker.io` with
 * its `library/` prefix. Everything else stays as written: other ports, IP address spellings
 * (`127.1`, `[::0:1]`), and the repository path (case-sensitive, and lowercase anyway).
 */
export function canonicalLocation(
  ref: Pick<ImageReference, 'registry' | 'repository'>,
): Pick<ImageReference, 'registry' | 'repository'> {
  let registry = ref.registry.toLowerCase();
  if (registry.endsWith(':443')) registry = registry.slice(0, -':443'.length);
  registry = canonicalRegistry(registry);
  const repository =
    registry === DOCKER_HUB_REGISTRY && !ref.repository.includes('/')
      ? `library/${ref.repository}`
      : ref.repository;
  return { registry, repository };
}

/** `registry/repository`: the name without tag or digest. */
export function repositoryName(ref: Pick<ImageReference, 'registry' | 'repository'>): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The canonical text form: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The same reference pinned to a digest, tag kept for readability: `repo:tag@sha256:…`. */
export function withDigest(ref: ImageReference, digest: string): ImageReference {
  return {
    registry: ref.registry,
    repository: ref.repository,
    ...(ref.tag !== undefined && { tag: ref.tag }),
    digest,
  };
}

/** The same repository at another tag (no digest). */
export function withTag(ref: Pick<ImageReference, 'registry' | 'repository'>, tag: string): ImageReference {
  return { registry: ref.registry, repository: ref.repository, tag };
}

/** The tag or digest a registry request should ask for: the digest when there is one. */
export function manifestIdentifier(ref: ImageReference): string {
  const id = ref.digest ?? ref.tag;
  if (id === undefined) throw new Error('reference has neither tag nor digest');
  return id;
}
