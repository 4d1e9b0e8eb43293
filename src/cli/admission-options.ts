/**
 * The options `vouch webhook` and `vouch audit` share, checked the same way for both: the cache, the
 * policy paths, and the per-namespace enforcement.
 */
import { delimiter } from 'node:path';
import { checkNamespacePattern, type EnforcementConfig } from '../gates/admission/enforcement.js';
import { CliError } from './errors.js';

export interface EnforcementFlags {
  audit: boolean;
  enforceNamespaces?: string[];
  warnNamespaces?: string[];
  excludeNamespaces?: string[];
}

export function checkCache(raw: string): string {
  if (raw === 'memory') return raw;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError('USAGE', `--cache must be memory or a redis:// URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new CliError(
      'USAGE',
      `--cache must be memory or a redis:// or rediss:// URL, got ${JSON.stringify(raw)}`,
    );
  return raw;
}

function namespaceList(flag: string, entries: readonly string[] | undefined): string[] {
  const list = (entries ?? []).filter((entry) => entry !== '');
  for (const entry of list) {
    const problem = checkNamespacePattern(entry);
    if (problem) throw new CliError('USAGE', `${flag}: ${problem}`);
  }
  return list;
}

/**
 * The policy files: `--policy` (repeatable), else `VOUCH_POLICY` (paths separated by ":"), so that a
 * pipeline such as `kubectl get … | vouch audit - --report` can leave the flag out.
 */
export function policyPaths(
  flag: readonly string[] | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  if (flag?.length) return [...flag];
  const fromEnv = (env.VOUCH_POLICY ?? '').split(delimiter).filter((entry) => entry !== '');
  if (fromEnv.length) return fromEnv;
  throw new CliError(
    'USAGE',
    '--policy (or VOUCH_POLICY) is required: a ClusterImagePolicy file or directory',
  );
}

/** vouch's own namespace: from the downward API (`POD_NAMESPACE`), else the one deploy/ uses. */
export function ownNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_NAMESPACE || 'vouch-system';
}

export function enforcementFrom(
  options: EnforcementFlags,
  defaultExcluded: readonly string[],
): EnforcementConfig {
  return {
    audit: options.audit === true,
    enforceNamespaces: namespaceList('--enforce-namespaces', options.enforceNamespaces),
    warnNamespaces: namespaceList('--warn-namespaces', options.warnNamespaces),
    excludeNamespaces:
      options.excludeNamespaces === undefined
        ? [...defaultExcluded]
        : namespaceList('--exclude-namespaces', options.excludeNamespaces),
  };
}
