/**
 * `spec.policy` and `attestations[].policy`. policy-controller runs cue or rego; vouch runs CEL over the
 * same input document and refuses cue and rego with a clear message rather than skipping them.
 */
import { parse as parseCel } from '@bufbuild/cel';
import { describeError } from '../../errors.js';
import { compileCondition } from '../../verify/cel.js';
import { isCelError } from '../../verify/errors.js';
import { ATTESTATION_CEL_VARIABLES, policyCelVariables } from '../cel-variables.js';
import { PolicyError } from '../errors.js';
import type { SuppliedObjects } from '../load/references.js';
import { type FetchOptions, fetchChecked, remoteUrlError, sha256sumError } from '../load/remote.js';
import type { CelPolicy, PolicyLevelCel } from '../model.js';
import type { PolicyInput } from '../schema/cluster-image-policy.js';
import { exactlyOne, type Reporter } from './reporter.js';

export interface PolicyBodyContext {
  configMaps: SuppliedObjects;
  fetch: FetchOptions;
}

const POLICY_LEVEL_ONLY = ['fetchConfigFile', 'includeSpec', 'includeObjectMeta', 'includeTypeMeta'] as const;

/** Why `expression` is not valid CEL syntax, or undefined. */
export function celSyntaxError(expression: string): string | undefined {
  try {
    parseCel(expression);
    return undefined;
  } catch (error) {
    return describeError(error).replace(/^<input>:/, '');
  }
}

export async function compilePolicyBody(
  input: PolicyInput,
  path: string,
  level: 'policy' | 'attestation',
  reporter: Reporter,
  context: PolicyBodyContext,
): Promise<CelPolicy | PolicyLevelCel | undefined> {
  let ok = true;
  if (input.type === 'cue' || input.type === 'rego') {
    reporter.error(
      'UNSUPPORTED',
      `${path}.type`,
      `${input.type} policies are not supported by vouch; write the condition as type: cel (CEL over the same input document)`,
    );
    ok = false;
  } else if (input.type !== 'cel') {
    reporter.error(
      'INVALID',
      `${path}.type`,
      `must be one of "cel", "cue", "rego" (got ${JSON.stringify(input.type)})`,
    );
    ok = false;
  }
  if (level === 'attestation') {
    for (const field of POLICY_LEVEL_ONLY)
      if (input[field] !== undefined) {
        reporter.error(
          'INVALID',
          `${path}.${field}`,
          'only allowed in spec.policy, not in an attestation policy',
        );
        ok = false;
      }
  }
  if (
    !exactlyOne(reporter, path, { data: input.data, remote: input.remote, configMapRef: input.configMapRef })
  )
    ok = false;

  let expression: string | undefined;
  let from = 'inline';
  let expressionPath = `${path}.data`;
  if (input.data !== undefined) {
    expression = input.data;
  } else if (input.remote !== undefined) {
    const remote = input.remote;
    expressionPath = `${path}.remote`;
    if (remote.url === undefined) {
      reporter.error('INVALID', `${path}.remote.url`, 'required field is missing');
      ok = false;
    } else {
      const problem = remoteUrlError(remote.url);
      if (problem) {
        reporter.error('INVALID', `${path}.remote.url`, problem);
        ok = false;
      }
    }
    if (remote.sha256sum === undefined) {
      reporter.error(
        'INVALID',
        `${path}.remote.sha256sum`,
        'required field is missing: a remote policy must name the sha256 of its body',
      );
      ok = false;
    } else {
      const problem = sha256sumError(remote.sha256sum);
      if (problem) {
        reporter.error('INVALID', `${path}.remote.sha256sum`, problem);
        ok = false;
      }
    }
    if (ok && remote.url !== undefined && remote.sha256sum !== undefined) {
      try {
        expression = await fetchChecked(remote.url, remote.sha256sum, context.fetch);
        from = `${remote.url} (sha256 ${remote.sha256sum.toLowerCase()})`;
      } catch (error) {
        if (!(error instanceof PolicyError)) throw error;
        reporter.error(error.code, `${path}.remote`, error.message);
        ok = false;
      }
    }
  } else if (input.configMapRef !== undefined) {
    const ref = input.configMapRef;
    expressionPath = `${path}.configMapRef`;
    if (ref.name === undefined) {
      reporter.error('INVALID', `${path}.configMapRef.name`, 'required field is missing');
      ok = false;
    }
    if (ref.key === undefined) {
      reporter.error('INVALID', `${path}.configMapRef.key`, 'required field is missing');
      ok = false;
    }
    if (ok && ref.name !== undefined && ref.key !== undefined) {
      const configMap = context.configMaps.get(ref.namespace, ref.name);
      const value = configMap?.data[ref.key];
      if (configMap === undefined) {
        reporter.error(
          'MISSING_REFERENCE',
          `${path}.configMapRef`,
          `ConfigMap ${ref.namespace ?? 'cosign-system'}/${ref.name} was not supplied (add its YAML to the policy sources)`,
        );
        ok = false;
      } else if (value === undefined) {
        reporter.error(
          'MISSING_REFERENCE',
          `${path}.configMapRef.key`,
          `ConfigMap ${configMap.namespace}/${configMap.name} (${configMap.from}) has no key ${JSON.stringify(ref.key)}`,
        );
        ok = false;
      } else {
        expression = value;
        from = `ConfigMap ${configMap.namespace}/${configMap.name} key ${ref.key}`;
      }
    }
  }

  if (!ok || expression === undefined) return undefined;
  const syntax = celSyntaxError(expression);
  if (syntax !== undefined) {
    reporter.error('INVALID', expressionPath, `CEL syntax error: ${syntax}`);
    return undefined;
  }
  const flags = {
    fetchConfigFile: input.fetchConfigFile ?? false,
    includeSpec: input.includeSpec ?? false,
    includeObjectMeta: input.includeObjectMeta ?? false,
    includeTypeMeta: input.includeTypeMeta ?? false,
  };
  // Unknown variables (a typo, or `spec` without includeSpec) are found now rather than at the first check.
  const variables = level === 'attestation' ? ATTESTATION_CEL_VARIABLES : policyCelVariables(flags);
  try {
    compileCondition(expression, variables);
  } catch (error) {
    if (!isCelError(error)) throw error;
    reporter.error('INVALID', expressionPath, error.message);
    return undefined;
  }
  const body: CelPolicy = { type: 'cel', expression, from };
  if (level === 'attestation') return body;
  return { ...body, ...flags };
}
