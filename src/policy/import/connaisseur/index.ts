/**
 * `vouch policy import --from connaisseur`: Connaisseur's Helm values (`application.validators`,
 * `application.policy`, `application.features`), or the configuration the chart renders from them
 * (`validators`, `policy`). Several values documents are merged in order, as `helm -f a -f b` merges
 * them (maps merged, lists replaced).
 *
 * Connaisseur applies one rule per image — the most specific matching pattern — where a
 * ClusterImagePolicy applies every policy whose globs match. The translation keeps the verdicts the same
 * where it can (a static catch-all rule `*:*` becomes the no-match policy) and reports every pair of
 * rules whose patterns overlap with different checks, where vouch requires both to pass.
 */
import { clusterImagePolicy, verificationConfig } from '../cip.js';
import type { ImportResult, SourceDocument } from '../model.js';
import { kubernetesName } from '../names.js';
import { commentAt } from '../read.js';
import { ImportBuilder, type Scope } from '../report.js';
import { parseStrict } from '../strict.js';
import { TrustRoots } from '../trust-roots.js';
import { globsIntersect, gobwasToGlobs } from '../wildcards.js';
import { translateFeatures } from './features.js';
import {
  featuresSchema,
  type Rule,
  ruleSchema,
  VALIDATOR_SCHEMAS,
  type Validator,
  type ValidatorType,
} from './schema.js';
import { type RuleChecks, validatorChecks } from './validators.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Helm's merge of values files: maps merged key by key, everything else replaced. */
function merge(base: unknown, override: unknown): unknown {
  if (!isRecord(base) || !isRecord(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = key in out ? merge(out[key], value) : value;
  return out;
}

const VALUES_KEYS = new Set(['kubernetes', 'application', 'alerting']);
const APPLICATION_KEYS = new Set(['validators', 'policy', 'features', 'logLevel', 'logFormat']);

export function importConnaisseur(documents: readonly SourceDocument[]): ImportResult {
  const builder = new ImportBuilder('connaisseur');
  if (documents.length === 0) return builder.finish();
  const first = documents[0] as SourceDocument;
  const scope = builder.scope(
    documents.length === 1
      ? { source: first.source, document: first.document }
      : { source: documents.map((d) => `${d.source}#${d.document}`).join(' + ') },
    { comments: [first.comments.get('')].filter((text): text is string => text !== undefined) },
  );
  let merged: unknown = {};
  for (const document of documents) {
    if (!isRecord(document.value)) {
      scope.refuse('', `${document.source}: document ${document.document} is not a mapping of Helm values`);
      return builder.finish();
    }
    merged = merge(merged, document.value);
  }
  if (documents.length > 1)
    scope.translated(
      '',
      `${documents.length} values documents merged in order, as helm merges several -f files`,
    );
  const values = merged as Record<string, unknown>;
  let config: Record<string, unknown>;
  let prefix: string;
  if ('validators' in values || 'policy' in values) {
    config = values;
    prefix = '';
    for (const key of Object.keys(values))
      if (key !== 'validators' && key !== 'policy' && key !== 'alerting')
        scope.dropped(key, "unknown field: not part of Connaisseur's configuration");
  } else {
    for (const key of Object.keys(values))
      if (!VALUES_KEYS.has(key)) scope.ignored(key, 'not a value the Connaisseur chart reads');
    if (!isRecord(values.application)) {
      scope.refuse(
        'application',
        'no application.validators and application.policy: not Connaisseur Helm values',
      );
      return builder.finish();
    }
    config = values.application;
    prefix = 'application.';
    for (const key of Object.keys(config))
      if (!APPLICATION_KEYS.has(key))
        scope.dropped(
          `${prefix}${key}`,
          'not a value the Connaisseur chart reads (Helm ignores it): not translated',
        );
    kubernetesSettings(values.kubernetes, scope);
    if (isRecord(config.features)) {
      const features = parseStrict(featuresSchema, config.features, ['application', 'features']);
      for (const path of features.unknown) scope.dropped(path, 'unknown field: not a Connaisseur feature');
      for (const issue of features.invalid) scope.refuse(issue.path, issue.message);
      if (features.value !== undefined) translateFeatures(features.value, scope.at('application.features'));
    }
    for (const field of ['logLevel', 'logFormat'] as const)
      if (config[field] !== undefined) scope.ignored(`${prefix}${field}`, 'logging settings');
  }
  if (values.alerting !== undefined)
    scope.dropped('alerting', 'alerting is not translated: vouch reports through its metrics and logs');

  const validators = parseValidators(config.validators, scope.at(`${prefix}validators`));
  const rules = parseRules(config.policy, scope.at(`${prefix}policy`));
  if (validators === undefined || rules === undefined) return builder.finish();
  translateRules(rules, validators, scope, prefix, documents[0] as SourceDocument);
  // Every validator is accounted for: read through the rules that name it, or unused.
  const used = new Set(rules.map((rule) => rule.validator ?? 'default'));
  (config.validators as unknown[]).forEach((value, index) => {
    const name = isRecord(value) ? String(value.name) : '';
    const path = `${prefix}validators[${index}]`;
    if (!used.has(name)) scope.ignored(path, `validator ${name}: no rule uses it`);
    else if (validators.get(name)?.type === 'notaryv1')
      scope.dropped(path, `validator ${name}: notaryv1 is not translated (see the rules that use it)`);
    else scope.translated(path, `validator ${name}: read by the rules that use it`);
  });
  return builder.finish();
}

function kubernetesSettings(kubernetes: unknown, scope: Scope): void {
  if (!isRecord(kubernetes)) return;
  const webhook = isRecord(kubernetes.webhook) ? kubernetes.webhook : {};
  if (webhook.failurePolicy === 'Fail')
    scope.flag(
      'kubernetes.webhook.failurePolicy',
      "Fail: vouch's webhook configurations use failurePolicy: Fail (deploy/base/webhooks.yaml)",
    );
  else if (webhook.failurePolicy !== undefined)
    scope.changed(
      'kubernetes.webhook.failurePolicy',
      `${String(webhook.failurePolicy)}: set it on vouch's webhook configurations (deploy/base/webhooks.yaml); vouch itself denies on every error`,
    );
  scope.ignored('kubernetes', 'deployment settings of Connaisseur itself');
}

function parseValidators(input: unknown, scope: Scope): Map<string, Validator> | undefined {
  if (!Array.isArray(input) || input.length === 0) {
    scope.refuse('', 'at least one validator is required');
    return undefined;
  }
  const validators = new Map<string, Validator>();
  input.forEach((value, index) => {
    const at = `[${index}]`;
    if (!isRecord(value) || typeof value.name !== 'string' || typeof value.type !== 'string') {
      scope.refuse(at, 'a validator needs a name and a type');
      return;
    }
    const schema = VALIDATOR_SCHEMAS[value.type as ValidatorType];
    if (schema === undefined) {
      scope.refuse(`${at}.type`, `unsupported type ${JSON.stringify(value.type)} for validator`);
      return;
    }
    const parsed = parseStrict<Validator>(schema as never, value, []);
    for (const path of parsed.unknown)
      scope.dropped(`${at}.${path}`, `unknown field: not part of a ${value.type} validator`);
    for (const issue of parsed.invalid) scope.refuse(`${at}.${issue.path}`, issue.message);
    if (parsed.value === undefined) return;
    if ('trustRoots' in parsed.value && parsed.value.type !== 'notaryv1') {
      if ((parsed.value.trustRoots ?? []).length === 0)
        scope.refuse(`${at}.trustRoots`, `no trust roots provided for validator ${value.name}`);
      (parsed.value.trustRoots ?? []).forEach((root, i) => {
        const kinds = [root.key, root.cert, root.keyless].filter((kind) => kind !== undefined).length;
        if (kinds !== 1)
          scope.refuse(`${at}.trustRoots[${i}]`, 'exactly one of key, cert and keyless must be set');
        if (root.keyless !== undefined) {
          if ((root.keyless.issuer === undefined) === (root.keyless.issuerRegex === undefined))
            scope.refuse(
              `${at}.trustRoots[${i}].keyless`,
              'exactly one of issuer and issuerRegex must be set',
            );
          if ((root.keyless.subject === undefined) === (root.keyless.subjectRegex === undefined))
            scope.refuse(
              `${at}.trustRoots[${i}].keyless`,
              'exactly one of subject and subjectRegex must be set',
            );
        }
      });
    }
    if (!validators.has(value.name)) validators.set(value.name, parsed.value);
  });
  return validators;
}

function parseRules(input: unknown, scope: Scope): Rule[] | undefined {
  if (!Array.isArray(input) || input.length === 0) {
    scope.refuse('', 'at least one policy rule is required');
    return undefined;
  }
  const rules: Rule[] = [];
  input.forEach((value, index) => {
    const parsed = parseStrict(ruleSchema, value);
    for (const path of parsed.unknown)
      scope.dropped(`[${index}].${path}`, 'unknown field: not part of a Connaisseur policy rule');
    for (const issue of parsed.invalid) scope.refuse(`[${index}].${issue.path}`, issue.message);
    if (parsed.value?.with?.required !== undefined && parsed.value.with.delegations !== undefined)
      scope.refuse(`[${index}].with`, 'required and delegations cannot be used together');
    if (parsed.value !== undefined) rules.push(parsed.value);
  });
  return rules;
}

/** A pattern as Connaisseur matches it: a `*` added at either end that has none. */
function wrapped(pattern: string): string {
  return `${pattern.startsWith('*') ? '' : '*'}${pattern}${pattern.endsWith('*') ? '' : '*'}`;
}

/** Matches every image name: besides wildcards, at most one "/" and one ":" after it. */
function isCatchAll(pattern: string): boolean {
  const literal = wrapped(pattern).replace(/\*+/g, '*');
  return /^\*(\/\*)?(:\*)?$/.test(literal);
}

interface Translated {
  index: number;
  rule: Rule;
  scope: Scope;
  globs: string[];
  checks: RuleChecks;
  components: number;
}

function translateRules(
  rules: Rule[],
  validators: Map<string, Validator>,
  scope: Scope,
  prefix: string,
  document: SourceDocument,
): void {
  const trustRoots = new TrustRoots('connaisseur');
  const translated: Translated[] = [];
  rules.forEach((rule, index) => {
    const path = `${prefix}policy[${index}]`;
    const comments = commentAt(document, path);
    const ruleScope = scope.child(`pattern ${JSON.stringify(rule.pattern)}`, comments).at(path);
    const validatorName = rule.validator ?? 'default';
    const checks = validatorChecks(validators.get(validatorName), validatorName, rule, ruleScope, {
      trustRoot: (parts) => trustRoots.get(parts, ruleScope),
    });
    if (rule.with?.mode === 'insecureValidateOnly')
      ruleScope.changed(
        'with.mode',
        'insecureValidateOnly: vouch webhook --digest-mutation none (for every policy)',
      );
    else if (rule.with?.mode === 'mutate')
      ruleScope.translated(
        'with.mode',
        'mutate: vouch pins verified digests (--digest-mutation pods, or all)',
      );
    if (rule.with?.delegations !== undefined)
      ruleScope.dropped('with.delegations', 'Notary v1 delegations are not translated');
    const converted = gobwasToGlobs(wrapped(rule.pattern));
    if (!converted.ok) {
      ruleScope.dropped(
        'pattern',
        `${JSON.stringify(rule.pattern)}: ${converted.problem}; no policy for this rule`,
      );
      return;
    }
    if (converted.widened)
      ruleScope.changed('pattern', '"?" (one character) became "**", which matches more names');
    ruleScope.translated(
      'pattern',
      `${JSON.stringify(rule.pattern)} → glob ${converted.globs.join(', ')} (Connaisseur matches anywhere in the canonical name; its * crosses "/")`,
    );
    translated.push({
      index,
      rule,
      scope: ruleScope,
      globs: converted.globs,
      checks,
      components: rule.pattern.split('/').length,
    });
  });

  // A static catch-all rule is what happens to images no other rule matches: the no-match policy.
  const catchAll = translated.find(
    (entry) =>
      isCatchAll(entry.rule.pattern) &&
      entry.checks.authorities.every((authority) => authority.static !== undefined) &&
      entry.checks.authorities.length === 1,
  );
  let noMatch: 'allow' | 'deny' = 'deny';
  const emitted: Translated[] = [];
  for (const entry of translated) {
    if (entry === catchAll) {
      const action = (entry.checks.authorities[0]?.static as { action?: string } | undefined)?.action;
      noMatch = action === 'pass' ? 'allow' : 'deny';
      entry.scope.translated(
        '',
        `a static catch-all: Connaisseur applies it to images no other pattern matches → no-match-policy: ${noMatch}`,
      );
      for (const other of translated)
        if (other !== entry && other.components === 1)
          other.scope.changed(
            'pattern',
            `for images whose first component this pattern matches only partly, Connaisseur may prefer the catch-all ${JSON.stringify(entry.rule.pattern)} (it ranks equal-length patterns by component length); vouch applies this pattern's policy to every image it matches`,
          );
      continue;
    }
    const name = entry.scope.name('ClusterImagePolicy', kubernetesName('connaisseur', entry.rule.pattern));
    entry.scope.draft(
      'ClusterImagePolicy',
      name,
      clusterImagePolicy(name, {
        globs: entry.globs,
        authorities: entry.checks.authorities,
        ...(entry.checks.condition !== undefined && { condition: entry.checks.condition }),
      }),
    );
    emitted.push(entry);
  }
  if (catchAll === undefined)
    scope.translated('', 'Connaisseur denies images no pattern matches → no-match-policy: deny');
  scope.draft('VerificationConfig', 'verification', verificationConfig(noMatch));
  overlaps(emitted);
}

/** States the overlap analysis may visit in all (a bound on what a hostile values file can cost). */
const OVERLAP_BUDGET = 5_000_000;
/** Overlapping patterns named per rule; the rest are counted. */
const NAMED_OVERLAPS = 5;

/** Rules whose patterns can match the same image, with different checks: vouch requires both. */
function overlaps(emitted: readonly Translated[]): void {
  const budget = { states: OVERLAP_BUDGET };
  const checks = emitted.map((entry) => JSON.stringify(entry.checks));
  const found = new Map<Translated, { others: Translated[]; unsure: boolean }>();
  for (let i = 0; i < emitted.length; i++)
    for (let j = i + 1; j < emitted.length; j++) {
      const a = emitted[i] as Translated;
      const b = emitted[j] as Translated;
      if (checks[i] === checks[j]) continue;
      let overlap: boolean | undefined = budget.states > 0 ? false : undefined;
      for (const x of a.globs)
        for (const y of b.globs) if (overlap === false) overlap = globsIntersect(x, y, budget);
      if (overlap === false) continue;
      const [general, specific] = a.components <= b.components ? [a, b] : [b, a];
      const entry = found.get(general) ?? { others: [], unsure: false };
      entry.others.push(specific);
      if (overlap === undefined) entry.unsure = true;
      found.set(general, entry);
    }
  for (const [general, { others, unsure }] of found) {
    const named = others.slice(0, NAMED_OVERLAPS).map((other) => JSON.stringify(other.rule.pattern));
    const more = others.length > NAMED_OVERLAPS ? ` and ${others.length - NAMED_OVERLAPS} more` : '';
    const deeper = others.every((other) => other.components > general.components);
    general.scope.changed(
      'pattern',
      `images matching both ${JSON.stringify(general.rule.pattern)} and ${named.join(', ')}${more} must pass both policies in vouch (every matching policy must pass); Connaisseur applies only ${deeper ? 'the more specific pattern' : 'the one it ranks more specific for each image'} to them${unsure ? ' (some overlaps were assumed: the analysis stopped at its bound)' : ''}`,
    );
  }
}
