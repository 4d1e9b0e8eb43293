/**
 * A Kyverno `ImageValidatingPolicy` → ClusterImagePolicies: one per validation whose CEL has one of the
 * common shapes (signatures by attestors, an attestation by attestors, a field of an attestation's
 * payload), over the images `matchImageReferences` selects. Kyverno requires every validation to hold;
 * vouch every matching policy — the same conjunction.
 */

import { RESOURCE_OF_KIND } from '../../match.js';
import type { PolicyMode } from '../../model.js';
import { type AuthorityBody, clusterImagePolicy, countCondition } from '../cip.js';
import { kubernetesName } from '../names.js';
import type { Scope } from '../report.js';
import { parseStrict } from '../strict.js';
import { trustRootDocument } from '../trust.js';
import { DOCKER_HUB_HOSTS, gobwasToGlobs, looksLikeHost } from '../wildcards.js';
import { translateIvpAttestor } from './ivp-attestors.js';
import { type ImageValidatingPolicy, ivpSchema } from './ivp-schema.js';
import { readValidation } from './ivp-validations.js';
import type { KyvernoContext } from './policy.js';

const CATEGORIES = ['containers', 'initContainers', 'ephemeralContainers'];

export function translateImageValidatingPolicy(
  value: Record<string, unknown>,
  scope: Scope,
  context: KyvernoContext,
): void {
  const parsed = parseStrict(ivpSchema, value);
  for (const path of parsed.unknown)
    scope.dropped(path, `unknown field: not part of Kyverno's ImageValidatingPolicy; not translated`);
  for (const issue of parsed.invalid) scope.refuse(issue.path, issue.message);
  const policy = parsed.value;
  if (policy === undefined) return;
  const spec = policy.spec;
  const mode: PolicyMode = (spec.validationActions ?? ['Deny']).includes('Deny') ? 'enforce' : 'warn';
  if (spec.validationActions !== undefined) scope.translated('spec.validationActions', `→ mode: ${mode}`);
  settings(policy, scope);
  const match = matchEntries(policy, scope);
  const globs = imageGlobs(policy, scope);
  if (globs.length === 0) return;

  const authorities = new Map<string, AuthorityBody>();
  if (spec.attestors.length === 0) scope.translated('spec.attestors', 'none');
  spec.attestors.forEach((attestor, i) => {
    scope.translated(`spec.attestors[${i}].name`, `→ authority ${kubernetesName(attestor.name)}`);
    authorities.set(
      attestor.name,
      translateIvpAttestor(attestor, scope.at(`spec.attestors[${i}]`), {
        trustRoot: (parts) => context.trustRoot(parts, scope),
        trustedRoot: (json) => {
          const name = scope.name('TrustRoot', `${policy.metadata.name}-${attestor.name}`);
          scope.draft('TrustRoot', name, trustRootDocument(name, json));
          return name;
        },
      }),
    );
  });
  const attestations = new Map<string, { predicateType?: string; problem?: string }>();
  (spec.attestations ?? []).forEach((attestation, i) => {
    scope.translated(`spec.attestations[${i}].name`, '→ attestation name');
    if (attestation.referrer !== undefined)
      scope.dropped(
        `spec.attestations[${i}].referrer`,
        `a referrer of artifact type ${JSON.stringify(attestation.referrer.type)} is not an in-toto attestation: validations reading it never pass (static fail)`,
      );
    if (attestation.intoto !== undefined) {
      attestations.set(attestation.name, { predicateType: attestation.intoto.type });
      scope.translated(
        `spec.attestations[${i}]`,
        `in-toto ${attestation.intoto.type} → attestations[].predicateType`,
      );
    } else
      attestations.set(attestation.name, {
        problem: `a referrer of artifact type ${JSON.stringify(attestation.referrer?.type ?? '')} is not an in-toto attestation: vouch does not verify it`,
      });
  });

  const read = spec.validations.map((validation, i) => ({
    index: i,
    validation: readValidation(validation.expression),
  }));
  const conditions = new Map<string, string[]>();
  for (const { index, validation } of read)
    if (
      validation?.type === 'payload' &&
      attestations.get(validation.attestation)?.predicateType !== undefined
    ) {
      // extractPayload gives an in-toto attestation's whole statement.
      const path = `statement.${validation.field.join('.')}`;
      const cel =
        validation.value === undefined
          ? `has(${path})`
          : `${path} == '${validation.value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
      conditions.set(validation.attestation, [...(conditions.get(validation.attestation) ?? []), cel]);
      scope.translated(
        `spec.validations[${index}]`,
        `the payload of ${validation.attestation} → attestation condition ${cel}`,
      );
    }
  const categories = new Set<string>();
  const base = kubernetesName(policy.metadata.name);
  const emit = (index: number, authorityList: AuthorityBody[], condition: string | undefined) => {
    const name = scope.name(
      'ClusterImagePolicy',
      spec.validations.length > 1 ? `${base}-${index + 1}` : base,
    );
    scope.draft(
      'ClusterImagePolicy',
      name,
      clusterImagePolicy(name, {
        globs,
        authorities: authorityList,
        mode,
        match,
        ...(condition !== undefined && { condition }),
      }),
    );
  };
  const fail = (index: number, why: string) => {
    scope.dropped(
      `spec.validations[${index}]`,
      `${why}: the validation never passes in vouch (static fail) until you rewrite it as a ClusterImagePolicy`,
    );
    emit(
      index,
      [
        {
          name: 'validation',
          static: { action: 'fail', message: `validation ${index + 1} not imported: ${why}` },
        },
      ],
      undefined,
    );
  };

  for (const { index, validation } of read) {
    if (validation === undefined) {
      fail(
        index,
        'its CEL is not one of the shapes vouch translates (verifyImageSignatures, verifyAttestationSignatures, extractPayload(...).field == value)',
      );
      continue;
    }
    categories.add(validation.category);
    if (validation.type === 'payload') {
      const known = attestations.get(validation.attestation);
      const verified = read.some(
        (other) =>
          other.validation?.type === 'attestation' && other.validation.attestation === validation.attestation,
      );
      if (known?.problem !== undefined) fail(index, known.problem);
      else if (!verified || known === undefined)
        fail(index, `it reads attestation ${validation.attestation} that no validation verifies`);
      continue;
    }
    const missing = validation.attestors.filter((name) => !authorities.has(name));
    if (missing.length > 0) {
      scope.refuse(
        `spec.validations[${index}].expression`,
        `attestors ${missing.join(', ')} are not defined`,
      );
      continue;
    }
    let attestation: Record<string, unknown> | undefined;
    if (validation.type === 'attestation') {
      const known = attestations.get(validation.attestation);
      if (known === undefined) {
        scope.refuse(
          `spec.validations[${index}].expression`,
          `attestation ${validation.attestation} is not defined`,
        );
        continue;
      }
      if (known.problem !== undefined) {
        fail(index, known.problem);
        continue;
      }
      const cel = conditions.get(validation.attestation);
      attestation = {
        name: validation.attestation,
        predicateType: known.predicateType,
        ...(cel !== undefined && { policy: { type: 'cel', data: cel.join(' && ') } }),
      };
      if (cel !== undefined)
        scope.changed(
          `spec.validations[${index}]`,
          'Kyverno reads the payload of the attestation it verified; vouch accepts the image when one authentic attestation of the type satisfies the condition',
        );
    }
    const list = validation.attestors.map((name) => {
      const authority = authorities.get(name) as AuthorityBody;
      if (attestation === undefined || authority.static !== undefined) return authority;
      if (authority.notation !== undefined)
        return {
          name: authority.name,
          static: { action: 'fail', message: 'Notary attestations are not verified by vouch' },
        };
      return { ...authority, attestations: [attestation] };
    });
    scope.translated(
      `spec.validations[${index}]`,
      `${validation.type === 'signatures' ? 'signatures' : `attestation ${validation.attestation}`} by ${validation.count === 1 ? 'any one of' : `at least ${validation.count} of`} ${validation.attestors.join(', ')}`,
    );
    emit(
      index,
      list,
      countCondition({ count: validation.count, members: list.map((authority) => authority.name) }),
    );
  }
  if (categories.size > 0 && CATEGORIES.some((category) => !categories.has(category)))
    scope.changed(
      'spec.validations',
      `the validations check images.${[...categories].join(', images.')} only; vouch checks the images of every container, init and ephemeral container`,
    );
}

function imageGlobs(policy: ImageValidatingPolicy, scope: Scope): string[] {
  const references = policy.spec.matchImageReferences ?? [];
  if (references.length === 0) {
    scope.translated('spec', 'no matchImageReferences: every image → glob **');
    return ['**'];
  }
  const globs: string[] = [];
  references.forEach((reference, i) => {
    const path = `spec.matchImageReferences[${i}]`;
    if (reference.glob === undefined) {
      scope.dropped(`${path}.expression`, 'a CEL image match is not translated: no glob');
      return;
    }
    const slash = reference.glob.indexOf('/');
    const first = slash < 0 ? reference.glob : reference.glob.slice(0, slash);
    const wild = /[*?{[]/.test(first);
    const docker = !wild && DOCKER_HUB_HOSTS.includes(first);
    const bare = !wild && !looksLikeHost(first);
    const rest = docker ? reference.glob.slice(slash + 1) : reference.glob;
    const candidates =
      docker || bare ? [`index.docker.io/${rest}`, `index.docker.io/library/${rest}`] : [reference.glob];
    const mine: string[] = [];
    for (const candidate of candidates) {
      const converted = gobwasToGlobs(candidate);
      if (!converted.ok) {
        scope.dropped(`${path}.glob`, `${JSON.stringify(reference.glob)}: ${converted.problem}`);
        return;
      }
      for (const glob of converted.globs) {
        if (!mine.includes(glob)) mine.push(glob);
        if (!globs.includes(glob)) globs.push(glob);
      }
      if (converted.widened)
        scope.changed(`${path}.glob`, '"?" (one character) became "**", which matches more names');
    }
    if (docker || bare)
      scope.changed(
        `${path}.glob`,
        `${JSON.stringify(reference.glob)}: Kyverno matches images as written; vouch compares canonical Docker Hub names (index.docker.io/library/…), so every spelling is covered`,
      );
    else
      scope.translated(
        `${path}.glob`,
        `${JSON.stringify(reference.glob)} → glob ${mine.join(', ')} (its * crosses "/", as ** does)`,
      );
  });
  return globs;
}

function matchEntries(policy: ImageValidatingPolicy, scope: Scope): Record<string, unknown>[] {
  const constraints = policy.spec.matchConstraints;
  if (constraints === undefined) return [];
  const kinds = new Set<string>();
  const byResource = new Map(Object.entries(RESOURCE_OF_KIND).map(([kind, info]) => [info.resource, kind]));
  (constraints.resourceRules ?? []).forEach((rule, i) => {
    for (const resource of rule.resources ?? []) {
      const kind = resource === '*' ? '*' : byResource.get(resource);
      if (kind === undefined)
        scope.dropped(
          `spec.matchConstraints.resourceRules[${i}].resources`,
          `${resource}: vouch checks Pods and pod controllers only`,
        );
      else kinds.add(kind);
    }
    if (
      rule.operations !== undefined &&
      !rule.operations.every(
        (operation) => operation === 'CREATE' || operation === 'UPDATE' || operation === '*',
      )
    )
      scope.changed(`spec.matchConstraints.resourceRules[${i}].operations`, 'vouch checks CREATE and UPDATE');
    if (rule.resourceNames !== undefined)
      scope.changed(
        `spec.matchConstraints.resourceRules[${i}].resourceNames`,
        'vouch checks every resource of the kind',
      );
  });
  for (const field of ['namespaceSelector', 'excludeResourceRules'] as const)
    if (constraints[field] !== undefined)
      scope.changed(
        `spec.matchConstraints.${field}`,
        'a ClusterImagePolicy applies in every namespace and to every resource of its kinds',
      );
  const controllers = policy.spec.autogen?.podControllers?.controllers;
  if (policy.spec.autogen !== undefined)
    scope.translated(
      'spec.autogen',
      `pod controllers ${controllers === undefined ? '(default)' : JSON.stringify(controllers)}: read with matchConstraints`,
    );
  if (kinds.has('*') || kinds.size === 0) return [];
  if (
    kinds.size === 1 &&
    kinds.has('Pod') &&
    controllers === undefined &&
    constraints.objectSelector === undefined
  ) {
    scope.translated(
      'spec.matchConstraints',
      'pods, which Kyverno extends to pod controllers → no match (vouch checks Pods and every pod controller)',
    );
    return [];
  }
  if (kinds.has('Pod'))
    for (const controller of controllers ?? []) {
      const kind = byResource.get(controller);
      if (kind !== undefined) kinds.add(kind);
    }
  const selector = constraints.objectSelector;
  if (selector !== undefined) scope.translated('spec.matchConstraints.objectSelector', '→ match selector');
  const list = [...kinds].sort();
  scope.translated(
    'spec.matchConstraints',
    `${list.join(', ')} → match (images of other kinds are not covered by this policy)`,
  );
  return list.map((kind) => {
    const info = RESOURCE_OF_KIND[kind] as { group: string; resource: string };
    return {
      ...(info.group !== '' && { group: info.group }),
      version: '*',
      resource: info.resource,
      ...(selector !== undefined && { selector }),
    };
  });
}

function settings(policy: ImageValidatingPolicy, scope: Scope): void {
  const spec = policy.spec;
  if (policy.kind === 'NamespacedImageValidatingPolicy')
    scope.changed(
      'kind',
      `it applies only in namespace ${policy.metadata.namespace ?? '(default)'}; a ClusterImagePolicy applies in every namespace`,
    );
  if (spec.failurePolicy === 'Fail')
    scope.flag(
      'spec.failurePolicy',
      "Fail: vouch's webhook configurations use failurePolicy: Fail and vouch denies on every error",
    );
  else if (spec.failurePolicy === 'Ignore')
    scope.changed(
      'spec.failurePolicy',
      "Ignore: set failurePolicy: Ignore on vouch's webhook configurations; vouch itself still denies registry errors and timeouts",
    );
  const timeout = spec.webhookConfiguration?.timeoutSeconds;
  if (timeout !== undefined)
    scope.flag(
      'spec.webhookConfiguration.timeoutSeconds',
      `${timeout}: timeoutSeconds: ${timeout} on vouch's webhook configurations and vouch webhook --timeout-budget ${Math.max(1, timeout - 1)}s`,
    );
  if (spec.matchConditions !== undefined)
    scope.dropped(
      'spec.matchConditions',
      'CEL match conditions are not translated: the policy applies without them',
    );
  if (spec.variables !== undefined) scope.dropped('spec.variables', 'variables are not translated');
  if (spec.auditAnnotations !== undefined) scope.ignored('spec.auditAnnotations', 'audit decoration');
  if (spec.images !== undefined)
    scope.dropped(
      'spec.images',
      'vouch finds the images of Pods and pod controllers itself; images at other paths are not checked',
    );
  if (spec.credentials !== undefined)
    scope.changed(
      'spec.credentials',
      'vouch reads registries with its own credentials (--registry-config, or source.signaturePullSecrets in a policy)',
    );
  if (spec.evaluation !== undefined)
    scope.translated('spec.evaluation', 'admission and background evaluation: vouch webhook and vouch audit');
  if (spec.autogen !== undefined && spec.matchConstraints === undefined)
    scope.ignored('spec.autogen', 'no match constraints to extend');
  const configuration = spec.validationConfigurations;
  if (configuration?.mutateDigest === true)
    scope.flag('spec.validationConfigurations.mutateDigest', 'true: vouch webhook --digest-mutation all');
  else if (configuration?.mutateDigest === false)
    scope.flag('spec.validationConfigurations.mutateDigest', 'false: vouch webhook --digest-mutation none');
  if (configuration?.mutateDigest === false && configuration.verifyDigest !== false)
    scope.changed(
      'spec.validationConfigurations.verifyDigest',
      'Kyverno denies images written without a digest; vouch verifies the digest a tag resolves to',
    );
  if (configuration?.required === false)
    scope.changed(
      'spec.validationConfigurations.required',
      'vouch always requires every matching policy to pass',
    );
  else if (configuration?.required === true)
    scope.translated(
      'spec.validationConfigurations.required',
      'vouch requires every matching policy to pass',
    );
  if (
    configuration?.verifyDigest !== undefined &&
    !(configuration.mutateDigest === false && configuration.verifyDigest)
  )
    scope.translated(
      'spec.validationConfigurations.verifyDigest',
      `${configuration.verifyDigest}: vouch verifies by digest`,
    );
  if (policy.status !== undefined) scope.ignored('status', 'written by Kyverno');
}
