import { canonicalRegistry } from '../../reference/index.js';

/** The scope that applies to every artifact no other statement names. */
export const GLOBAL_SCOPE = '*';

const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]+$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const NAME_MAX_LENGTH = 255;

/**
 * Why a registry scope is not valid, or undefined: `*`, or a fully qualified repository
 * `registry[:port]/path` as distribution names it, without scheme, tag, digest or any `*`
 * (notation's rule; the specification allows no reference expansion, so `alpine` is not a scope).
 */
export function registryScopeProblem(scope: string): string | undefined {
  if (scope === GLOBAL_SCOPE) return undefined;
  const explain = `registry scope ${JSON.stringify(scope.slice(0, 300))} is not valid`;
  const hint = 'use a fully qualified repository without scheme or tag, like registry.example.com/team/app';
  if (scope.includes('*')) return `${explain}: a wildcard may only be the whole scope "*"`;
  if (scope.length > NAME_MAX_LENGTH) return `${explain}: longer than ${NAME_MAX_LENGTH} characters`;
  const slash = scope.indexOf('/');
  if (slash <= 0) return `${explain}; ${hint}`;
  const host = scope.slice(0, slash);
  const path = scope.slice(slash + 1);
  const [domain, port, ...more] = host.split(':');
  if (more.length > 0 || (port !== undefined && !PORT.test(port))) return `${explain}; ${hint}`;
  if (!(domain as string).split('.').every((part) => DOMAIN_COMPONENT.test(part)))
    return `${explain}; ${hint}`;
  if (!path.split('/').every((part) => PATH_COMPONENT.test(part))) return `${explain}; ${hint}`;
  return undefined;
}

/**
 * A valid scope in the form vouch's references take (`index.docker.io` for Docker Hub's aliases, the
 * host in lower case), so that a scope and an image name compare as equal strings.
 */
export function canonicalScope(scope: string): string {
  if (scope === GLOBAL_SCOPE) return scope;
  const slash = scope.indexOf('/');
  return `${canonicalRegistry(scope.slice(0, slash).toLowerCase())}${scope.slice(slash)}`;
}

/** `registry/repository` of an image, in the same canonical form. */
export function imageScope(image: { readonly registry: string; readonly repository: string }): string {
  return `${canonicalRegistry(image.registry.toLowerCase())}/${image.repository}`;
}

/**
 * The statement that applies to an image (the specification's selection): the one whose scopes name
 * the image's repository, else the one with the global scope, else none (and then the image is not
 * trusted).
 */
export function selectStatement<T extends { readonly registryScopes: readonly string[] }>(
  statements: readonly T[],
  image: { readonly registry: string; readonly repository: string },
): T | undefined {
  const wanted = imageScope(image);
  let global: T | undefined;
  for (const statement of statements) {
    if (statement.registryScopes.includes(GLOBAL_SCOPE)) global = statement;
    else if (statement.registryScopes.some((scope) => canonicalScope(scope) === wanted)) return statement;
  }
  return global;
}
