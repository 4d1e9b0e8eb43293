/**
 * Compiles a shape-checked `ClusterImagePolicy` into a `CompiledPolicy`: policy-controller's validation
 * rules and defaults, plus the places where vouch is stricter (each says so in its message):
 * - a policy needs at least one authority (policy-controller can be configured to admit without any);
 * - `kms` keys and `cue`/`rego` policies are refused as unsupported instead of being half-handled;
 * - an authority must be key, keyless or static (`rfc3161timestamp` alone is not one);
 * - authority names and attestation names must be unique (the CEL input is keyed by them);
 * - `signatureFormat` must name a format the authority's kind reads (`verify/kinds.ts`).
 */
import { RE2JS } from 're2js';
import { describeError } from '../../errors.js';
import { canonicalRegistry, parseReference } from '../../reference/index.js';
import { isAbsoluteUrl } from '../../util/url.js';
import { isSignatureFormatName } from '../../verify/formats.js';
import {
  AUTHORITY_KIND_NAMES,
  AUTHORITY_KINDS,
  type AuthorityKindName,
  formatsRead,
  readsFormat,
} from '../../verify/kinds.js';
import { canonicalHash } from '../fingerprint.js';
import { globAdvice, globError, globPattern } from '../glob.js';
import { CONTROLLER_NAMESPACE, type SuppliedObjects } from '../load/references.js';
import type {
  CompiledAttestation,
  CompiledAuthority,
  CompiledGlob,
  CompiledPolicy,
  HashAlgorithm,
  Identity,
  KeylessAuthority,
  LabelSelector,
  MatchRule,
  PolicyLevelCel,
  PublicKeyMaterial,
  PullSecret,
  SignatureSource,
} from '../model.js';
import type { AuthorityInput, ClusterImagePolicyInput, KeyRefInput } from '../schema/cluster-image-policy.js';
import type { LabelSelectorInput } from '../schema/common.js';
import { WORKLOAD_KINDS } from '../workload-kinds.js';
import { certificatesError, publicKeyError } from './pem.js';
import { compilePolicyBody, type PolicyBodyContext } from './policy-body.js';
import { exactlyOne, listNames, type Reporter } from './reporter.js';

export interface CompileContext extends PolicyBodyContext {
  secrets: SuppliedObjects;
  /** Filled with the pull secrets policies name, as they are resolved. */
  pullSecrets: Map<string, PullSecret>;
}

export const DEFAULT_FULCIO_URL = 'https://fulcio.sigstore.dev';

/** cosign's short predicate-type names, which policy-controller still accepts (with a deprecation warning). */
export const PREDICATE_TYPE_SHORT_NAMES: Readonly<Record<string, string>> = {
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  link: 'https://in-toto.io/Link/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
};

const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['sha224', 'sha256', 'sha384', 'sha512'];

/**
 * What `match[].resource` may name: the workload kinds vouch reads images from — policy-controller's
 * seven, and ReplicationControllers, which vouch's webhook checks too.
 */
const MATCH_RESOURCES: readonly string[] = WORKLOAD_KINDS.map((kind) => kind.resource);

const HOST =
  /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?$/;

export async function compileClusterImagePolicy(
  input: ClusterImagePolicyInput,
  reporter: Reporter,
  context: CompileContext,
  origin: string,
): Promise<CompiledPolicy | undefined> {
  const spec = input.spec;
  const images = compileImages(spec.images, reporter);

  let mode: 'enforce' | 'warn' = 'enforce';
  if (spec.mode !== undefined) {
    if (spec.mode === 'enforce' || spec.mode === 'warn') mode = spec.mode;
    else
      reporter.error(
        'INVALID',
        'spec.mode',
        `must be one of "enforce", "warn" (got ${JSON.stringify(spec.mode)})`,
      );
  }

  const match = (spec.match ?? []).map((entry, i) => compileMatch(entry, `spec.match[${i}]`, reporter));

  const authorities: CompiledAuthority[] = [];
  if (spec.authorities === undefined || spec.authorities.length === 0) {
    reporter.error(
      'INVALID',
      'spec.authorities',
      'at least one authority is required (vouch refuses a policy without authorities; policy-controller can be configured to admit it)',
    );
  } else {
    const names = new Map<string, number>();
    for (const [i, authorityInput] of spec.authorities.entries()) {
      const path = `spec.authorities[${i}]`;
      const name = authorityInput.name ?? `authority-${i}`;
      const previous = names.get(name);
      if (previous !== undefined)
        reporter.error(
          'INVALID',
          `${path}.name`,
          `authority name ${JSON.stringify(name)} is already used by spec.authorities[${previous}] (names must be unique: the CEL policy input is keyed by them)`,
        );
      else names.set(name, i);
      const authority = await compileAuthority(authorityInput, name, path, reporter, context);
      if (authority) authorities.push(authority);
    }
  }

  let policy: PolicyLevelCel | undefined;
  if (spec.policy !== undefined)
    policy = (await compilePolicyBody(spec.policy, 'spec.policy', 'policy', reporter, context)) as
      | PolicyLevelCel
      | undefined;

  if (reporter.failed) return undefined;
  // What a verdict depends on: everything but where the policy was read from and which API version
  // spelled it (v1alpha1 and v1beta1 carry the same fields).
  const body = {
    name: input.metadata.name,
    mode,
    images,
    match: match.filter((rule): rule is MatchRule => rule !== undefined),
    authorities,
    ...(policy !== undefined && { policy }),
    dependsOnResource:
      policy !== undefined && (policy.includeSpec || policy.includeObjectMeta || policy.includeTypeMeta),
  };
  return { ...body, apiVersion: input.apiVersion, origin, fingerprint: canonicalHash(body) };
}

function compileImages(
  images: { glob?: string | undefined }[] | undefined,
  reporter: Reporter,
): CompiledGlob[] {
  if (images === undefined || images.length === 0) {
    reporter.error('INVALID', 'spec.images', 'at least one image glob is required');
    return [];
  }
  const out: CompiledGlob[] = [];
  for (const [i, image] of images.entries()) {
    const path = `spec.images[${i}].glob`;
    if (image.glob === undefined) {
      reporter.error('INVALID', path, 'required field is missing');
      continue;
    }
    const problem = globError(image.glob);
    if (problem) {
      reporter.error('INVALID', path, problem);
      continue;
    }
    const advice = globAdvice(image.glob);
    if (advice) reporter.warn(path, advice);
    out.push({ glob: image.glob, pattern: globPattern(image.glob) });
  }
  return out;
}

function compileMatch(
  entry: {
    group?: string | undefined;
    version?: string | undefined;
    resource?: string | undefined;
    selector?: LabelSelectorInput | undefined;
  },
  path: string,
  reporter: Reporter,
): MatchRule | undefined {
  if (
    entry.selector !== undefined &&
    entry.resource === undefined &&
    entry.version === undefined &&
    entry.group === undefined
  ) {
    reporter.error(
      'INVALID',
      `${path}.selector`,
      'a selector needs a resource type (resource, version, group) to match labels of',
    );
    return undefined;
  }
  if (entry.resource === undefined)
    reporter.warn(
      `${path}.resource`,
      'no resource: this entry matches no resource kind vouch knows (pods, deployments, …)',
    );
  else if (!MATCH_RESOURCES.includes(entry.resource)) {
    // A misspelt resource (`deployment`) would otherwise make the policy apply to nothing, silently.
    reporter.error(
      'INVALID',
      `${path}.resource`,
      `unsupported resource ${JSON.stringify(entry.resource)}: must be one of ${MATCH_RESOURCES.join(', ')}`,
    );
    return undefined;
  }
  const selector =
    entry.selector !== undefined ? compileSelector(entry.selector, `${path}.selector`, reporter) : undefined;
  return {
    group: entry.group ?? '',
    version: entry.version ?? '',
    resource: entry.resource ?? '',
    ...(selector !== undefined && { selector }),
  };
}

function compileSelector(input: LabelSelectorInput, path: string, reporter: Reporter): LabelSelector {
  const matchExpressions = (input.matchExpressions ?? []).map((requirement, i) => {
    const values = requirement.values ?? [];
    const where = `${path}.matchExpressions[${i}].values`;
    if ((requirement.operator === 'In' || requirement.operator === 'NotIn') && values.length === 0)
      reporter.error('INVALID', where, `operator ${requirement.operator} needs at least one value`);
    if ((requirement.operator === 'Exists' || requirement.operator === 'DoesNotExist') && values.length > 0)
      reporter.error('INVALID', where, `operator ${requirement.operator} takes no values`);
    return { key: requirement.key, operator: requirement.operator, values };
  });
  return { matchLabels: input.matchLabels ?? {}, matchExpressions };
}

async function compileAuthority(
  input: AuthorityInput,
  name: string,
  path: string,
  reporter: Reporter,
  context: CompileContext,
): Promise<CompiledAuthority | undefined> {
  const kindNames = listNames(AUTHORITY_KIND_NAMES);
  const chosen = AUTHORITY_KIND_NAMES.filter((kind) => input[kind] !== undefined);
  if (chosen.length !== 1) {
    reporter.error(
      'INVALID',
      path,
      chosen.length === 0
        ? input.rfc3161timestamp !== undefined
          ? `expected exactly one of ${kindNames}: rfc3161timestamp only adds a timestamp requirement to a key or keyless authority (vouch does not accept it alone)`
          : `expected exactly one of ${kindNames}, got none`
        : `expected exactly one of ${kindNames}, got ${listNames(chosen)}`,
    );
    return undefined;
  }
  const kind = chosen[0] as AuthorityKindName;

  if (input.static !== undefined) {
    const clashes = (
      ['attestations', 'source', 'ctlog', 'rfc3161timestamp', 'signatureFormat'] as const
    ).filter((field) => input[field] !== undefined);
    for (const field of clashes)
      reporter.error(
        'INVALID',
        `${path}.${field}`,
        'cannot be combined with static (a static authority checks nothing)',
      );
    const action = input.static.action;
    if (action !== 'pass' && action !== 'fail') {
      reporter.error(
        'INVALID',
        `${path}.static.action`,
        `must be one of "pass", "fail" (got ${JSON.stringify(action)})`,
      );
      return undefined;
    }
    if (action === 'pass' && input.static.message !== undefined)
      reporter.warn(`${path}.static.message`, 'a message is only shown for action: fail');
    return {
      type: 'static',
      name,
      action,
      ...(action === 'fail' && input.static.message !== undefined && { message: input.static.message }),
    };
  }

  const common = await compileSignatureCommon(input, kind, path, reporter, context);
  if (input.key !== undefined) {
    const key = compileKeyRef(input.key, `${path}.key`, 'key', reporter, context);
    const hashAlgorithm = compileHashAlgorithm(
      input.key.hashAlgorithm,
      `${path}.key.hashAlgorithm`,
      reporter,
    );
    if (!key || !hashAlgorithm || !common) return undefined;
    return { type: 'key', name, key, hashAlgorithm, ...common };
  }
  const keyless = compileKeyless(input, path, reporter, context);
  if (!keyless || !common) return undefined;
  if (
    common.signatureFormat === 'bundle' &&
    ((common.tlog?.trustRootRef !== undefined && common.tlog.trustRootRef !== keyless.trustRootRef) ||
      (common.timestamp?.trustRootRef !== undefined &&
        common.timestamp.trustRootRef !== keyless.trustRootRef))
  ) {
    reporter.error(
      'INVALID',
      path,
      'with signatureFormat: bundle, ctlog.trustRootRef and rfc3161timestamp.trustRootRef must equal keyless.trustRootRef (a bundle is checked against one trusted root)',
    );
    return undefined;
  }
  return { type: 'keyless', name, ...keyless, ...common };
}

type SignatureCommon = Pick<
  Extract<CompiledAuthority, { type: 'key' }>,
  'source' | 'tlog' | 'timestamp' | 'attestations' | 'signatureFormat'
>;

async function compileSignatureCommon(
  input: AuthorityInput,
  kind: AuthorityKindName,
  path: string,
  reporter: Reporter,
  context: CompileContext,
): Promise<SignatureCommon | undefined> {
  let ok = true;
  let source: SignatureSource | undefined;
  if (input.source !== undefined && input.source.length > 0) {
    if (input.source.length > 1) {
      reporter.error('INVALID', `${path}.source`, 'at most one source per authority is supported');
      ok = false;
    }
    const first = input.source[0]!;
    source = { pullSecrets: [] };
    if (first.oci !== undefined) {
      const oci = parseOci(first.oci);
      if (typeof oci === 'string') {
        reporter.error('INVALID', `${path}.source[0].oci`, oci);
        ok = false;
      } else source.oci = oci;
    }
    if (first.tagPrefix !== undefined) source.tagPrefix = first.tagPrefix;
    for (const [i, secret] of (first.signaturePullSecrets ?? []).entries()) {
      if (secret.name === undefined) {
        reporter.error(
          'INVALID',
          `${path}.source[0].signaturePullSecrets[${i}].name`,
          'required field is missing',
        );
        ok = false;
      } else {
        source.pullSecrets.push(secret.name);
        if (
          !resolvePullSecret(secret.name, `${path}.source[0].signaturePullSecrets[${i}]`, reporter, context)
        )
          ok = false;
      }
    }
  }

  let tlog: SignatureCommon['tlog'];
  if (input.ctlog !== undefined) {
    tlog = {};
    if (input.ctlog.url !== undefined) {
      if (!isAbsoluteUrl(input.ctlog.url)) {
        reporter.error(
          'INVALID',
          `${path}.ctlog.url`,
          `${JSON.stringify(input.ctlog.url)} is not an absolute URL`,
        );
        ok = false;
      } else tlog.url = input.ctlog.url;
    }
    if (input.ctlog.trustRootRef !== undefined) tlog.trustRootRef = input.ctlog.trustRootRef;
  }

  const timestamp =
    input.rfc3161timestamp !== undefined
      ? {
          ...(input.rfc3161timestamp.trustRootRef !== undefined && {
            trustRootRef: input.rfc3161timestamp.trustRootRef,
          }),
        }
      : undefined;

  const attestations: CompiledAttestation[] = [];
  if ((input.attestations ?? []).length > 0 && !AUTHORITY_KINDS[kind].attestations) {
    reporter.error('INVALID', `${path}.attestations`, `${kind} authorities check no attestations`);
    ok = false;
  }
  const attestationNames = new Map<string, number>();
  for (const [i, attestation] of (input.attestations ?? []).entries()) {
    const where = `${path}.attestations[${i}]`;
    if (attestation.name === undefined) {
      reporter.error('INVALID', `${where}.name`, 'required field is missing');
      ok = false;
    } else if (attestationNames.has(attestation.name)) {
      reporter.error(
        'INVALID',
        `${where}.name`,
        `attestation name ${JSON.stringify(attestation.name)} is already used by attestations[${attestationNames.get(attestation.name)}]`,
      );
      ok = false;
    } else attestationNames.set(attestation.name, i);
    let predicateType: string | undefined;
    let shortName: string | undefined;
    if (attestation.predicateType === undefined) {
      reporter.error('INVALID', `${where}.predicateType`, 'required field is missing');
      ok = false;
    } else if (PREDICATE_TYPE_SHORT_NAMES[attestation.predicateType] !== undefined) {
      shortName = attestation.predicateType;
      predicateType = PREDICATE_TYPE_SHORT_NAMES[shortName];
      reporter.warn(
        `${where}.predicateType`,
        `short name ${JSON.stringify(shortName)} is deprecated; write the predicate type URI ${JSON.stringify(predicateType)}`,
      );
    } else {
      // policy-controller only warns here, and cosign writes whatever --type it is given: matching the
      // value exactly as written is what both do.
      predicateType = attestation.predicateType;
      if (!isRequestUri(predicateType))
        reporter.warn(
          `${where}.predicateType`,
          `${JSON.stringify(predicateType)} is neither a URI nor one of the short names ${Object.keys(PREDICATE_TYPE_SHORT_NAMES).join(', ')}; it is matched exactly as written (policy-controller and cosign accept it too, but a URI is less error-prone)`,
        );
    }
    const policy =
      attestation.policy !== undefined
        ? await compilePolicyBody(attestation.policy, `${where}.policy`, 'attestation', reporter, context)
        : undefined;
    if (attestation.policy !== undefined && policy === undefined) ok = false;
    if (attestation.name !== undefined && predicateType !== undefined)
      attestations.push({
        name: attestation.name,
        predicateType,
        ...(shortName !== undefined && { predicateTypeShortName: shortName }),
        ...(policy !== undefined && {
          policy: { type: policy.type, expression: policy.expression, from: policy.from },
        }),
      });
  }

  let signatureFormat: SignatureCommon['signatureFormat'];
  if (input.signatureFormat !== undefined) {
    // The formats this kind reads (verify/kinds.ts): a format it cannot read would make it verify nothing.
    const readable = formatsRead(kind);
    const choices = readable.map((format) => JSON.stringify(format)).join(', ');
    const format = input.signatureFormat;
    if (isSignatureFormatName(format) && readsFormat(kind, format)) signatureFormat = format;
    else {
      reporter.error(
        'INVALID',
        `${path}.signatureFormat`,
        isSignatureFormatName(format)
          ? `${kind} authorities do not read ${format} signatures; must be one of ${choices}`
          : `must be one of ${choices} (got ${JSON.stringify(format)})`,
      );
      ok = false;
    }
  }

  if (!ok) return undefined;
  return {
    ...(source !== undefined && { source }),
    ...(tlog !== undefined && { tlog }),
    ...(timestamp !== undefined && { timestamp }),
    attestations,
    ...(signatureFormat !== undefined && { signatureFormat }),
  };
}

/**
 * A `signaturePullSecrets` name, looked up among the supplied Secrets. Not supplied: a warning (as in
 * policy-controller, signatures are then read with the credentials vouch has). Supplied: it must be one
 * docker config Secret. Returns false when it is unusable.
 */
function resolvePullSecret(name: string, path: string, reporter: Reporter, context: CompileContext): boolean {
  if (context.pullSecrets.has(name)) return true;
  const candidates = context.secrets.named(name);
  if (candidates.length === 0) {
    reporter.warn(
      path,
      `pull secret ${JSON.stringify(name)} was not supplied; signatures will be read with vouch's own registry credentials`,
    );
    return true;
  }
  if (candidates.length > 1) {
    reporter.error(
      'INVALID',
      path,
      `pull secret ${JSON.stringify(name)} is ambiguous: supplied in namespaces ${candidates.map((c) => c.namespace).join(', ')}`,
    );
    return false;
  }
  const secret = candidates[0]!;
  const text = secret.data['.dockerconfigjson'] ?? secret.data['.dockercfg'];
  if (text === undefined) {
    reporter.error(
      'INVALID',
      path,
      `pull secret ${secret.namespace}/${name} (${secret.from}) holds no .dockerconfigjson (a kubernetes.io/dockerconfigjson Secret is expected)`,
    );
    return false;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not a JSON object');
  } catch (error) {
    reporter.error(
      'INVALID',
      path,
      `pull secret ${secret.namespace}/${name} (${secret.from}): .dockerconfigjson is not a JSON object: ${describeError(error)}`,
    );
    return false;
  }
  context.pullSecrets.set(name, {
    namespace: secret.namespace,
    name,
    dockerConfigJson: text,
    from: secret.from,
  });
  return true;
}

function compileHashAlgorithm(
  value: string | undefined,
  path: string,
  reporter: Reporter,
): HashAlgorithm | undefined {
  if (value === undefined) return 'sha256';
  const lower = value.toLowerCase() as HashAlgorithm;
  if (HASH_ALGORITHMS.includes(lower)) return lower;
  reporter.error(
    'INVALID',
    path,
    `must be one of ${HASH_ALGORITHMS.map((a) => JSON.stringify(a)).join(', ')} (got ${JSON.stringify(value)})`,
  );
  return undefined;
}

/**
 * A `KeyRef`: inline PEM, or a Secret holding exactly one entry. `what` says whether a public key
 * (`key`) or CA certificates (`ca-cert`) are expected.
 */
function compileKeyRef(
  input: KeyRefInput,
  path: string,
  what: 'key' | 'ca-cert',
  reporter: Reporter,
  context: CompileContext,
): PublicKeyMaterial | undefined {
  if (!exactlyOne(reporter, path, { data: input.data, kms: input.kms, secretRef: input.secretRef }))
    return undefined;
  const check = what === 'key' ? publicKeyError : certificatesError;
  if (input.kms !== undefined) {
    reporter.error(
      'UNSUPPORTED',
      `${path}.kms`,
      what === 'key'
        ? 'kms keys are not supported by vouch; export the public key (cosign public-key --key <kms-uri>) and give it as key.data or key.secretRef'
        : 'a kms reference cannot hold CA certificates; give them as ca-cert.data or ca-cert.secretRef',
    );
    return undefined;
  }
  if (input.data !== undefined) {
    const problem = check(input.data);
    if (problem) {
      reporter.error('INVALID', `${path}.data`, problem);
      return undefined;
    }
    return { pem: input.data, from: { type: 'inline' } };
  }
  const ref = input.secretRef!;
  if (ref.name === undefined) {
    reporter.error('INVALID', `${path}.secretRef.name`, 'required field is missing');
    return undefined;
  }
  if (ref.namespace !== undefined && ref.namespace !== CONTROLLER_NAMESPACE) {
    reporter.error(
      'INVALID',
      `${path}.secretRef.namespace`,
      `must be empty or ${JSON.stringify(CONTROLLER_NAMESPACE)} (policy-controller reads key secrets only from its own namespace)`,
    );
    return undefined;
  }
  const secret = context.secrets.get(CONTROLLER_NAMESPACE, ref.name);
  if (secret === undefined) {
    reporter.error(
      'MISSING_REFERENCE',
      `${path}.secretRef`,
      `Secret ${CONTROLLER_NAMESPACE}/${ref.name} was not supplied (add its Secret YAML to the policy sources, or a directory ${ref.name}/ holding the key file to the secrets directory)`,
    );
    return undefined;
  }
  const entries = Object.entries(secret.data);
  if (entries.length !== 1) {
    reporter.error(
      'INVALID',
      `${path}.secretRef`,
      `Secret ${CONTROLLER_NAMESPACE}/${ref.name} (${secret.from}) must hold exactly one entry, found ${entries.length}`,
    );
    return undefined;
  }
  const [key, pem] = entries[0]!;
  const problem = check(pem);
  if (problem) {
    reporter.error(
      'INVALID',
      `${path}.secretRef`,
      `Secret ${CONTROLLER_NAMESPACE}/${ref.name} entry ${JSON.stringify(key)}: ${problem}`,
    );
    return undefined;
  }
  return {
    pem,
    from: {
      type: 'secret',
      namespace: CONTROLLER_NAMESPACE,
      name: ref.name,
      key,
      ...(secret.directory !== undefined && { file: `${secret.directory}/${key}` }),
    },
  };
}

function compileKeyless(
  input: AuthorityInput,
  path: string,
  reporter: Reporter,
  context: CompileContext,
): Omit<KeylessAuthority, 'type' | 'name' | keyof SignatureCommon> | undefined {
  const keyless = input.keyless!;
  const where = `${path}.keyless`;
  let ok = exactlyOne(
    reporter,
    where,
    { url: keyless.url, 'ca-cert': keyless['ca-cert'] },
    { allowNone: true },
  );
  let url: string | undefined;
  let caCert: KeylessAuthority['caCert'];
  if (keyless.url !== undefined) {
    if (isAbsoluteUrl(keyless.url)) url = keyless.url;
    else {
      reporter.error('INVALID', `${where}.url`, `${JSON.stringify(keyless.url)} is not an absolute URL`);
      ok = false;
    }
  } else if (keyless['ca-cert'] !== undefined) {
    const material = compileKeyRef(keyless['ca-cert'], `${where}.ca-cert`, 'ca-cert', reporter, context);
    if (material) caCert = material;
    else ok = false;
  } else url = DEFAULT_FULCIO_URL;

  const identities: Identity[] = [];
  if (keyless.identities === undefined || keyless.identities.length === 0) {
    reporter.error(
      'INVALID',
      `${where}.identities`,
      'at least one identity (issuer and subject, exact or regular expression) is required',
    );
    ok = false;
  }
  for (const [i, identity] of (keyless.identities ?? []).entries()) {
    const at = `${where}.identities[${i}]`;
    const issuerOk = exactlyOne(reporter, at, {
      issuer: identity.issuer,
      issuerRegExp: identity.issuerRegExp,
    });
    const subjectOk = exactlyOne(reporter, at, {
      subject: identity.subject,
      subjectRegExp: identity.subjectRegExp,
    });
    const regexOk = [
      ['issuerRegExp', identity.issuerRegExp],
      ['subjectRegExp', identity.subjectRegExp],
    ].every(([field, pattern]) => {
      if (pattern === undefined) return true;
      const problem = regexError(pattern);
      if (problem) reporter.error('INVALID', `${at}.${field}`, problem);
      return problem === undefined;
    });
    if (!issuerOk || !subjectOk || !regexOk) {
      ok = false;
      continue;
    }
    identities.push({
      ...(identity.issuer !== undefined && { issuer: identity.issuer }),
      ...(identity.issuerRegExp !== undefined && { issuerRegExp: identity.issuerRegExp }),
      ...(identity.subject !== undefined && { subject: identity.subject }),
      ...(identity.subjectRegExp !== undefined && { subjectRegExp: identity.subjectRegExp }),
    });
  }
  if (!ok) return undefined;
  return {
    ...(url !== undefined && { url }),
    ...(caCert !== undefined && { caCert }),
    identities,
    ...(keyless.trustRootRef !== undefined && { trustRootRef: keyless.trustRootRef }),
    insecureIgnoreSCT: keyless.insecureIgnoreSCT ?? false,
  };
}

/** Identity expressions are Go RE2 (unanchored); re2js accepts exactly that syntax. */
function regexError(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    return `not a valid RE2 regular expression: ${describeError(error)}`;
  }
}

/**
 * `source.oci`, as policy-controller reads it: a registry (`registry.example.com[:port]`) or, when the
 * first component looks like a host, a repository (`registry.example.com/signatures`), with no tag or digest.
 */
function parseOci(oci: string): SignatureSource['oci'] | string {
  const slash = oci.indexOf('/');
  const first = slash < 0 ? oci : oci.slice(0, slash);
  if (slash >= 0 && (first.includes('.') || first.includes(':'))) {
    if (oci.includes('@') || /:[^/]*$/.test(oci.slice(slash)))
      return `${JSON.stringify(oci)} must be a registry or repository, without tag or digest`;
    try {
      const ref = parseReference(oci);
      return { registry: ref.registry, repository: ref.repository };
    } catch (error) {
      return describeError(error);
    }
  }
  if (!HOST.test(oci))
    return `${JSON.stringify(oci)} is neither a registry host[:port] nor registry/repository`;
  return { registry: canonicalRegistry(oci) };
}

/** Go's `url.ParseRequestURI`: an absolute URI, or an absolute path. */
function isRequestUri(value: string): boolean {
  return value.startsWith('/') || (isAbsoluteUrl(value) && /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(value));
}
