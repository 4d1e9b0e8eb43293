/**
 * A Kyverno `ClusterPolicy` / `Policy`: its settings (failure action and its per-namespace overrides,
 * failure policy, timeouts — flags of vouch's webhook where they are not policy) and each rule.
 */
import type { SourceDocument } from '../model.js';
import { kubernetesName } from '../names.js';
import { commentAt } from '../read.js';
import type { Scope } from '../report.js';
import { parseStrict } from '../strict.js';
import type { TrustParts } from '../trust.js';
import { translateMatch } from './match.js';
import { type KyvernoPolicy, kyvernoPolicySchema, type PolicySpec, type Rule } from './schema.js';
import { checkPolicy, isAuditAction } from './validate.js';
import { translateImageVerification } from './verify-images.js';

export interface KyvernoContext {
  /** ConfigMaps of the input, by `namespace/name`. */
  configMaps: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** How many Kyverno policies the input holds: a webhook flag is exact only for the only one. */
  policies: number;
  trustRoot(parts: TrustParts, scope: Scope): string | undefined;
}

export function translateKyvernoPolicy(
  document: SourceDocument,
  scope: Scope,
  context: KyvernoContext,
): void {
  const value = document.value as Record<string, unknown>;
  const version = value.apiVersion === 'kyverno.io/v2beta1' ? 'v2beta1' : 'v1';
  const parsed = parseStrict(kyvernoPolicySchema(version), value);
  for (const issue of parsed.invalid) scope.refuse(issue.path, issue.message);
  const policy = parsed.value;
  if (policy === undefined) {
    for (const path of parsed.unknown) scope.dropped(path, unknownField(value, version));
    return;
  }
  checkPolicy(policy, scope);
  policySettings(policy, scope, context);
  const annotations = policy.metadata.annotations ?? {};
  const rules = (policy.spec.rules ?? []).map((rule, index) => {
    const path = `spec.rules[${index}]`;
    return { rule, path, scope: scope.child(rule.name, commentAt(document, path)).at(path) };
  });
  // A field the importer does not know is reported with the rule it is in (and marks that rule's policies).
  for (const path of parsed.unknown) {
    const owner = rules.find((entry) => path.startsWith(`${entry.path}.`));
    if (owner !== undefined)
      owner.scope.at('').dropped(path.slice(owner.path.length + 1), unknownField(value, version));
    else scope.dropped(path, unknownField(value, version));
  }
  for (const { rule, scope: ruleScope } of rules)
    translateRule(policy, rule, ruleScope, annotations, context);
  if ((policy.spec.rules ?? []).length === 0) scope.dropped('spec.rules', 'no rules: nothing to import');
}

function unknownField(value: Record<string, unknown>, version: string): string {
  return `unknown field: not part of Kyverno's ${String(value.kind)} (kyverno.io/${version}); not translated`;
}

function translateRule(
  policy: KyvernoPolicy,
  rule: Rule,
  scope: Scope,
  annotations: Readonly<Record<string, string>>,
  context: KyvernoContext,
): void {
  const entries = rule.verifyImages ?? [];
  const parts = (['mutate', 'validate', 'generate'] as const).filter((part) => rule[part] !== undefined);
  if (entries.length === 0) {
    scope.dropped(
      '',
      `a ${parts.join(', ') || 'rule'} without verifyImages is not image verification: keep it in Kyverno (vouch imports verifyImages)`,
    );
    return;
  }
  for (const part of parts)
    scope.dropped(
      part,
      `a ${part} rule is not image verification: keep it in Kyverno (vouch imports verifyImages)`,
    );
  const baseName = kubernetesName(policy.metadata.name, rule.name);
  scope.translated('name', `the rule's policies are named ${baseName}[-…]`);
  const configMaps = contextConfigMaps(rule, scope, context);
  if (rule.preconditions !== undefined) {
    if (isDeleteSkip(rule.preconditions))
      scope.translated(
        'preconditions',
        '{{request.operation}} NotEquals DELETE: vouch never checks deletions',
      );
    else scope.dropped('preconditions', 'preconditions are not translated: the policy applies without them');
  }
  if (rule.celPreconditions !== undefined)
    scope.dropped('celPreconditions', 'not translated: the policy applies without them');
  if (rule.imageExtractors !== undefined)
    scope.dropped(
      'imageExtractors',
      'vouch finds the images of Pods and pod controllers itself; images at other paths are not checked',
    );
  if (rule.reportProperties !== undefined) scope.ignored('reportProperties', 'report decoration');
  if (rule.skipBackgroundRequests !== undefined)
    scope.ignored('skipBackgroundRequests', 'Kyverno background controller setting');
  const match = translateMatch(rule.match, rule.exclude, annotations, scope);
  if (!match.applies) {
    scope.dropped(
      'verifyImages',
      'the rule applies to no kind vouch checks: its image verification is not imported',
    );
    return;
  }
  for (const [index, iv] of entries.entries())
    translateImageVerification(
      iv,
      scope.at(`verifyImages[${index}]`),
      {
        baseName,
        defaultAction: policy.spec.validationFailureAction,
        match: match.match,
        resolve: (text, at, path) => resolveVariable(text, at, path, configMaps),
        trustRoot: (parts) => context.trustRoot(parts, scope),
      },
      index,
    );
}

/** The rule's ConfigMap context entries found in the input, by entry name. */
function contextConfigMaps(
  rule: Rule,
  scope: Scope,
  context: KyvernoContext,
): Map<string, { where: string; data: Readonly<Record<string, string>> }> {
  const found = new Map<string, { where: string; data: Readonly<Record<string, string>> }>();
  (rule.context ?? []).forEach((entry, index) => {
    const path = `context[${index}]`;
    if (entry.configMap === undefined) {
      scope.dropped(
        path,
        `context entry ${JSON.stringify(entry.name)}: API calls, global references, image registry lookups and variables are not imported`,
      );
      return;
    }
    const where = `${entry.configMap.namespace ?? 'default'}/${entry.configMap.name}`;
    const data = context.configMaps.get(where);
    if (data === undefined) {
      scope.dropped(
        path,
        `ConfigMap ${where} is not in the input: values read from it are not imported (add its YAML to the input)`,
      );
      return;
    }
    found.set(entry.name, { where, data });
    scope.translated(path, `ConfigMap ${where}, read from the input where the rule uses it`);
  });
  return found;
}

const CONFIGMAP_VARIABLE = /^\s*\{\{\s*([A-Za-z_][\w-]*)\.data\.(?:"([^"]+)"|([A-Za-z0-9_-]+))\s*\}\}\s*$/;

function resolveVariable(
  text: string,
  scope: Scope,
  path: string,
  configMaps: ReadonlyMap<string, { where: string; data: Readonly<Record<string, string>> }>,
): string | undefined {
  if (!text.includes('{{')) return text;
  const match = text.length <= 512 ? CONFIGMAP_VARIABLE.exec(text) : null;
  const entry = match ? configMaps.get(match[1] as string) : undefined;
  const key = match ? ((match[2] ?? match[3]) as string) : '';
  const value = entry?.data[key];
  if (entry === undefined || value === undefined) {
    scope.dropped(
      path,
      `${text.trim()}: only a ConfigMap value found in the input can be imported; this entry never verifies (static fail)`,
    );
    return undefined;
  }
  scope.translated(path, `${text.trim()} → key ${key} of ConfigMap ${entry.where}`);
  return value;
}

function isDeleteSkip(preconditions: unknown): boolean {
  const all = (preconditions as { all?: unknown; any?: unknown } | null)?.all;
  if (!Array.isArray(all) || all.length !== 1 || (preconditions as { any?: unknown }).any !== undefined)
    return false;
  const condition = all[0] as { key?: unknown; operator?: unknown; value?: unknown };
  return (
    typeof condition.key === 'string' &&
    /^\{\{\s*request\.operation\s*\}\}$/.test(condition.key) &&
    condition.operator === 'NotEquals' &&
    condition.value === 'DELETE'
  );
}

function policySettings(policy: KyvernoPolicy, scope: Scope, context: KyvernoContext): void {
  const spec: PolicySpec = policy.spec;
  if (policy.kind === 'Policy')
    scope.changed(
      'kind',
      `a Kyverno Policy applies only in its namespace ${policy.metadata.namespace ?? '(default)'}; a ClusterImagePolicy applies in every namespace`,
    );
  if (spec.validationFailureAction !== undefined)
    scope.translated(
      'spec.validationFailureAction',
      `${spec.validationFailureAction} → mode: ${isAuditAction(spec.validationFailureAction) ? 'warn' : 'enforce'} (for rules without their own failureAction)`,
    );
  const only = context.policies === 1;
  (spec.validationFailureActionOverrides ?? []).forEach((override, index) => {
    const path = `spec.validationFailureActionOverrides[${index}]`;
    const flag = isAuditAction(override.action) ? '--warn-namespaces' : '--enforce-namespaces';
    if (override.namespaceSelector !== undefined)
      scope.changed(
        `${path}.namespaceSelector`,
        `vouch webhook ${flag} takes namespace names and globs, not label selectors`,
      );
    if ((override.namespaces ?? []).length > 0) {
      const detail = `vouch webhook ${flag} ${(override.namespaces ?? []).join(',')}`;
      if (only) scope.flag(`${path}.namespaces`, detail);
      else
        scope.changed(
          `${path}.namespaces`,
          `${detail} (the flag applies to every policy; Kyverno's override to this policy only)`,
        );
    }
  });
  const failurePolicy = spec.webhookConfiguration?.failurePolicy ?? spec.failurePolicy;
  const failurePath =
    spec.webhookConfiguration?.failurePolicy !== undefined
      ? 'spec.webhookConfiguration.failurePolicy'
      : 'spec.failurePolicy';
  if (failurePolicy === 'Fail')
    scope.flag(
      failurePath,
      "Fail: vouch's webhook configurations use failurePolicy: Fail (deploy/base/webhooks.yaml) and vouch denies on every error",
    );
  else if (failurePolicy === 'Ignore')
    scope.changed(
      failurePath,
      "Ignore: set failurePolicy: Ignore on vouch's webhook configurations (deploy/base/webhooks.yaml) to admit when the webhook is unreachable; vouch itself still denies registry errors and timeouts",
    );
  const timeout = spec.webhookConfiguration?.timeoutSeconds ?? spec.webhookTimeoutSeconds;
  if (timeout !== undefined)
    scope.flag(
      spec.webhookConfiguration?.timeoutSeconds !== undefined
        ? 'spec.webhookConfiguration.timeoutSeconds'
        : 'spec.webhookTimeoutSeconds',
      `${timeout}: timeoutSeconds: ${timeout} on vouch's webhook configurations and vouch webhook --timeout-budget ${Math.max(1, timeout - 1)}s (vouch answers, denying, before the API server gives up)`,
    );
  if (spec.webhookConfiguration?.matchConditions !== undefined)
    scope.dropped(
      'spec.webhookConfiguration.matchConditions',
      'CEL match conditions are not translated: the policies apply without them',
    );
  if (spec.background !== undefined)
    scope.translated(
      'spec.background',
      'background scans: vouch audit reports on existing workloads with the same policies',
    );
  if (spec.admission !== undefined) scope.translated('spec.admission', 'vouch webhook checks at admission');
  if (spec.applyRules === 'One')
    scope.changed(
      'spec.applyRules',
      'One: Kyverno applies only the first matching rule; vouch requires every matching policy to pass',
    );
  for (const field of [
    'emitWarning',
    'schemaValidation',
    'useServerSideApply',
    'generateExisting',
    'generateExistingOnPolicyUpdate',
    'mutateExistingOnPolicyUpdate',
  ] as const)
    if (spec[field] !== undefined) scope.ignored(`spec.${field}`, 'not about image verification');
  if (policy.status !== undefined) scope.ignored('status', 'written by Kyverno');
}
