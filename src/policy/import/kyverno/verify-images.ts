/**
 * One Kyverno `verifyImages` entry → ClusterImagePolicies over the same images: one per attestor set
 * (signatures) and one per attestor set of each attestation. Kyverno requires every attestor set and
 * every attestation to pass; vouch requires every matching policy to pass — the same conjunction.
 */
import type { PolicyMode } from '../../model.js';
import { type AuthorityBody, clusterImagePolicy, countCondition } from '../cip.js';
import type { Scope } from '../report.js';
import { type AttestorContext, PUBLIC_REKOR, translateAttestorSet } from './attestors.js';
import { translateConditions } from './conditions.js';
import { kyvernoGlobs } from './images.js';
import type { Attestation, Attestor, AttestorSet, ImageVerification } from './schema.js';
import { checkImageVerification, isAuditAction } from './validate.js';

export interface RuleContext {
  /** Base name for the policies: `<policy>-<rule>`. */
  baseName: string;
  /** `spec.validationFailureAction`. */
  defaultAction: string | undefined;
  match: Record<string, unknown>[];
  resolve: AttestorContext['resolve'];
  trustRoot: AttestorContext['trustRoot'];
}

/** cosign's short names and Go's `url.ParseRequestURI`, as the ClusterImagePolicy loader accepts them. */
const SHORT_NAMES = new Set(['custom', 'slsaprovenance', 'spdx', 'spdxjson', 'cyclonedx', 'link', 'vuln']);
function acceptedPredicateType(type: string): boolean {
  return SHORT_NAMES.has(type) || type.startsWith('/') || /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/?[^\s]*$/.test(type);
}

/** Kyverno's `Convert`: the deprecated rule-level fields as current ones. */
function convertDeprecated(
  iv: ImageVerification,
  scope: Scope,
): { references: string[]; attestors: AttestorSet[] } {
  const references = [...(iv.imageReferences ?? [])];
  const attestors = [...(iv.attestors ?? [])];
  if (iv.image !== undefined) {
    references.push(iv.image);
    scope.translated('image', '→ imageReferences (deprecated field, converted as Kyverno converts it)');
  }
  let legacy: Attestor | undefined;
  if (iv.key !== undefined || iv.issuer !== undefined || iv.annotations !== undefined) {
    legacy = { ...(iv.annotations !== undefined && { annotations: iv.annotations }) };
    if (iv.key !== undefined) legacy.keys = { publicKeys: iv.key };
    else if (iv.issuer !== undefined)
      legacy.keyless = {
        issuer: iv.issuer,
        ...(iv.subject !== undefined && { subject: iv.subject }),
        ...(iv.roots !== undefined && { roots: iv.roots }),
      };
    if (legacy.keys !== undefined || legacy.keyless !== undefined)
      for (const field of ['key', 'issuer', 'subject', 'roots'] as const) {
        if (iv[field] === undefined) continue;
        if ((field === 'key') === (legacy.keys !== undefined))
          scope.translated(field, '→ an attestor (deprecated field, converted as Kyverno converts it)');
        else scope.ignored(field, "Kyverno's conversion does not read it beside a key");
      }
  } else if (iv.roots !== undefined || iv.subject !== undefined) {
    legacy = {
      keyless: {
        ...(iv.roots !== undefined ? { roots: iv.roots } : { rekor: { url: PUBLIC_REKOR } }),
        ...(iv.subject !== undefined && { subject: iv.subject }),
      },
    };
    scope.changed(
      iv.roots !== undefined ? 'roots' : 'subject',
      'without key or issuer, current Kyverno builds no attestor from these deprecated fields and denies every image the rule matches (required: true); imported as Kyverno 1.5 and the guides of its time meant them: keyless signatures chaining to these roots, from any issuer',
    );
  }
  if (iv.additionalExtensions !== undefined)
    scope.ignored('additionalExtensions', "Kyverno's conversion of deprecated fields does not read it");
  if (legacy !== undefined && (legacy.keys !== undefined || legacy.keyless !== undefined)) {
    if ((iv.attestations ?? []).length > 0)
      scope.changed(
        '',
        "Kyverno's conversion loses the deprecated key or issuer when the rule also has attestations; vouch checks the attestations with it",
      );
    attestors.push({ entries: [legacy] });
  } else if (legacy?.annotations !== undefined)
    scope.dropped('annotations', 'annotations without a key or issuer: nothing to attach them to');
  return { references, attestors };
}

export function translateImageVerification(
  iv: ImageVerification,
  scope: Scope,
  rule: RuleContext,
  index: number,
): void {
  const { references, attestors } = convertDeprecated(iv, scope);
  const action = iv.failureAction ?? rule.defaultAction;
  checkImageVerification({ ...iv, attestors }, references, isAuditAction(action), scope);
  const mode: PolicyMode = isAuditAction(action) ? 'warn' : 'enforce';
  if (iv.failureAction !== undefined)
    scope.translated('failureAction', `${iv.failureAction} → mode: ${mode}`);

  const referencePaths = [
    ...(iv.imageReferences ?? []).map((pattern, i) => ({ pattern, path: `imageReferences[${i}]` })),
    ...(iv.image !== undefined ? [{ pattern: iv.image, path: 'image' }] : []),
  ];
  const { globs, tagForms } = kyvernoGlobs(referencePaths, scope);
  if (tagForms)
    scope.changed(
      'imageReferences',
      'Kyverno matches an image written repo:tag@digest by its digest form only, so patterns naming tags skip such images there; vouch also matches the tag form and checks them',
    );
  if (iv.skipImageReferences !== undefined)
    scope.changed(
      'skipImageReferences',
      `a ClusterImagePolicy cannot exclude images: vouch also checks images matching ${iv.skipImageReferences.map((p) => JSON.stringify(p)).join(', ')}`,
    );
  settings(iv, scope);
  if (globs.length === 0) return;

  const names = new PolicyNames(rule.baseName, index, attestors.length + (iv.attestations ?? []).length);
  const type = iv.type ?? 'Cosign';
  if (iv.type !== undefined)
    scope.translated(
      'type',
      type === 'SigstoreBundle'
        ? '→ signatureFormat: bundle'
        : type === 'Notary'
          ? '→ Notation authorities'
          : '→ signatureFormat: legacy',
    );
  const emit = (name: string, authorities: AuthorityBody[], condition: string | undefined) =>
    scope.draft(
      'ClusterImagePolicy',
      name,
      clusterImagePolicy(name, {
        globs,
        authorities,
        mode,
        match: rule.match,
        ...(condition !== undefined && { condition }),
      }),
    );

  attestors.forEach((set, i) => {
    const name = scope.name('ClusterImagePolicy', names.next('signature'));
    const translated = translateAttestorSet(
      set,
      scope.at(i < (iv.attestors ?? []).length ? `attestors[${i}]` : ''),
      attestorContext(rule, iv, type),
    );
    emit(name, translated.authorities, countCondition(translated.tree));
  });
  for (const [i, attestation] of (iv.attestations ?? []).entries())
    translateAttestation(attestation, scope.at(`attestations[${i}]`), rule, iv, type, names, emit);

  if (attestors.length === 0 && (iv.attestations ?? []).length === 0) {
    const name = scope.name('ClusterImagePolicy', names.next('images'));
    if (iv.required === false) {
      scope.translated('', 'no attestors: Kyverno verifies nothing here → static pass for these images');
      emit(name, [{ name: 'no-verification', static: { action: 'pass' } }], undefined);
    } else {
      scope.translated(
        '',
        'no attestors, but required: true: Kyverno denies every image the rule matches ("unverified image") → static fail',
      );
      emit(
        name,
        [
          {
            name: 'required',
            static: {
              action: 'fail',
              message: 'unverified image: the Kyverno rule requires a verification it does not define',
            },
          },
        ],
        undefined,
      );
    }
  }
}

function attestorContext(
  rule: RuleContext,
  iv: ImageVerification,
  type: AttestorContext['type'],
): AttestorContext {
  let counter = 0;
  return {
    type,
    ...(iv.repository !== undefined && { repository: iv.repository }),
    resolve: rule.resolve,
    trustRoot: rule.trustRoot,
    nextName: (kind) => `${kind}-${counter++}`,
  };
}

function translateAttestation(
  attestation: Attestation,
  scope: Scope,
  rule: RuleContext,
  iv: ImageVerification,
  type: AttestorContext['type'],
  names: PolicyNames,
  emit: (name: string, authorities: AuthorityBody[], condition: string | undefined) => void,
): void {
  const predicateType = attestation.type ?? attestation.predicateType;
  const attestationName = attestation.name ?? 'attestation';
  const policyName = () =>
    scope.name('ClusterImagePolicy', names.next(`attestation-${attestation.name ?? ''}`));
  let failure: string | undefined;
  if (predicateType === undefined)
    failure = 'the attestation has no type; Kyverno fails the rule ("missing type")';
  else if (type === 'Notary') {
    failure = `Notary attestations are OCI referrers of artifact type ${JSON.stringify(predicateType)}, not in-toto statements: vouch does not verify them`;
  } else if (!acceptedPredicateType(predicateType))
    failure = `predicate type ${JSON.stringify(predicateType)} is neither a URI nor one of cosign's short names, which a ClusterImagePolicy needs`;
  else if (attestation.type === undefined)
    scope.translated('predicateType', '→ predicateType (deprecated spelling of type)');
  else scope.translated('type', `→ attestations[].predicateType ${predicateType}`);

  let condition: string | undefined;
  if (failure === undefined && attestation.conditions !== undefined) {
    const translated = translateConditions(attestation.conditions);
    if (translated.cel !== undefined) {
      condition = translated.cel;
      scope.translated('conditions', `→ CEL ${condition}`);
      scope.changed(
        'conditions',
        'Kyverno requires every attestation of this type from the attestor to satisfy the conditions; vouch accepts the image when one does',
      );
    } else {
      for (const problem of translated.problems) scope.dropped(problem.path, problem.problem);
      failure = 'its conditions could not be translated';
    }
  }
  if (failure !== undefined) {
    scope.dropped(
      '',
      `${failure}: the attestation never passes in vouch (static fail) until you write it as a ClusterImagePolicy attestation`,
    );
    emit(
      policyName(),
      [
        {
          name: 'attestation',
          static: { action: 'fail', message: `attestation ${attestationName} not imported: ${failure}` },
        },
      ],
      undefined,
    );
    return;
  }
  const sets: AttestorSet[] = attestation.attestors ?? [];
  if (sets.length === 0) {
    scope.changed(
      '',
      'no attestors: Kyverno checks the attestation with an empty attestor (keyless, public-good Fulcio, any identity); imported as such',
    );
    sets.push({ entries: [{ keyless: { rekor: { url: PUBLIC_REKOR } } }] });
  }
  sets.forEach((set, j) => {
    const translated = translateAttestorSet(
      set,
      scope.at(attestation.attestors ? `attestors[${j}]` : ''),
      attestorContext(rule, iv, type),
    );
    const withAttestation = translated.authorities.map((authority) =>
      authority.static !== undefined
        ? authority
        : {
            ...authority,
            attestations: [
              {
                name: attestationName,
                predicateType: predicateType as string,
                ...(condition !== undefined && { policy: { type: 'cel', data: condition } }),
              },
            ],
          },
    );
    emit(policyName(), withAttestation, countCondition(translated.tree));
  });
}

/** The settings of a verifyImages entry that are not signatures: digests, caches, credentials. */
function settings(iv: ImageVerification, scope: Scope): void {
  const mutate = iv.mutateDigest ?? true;
  const verifyDigest = iv.verifyDigest ?? true;
  if (iv.mutateDigest !== undefined || iv.verifyDigest !== undefined) {
    if (mutate)
      scope.flag(
        'mutateDigest',
        'true: vouch webhook --digest-mutation all pins the verified digest into every workload, as Kyverno does (the default, pods, pins Pods only, so that Git and cluster agree)',
      );
    else if (verifyDigest)
      scope.changed(
        'verifyDigest',
        'with mutateDigest: false, Kyverno denies images written without a digest; vouch verifies the digest a tag resolves to and admits them',
      );
    else scope.flag('mutateDigest', 'false: vouch webhook --digest-mutation none leaves images as written');
  }
  if (iv.verifyDigest !== undefined && !(verifyDigest && !mutate))
    scope.translated(
      'verifyDigest',
      verifyDigest
        ? 'true: vouch verifies by digest and pins it'
        : 'false: vouch verifies the digest a tag resolves to',
    );
  if (iv.repository !== undefined)
    scope.translated('repository', `signatures read from ${iv.repository} → source.oci`);
  if (iv.required === false)
    scope.changed(
      'required',
      'false: vouch always requires the verification of every policy that matches an image',
    );
  else if (iv.required === true) scope.translated('required', 'vouch requires every matching policy to pass');
  if (iv.useCache !== undefined)
    scope.translated('useCache', "vouch's verdict cache (by digest) is always on");
  if (iv.imageRegistryCredentials !== undefined)
    scope.changed(
      'imageRegistryCredentials',
      "vouch reads registries with its own credentials (--registry-config, or source.signaturePullSecrets in a policy); give them the webhook's pull secrets",
    );
  if (iv.cosignOCI11 === true)
    scope.changed(
      'cosignOCI11',
      "vouch reads .sig tags and Sigstore bundles; signatures that cosign's experimental OCI 1.1 mode stores as referrers are not read",
    );
  if (iv.validate !== undefined)
    scope.dropped(
      'validate',
      'conditions across attestations and context entries (JMESPath) have no ClusterImagePolicy form: not checked',
    );
}

/** Names for the policies of one verifyImages entry: `<policy>-<rule>[-<n>][-<what>]`. */
class PolicyNames {
  constructor(
    private readonly base: string,
    private readonly index: number,
    private readonly total: number,
  ) {}

  next(what: string): string {
    const parts = [this.base];
    if (this.index > 0) parts.push(String(this.index + 1));
    if (this.total > 1) parts.push(what.replace(/-$/, ''));
    return parts.join('-');
  }
}
