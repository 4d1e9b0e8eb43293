/**
 * Ratify's `notation` and `cosign` verifiers as ClusterImagePolicies: one per trust policy, over the
 * images its scopes name. A Notation trust policy statement becomes a Notation authority carrying it
 * (trust stores resolved to the certificates of the CertificateStore / KeyManagementProvider resources
 * they name); a cosign trust policy's keys become key authorities (any one verifying, as in Ratify),
 * its keyless identity a keyless authority.
 */
import type { PolicyMode } from '../../model.js';
import { type AuthorityBody, clusterImagePolicy } from '../cip.js';
import { kubernetesName } from '../names.js';
import type { Scope } from '../report.js';
import { parseStrict } from '../strict.js';
import { publicKeys } from '../trust.js';
import {
  type CosignTrustPolicy,
  cosignParametersSchema,
  notationParametersSchema,
  type TrustPolicyDocument,
} from './schema.js';
import { cosignScopeGlobs, registryScopeGlobs } from './scopes.js';

const PUBLIC_REKOR = 'https://rekor.sigstore.dev';
const LEVELS = new Set(['strict', 'permissive', 'audit', 'skip']);
const STORE_TYPES = new Set(['ca', 'signingAuthority', 'tsa']);

/** The PEM a provider resource holds, or why it cannot be used. */
export type Provided = { pem: string; contentType: 'certificate' | 'key' } | { problem: string };

export interface VerifierContext {
  providers: ReadonlyMap<string, Provided>;
  mode: PolicyMode;
  /** Every policy made: for the overlap check of `*` scopes. */
  made: { scope: Scope; globs: string[]; global: boolean; body: string }[];
}

function emit(
  scope: Scope,
  name: string,
  globs: string[],
  authorities: AuthorityBody[],
  context: VerifierContext,
  global: boolean,
): void {
  const policyName = scope.name('ClusterImagePolicy', name);
  const body = clusterImagePolicy(policyName, { globs, authorities, mode: context.mode });
  scope.draft('ClusterImagePolicy', policyName, body);
  context.made.push({ scope, globs, global, body: JSON.stringify(authorities) });
}

export function notationVerifier(
  verifier: string,
  parameters: Record<string, unknown>,
  scope: Scope,
  context: VerifierContext,
): void {
  const parsed = parseStrict(notationParametersSchema, parameters, ['spec', 'parameters']);
  for (const path of parsed.unknown)
    scope.dropped(path, "unknown field: not a parameter of Ratify's notation verifier");
  for (const issue of parsed.invalid) scope.refuse(issue.path, issue.message);
  if (parsed.value === undefined) return;
  const { trustPolicyDoc: doc, verificationCertStores: stores = {}, verificationCerts } = parsed.value;
  if (verificationCerts !== undefined)
    scope.dropped(
      'spec.parameters.verificationCerts',
      "certificate directories inside Ratify's pod are not imported: name CertificateStore or KeyManagementProvider resources in verificationCertStores",
    );
  checkDocument(doc, scope.at('spec.parameters.trustPolicyDoc'));
  scope.translated('spec.parameters.trustPolicyDoc.version', doc.version);
  if (parsed.value.verificationCertStores !== undefined)
    scope.translated(
      'spec.parameters.verificationCertStores',
      "trust stores, resolved through the input's CertificateStore and KeyManagementProvider resources",
    );
  // The legacy form {name: [refs]} means CA trust stores.
  const byType = new Map<string, Map<string, string[]>>();
  for (const [key, value] of Object.entries(stores)) {
    if (Array.isArray(value)) byType.set('ca', new Map([...(byType.get('ca') ?? []), [key, value]]));
    else byType.set(key, new Map([...(byType.get(key) ?? []), ...Object.entries(value)]));
  }
  doc.trustPolicies.forEach((statement, index) => {
    const at = scope
      .child(`trust policy ${JSON.stringify(statement.name)}`)
      .at(`spec.parameters.trustPolicyDoc.trustPolicies[${index}]`);
    const globs = statement.registryScopes.flatMap((registryScope, i) =>
      registryScopeGlobs(registryScope, at, `registryScopes[${i}]`),
    );
    if (globs.length === 0) return;
    const name = kubernetesName(verifier, statement.name);
    if (statement.signatureVerification.level === 'skip') {
      at.translated(
        'signatureVerification.level',
        'skip → static pass (Notation verifies nothing for these images)',
      );
      emit(
        at,
        name,
        globs,
        [{ name: 'skip', static: { action: 'pass' } }],
        context,
        statement.registryScopes.includes('*'),
      );
      return;
    }
    const trustStores: Record<string, unknown>[] = [];
    let failure: string | undefined;
    for (const [i, reference] of (statement.trustStores ?? []).entries()) {
      const [type, storeName] = reference.split(':') as [string, string];
      const refs = byType.get(type)?.get(storeName);
      if (refs === undefined) {
        at.refuse(`trustStores[${i}]`, `trust store ${reference} is not defined in verificationCertStores`);
        return;
      }
      const pems: string[] = [];
      for (const ref of refs) {
        const provided = context.providers.get(ref) ?? context.providers.get(ref.split('/').pop() ?? ref);
        if (provided === undefined)
          failure = `${ref} (named by ${reference}) is not among the input's CertificateStore and KeyManagementProvider resources`;
        else if ('problem' in provided) failure = `${ref}: ${provided.problem}`;
        else if (provided.contentType !== 'certificate') failure = `${ref} holds a key, not certificates`;
        else pems.push(provided.pem);
      }
      if (failure !== undefined) break;
      trustStores.push({ type, name: storeName, data: pems.join('') });
      at.translated(
        `trustStores[${i}]`,
        `${reference} → trust store with the certificates of ${refs.join(', ')}`,
      );
    }
    if (failure !== undefined) {
      at.dropped('', `${failure}: these images are denied (static fail) until the certificates are given`);
      emit(
        at,
        name,
        globs,
        [{ name: 'notation', static: { action: 'fail', message: `trust store not imported: ${failure}` } }],
        context,
        statement.registryScopes.includes('*'),
      );
      return;
    }
    at.translated(
      '',
      '→ Notation authority carrying the statement (trust stores, trusted identities, signature verification)',
    );
    emit(
      at,
      name,
      globs,
      [
        {
          name: kubernetesName(statement.name),
          notation: {
            trustStores,
            trustedIdentities: statement.trustedIdentities ?? [],
            signatureVerification: statement.signatureVerification,
          },
        },
      ],
      context,
      statement.registryScopes.includes('*'),
    );
  });
}

/** notation-go's checks of a trust policy document: Ratify refuses the verifier when they fail. */
function checkDocument(doc: TrustPolicyDocument, scope: Scope): void {
  if (doc.version !== '1.0')
    scope.refuse(
      'version',
      `trust policy document version ${JSON.stringify(doc.version)} is not supported (1.0)`,
    );
  const names = new Set<string>();
  const scopes = new Set<string>();
  doc.trustPolicies.forEach((statement, index) => {
    const at = `trustPolicies[${index}]`;
    if (names.has(statement.name))
      scope.refuse(
        `${at}.name`,
        `multiple trust policy statements use the same name ${JSON.stringify(statement.name)}`,
      );
    names.add(statement.name);
    if (statement.registryScopes.length === 0)
      scope.refuse(`${at}.registryScopes`, 'at least one registry scope is required');
    if (statement.registryScopes.includes('*') && statement.registryScopes.length > 1)
      scope.refuse(`${at}.registryScopes`, 'the wildcard "*" cannot be combined with other scopes');
    for (const registryScope of statement.registryScopes) {
      if (scopes.has(registryScope))
        scope.refuse(
          `${at}.registryScopes`,
          `registry scope ${JSON.stringify(registryScope)} is in several statements`,
        );
      scopes.add(registryScope);
    }
    const level = statement.signatureVerification.level;
    if (!LEVELS.has(level))
      scope.refuse(
        `${at}.signatureVerification.level`,
        `unknown verification level ${JSON.stringify(level)}`,
      );
    if (level !== 'skip') {
      if ((statement.trustStores ?? []).length === 0)
        scope.refuse(`${at}.trustStores`, 'at least one trust store is required');
      if ((statement.trustedIdentities ?? []).length === 0)
        scope.refuse(`${at}.trustedIdentities`, 'at least one trusted identity is required');
    }
    for (const reference of statement.trustStores ?? []) {
      const [type, name] = reference.split(':');
      if (!STORE_TYPES.has(type ?? '') || !name)
        scope.refuse(
          `${at}.trustStores`,
          `${JSON.stringify(reference)} is not a trust store ("ca:name", "signingAuthority:name" or "tsa:name")`,
        );
    }
  });
}

export function cosignVerifier(
  verifier: string,
  parameters: Record<string, unknown>,
  scope: Scope,
  context: VerifierContext,
): void {
  const parsed = parseStrict(cosignParametersSchema, parameters, ['spec', 'parameters']);
  for (const path of parsed.unknown)
    scope.dropped(path, "unknown field: not a parameter of Ratify's cosign verifier");
  for (const issue of parsed.invalid) scope.refuse(issue.path, issue.message);
  const params = parsed.value;
  if (params === undefined) return;
  if (
    (params.key !== undefined || params.rekorURL !== undefined) &&
    (params.trustPolicies ?? []).length > 0
  ) {
    scope.refuse(
      'spec.parameters',
      "'key' and 'rekorURL' are part of Cosign legacy configuration and cannot be used with `trustPolicies` parameter",
    );
    return;
  }
  if (params.nestedArtifactTypes !== undefined)
    scope.dropped('spec.parameters.nestedArtifactTypes', 'nested artifacts are not verified by vouch');
  const name = kubernetesName(verifier);
  if (params.key !== undefined) {
    scope.dropped(
      'spec.parameters.key',
      "a key file inside Ratify's pod is not imported: images are denied (static fail) until you give the key in a trust policy with an inline KeyManagementProvider",
    );
    emit(
      scope,
      name,
      ['**'],
      [{ name: 'key', static: { action: 'fail', message: 'key file not imported' } }],
      context,
      true,
    );
    return;
  }
  if (params.trustPolicies === undefined || params.trustPolicies.length === 0) {
    // Legacy keyless: any identity from the public-good Fulcio, logged in Rekor when rekorURL is set.
    if (params.rekorURL === undefined)
      scope.changed(
        'spec.parameters',
        'legacy keyless without rekorURL: Ratify checks no transparency log or SCT; vouch requires both for keyless signatures',
      );
    scope.changed(
      'spec.parameters',
      'legacy keyless: any identity signed by the public-good Fulcio passes, in Ratify and in vouch (identities ".*")',
    );
    emit(
      scope,
      name,
      ['**'],
      [
        {
          name: 'keyless',
          keyless: { identities: [{ issuerRegExp: '.*', subjectRegExp: '.*' }] },
          signatureFormat: 'legacy',
        },
      ],
      context,
      true,
    );
    return;
  }
  const names = new Set<string>();
  params.trustPolicies.forEach((policy, index) => {
    const at = scope
      .child(`trust policy ${JSON.stringify(policy.name)}`)
      .at(`spec.parameters.trustPolicies[${index}]`);
    if (names.has(policy.name)) at.refuse('name', `duplicate policy name ${policy.name}`);
    names.add(policy.name);
    if (policy.scopes.length === 0)
      at.refuse('scopes', `scope parameter is required for trust policy ${policy.name}`);
    if (policy.scopes.length > 1 && policy.scopes.includes('*'))
      at.refuse(
        'scopes',
        `global wildcard character * cannot be used with other scopes within the same trust policy ${policy.name}`,
      );
    if (policy.version !== undefined && policy.version !== '1.0.0')
      at.refuse('version', `trust policy version ${policy.version} is not supported (1.0.0)`);
    const globs = policy.scopes.flatMap((scopeText, i) => cosignScopeGlobs(scopeText, at, `scopes[${i}]`));
    if (globs.length === 0) return;
    const authorities = cosignAuthorities(policy, at, context);
    at.changed(
      '',
      "Ratify's cosign verifier keeps the result of the last signature it checks (its loop overwrites it); vouch accepts the image when any signature verifies",
    );
    emit(at, kubernetesName(verifier, policy.name), globs, authorities, context, policy.scopes.includes('*'));
  });
}

function cosignAuthorities(
  policy: CosignTrustPolicy,
  scope: Scope,
  context: VerifierContext,
): AuthorityBody[] {
  const tlog = policy.tLogVerify ?? true;
  const rekor = policy.rekorURL ?? PUBLIC_REKOR;
  if (policy.rekorURL !== undefined)
    scope.translated(
      'rekorURL',
      `${rekor}: entries checked offline with the public-good log keys, as Ratify fetches them`,
    );
  const authorities: AuthorityBody[] = [];
  (policy.keys ?? []).forEach((key, i) => {
    const name = `key-${i}`;
    const provided = key.provider === undefined ? undefined : context.providers.get(key.provider);
    let pems: string[] | undefined;
    if (key.file !== undefined)
      scope.dropped(
        `keys[${i}].file`,
        "a key file inside Ratify's pod is not imported: this key never verifies (static fail)",
      );
    else if (provided === undefined)
      scope.dropped(
        `keys[${i}].provider`,
        `${key.provider ?? '(none)'} is not among the input's KeyManagementProvider resources: this key never verifies (static fail)`,
      );
    else if ('problem' in provided)
      scope.dropped(
        `keys[${i}].provider`,
        `${key.provider}: ${provided.problem}: this key never verifies (static fail)`,
      );
    else if (provided.contentType !== 'key')
      scope.dropped(
        `keys[${i}].provider`,
        `${key.provider} holds certificates, not keys: this key never verifies (static fail)`,
      );
    else {
      const parsed = publicKeys(provided.pem);
      if (parsed.ok) pems = parsed.value;
      else scope.dropped(`keys[${i}].provider`, `${key.provider}: ${parsed.problem}`);
    }
    if (key.name !== undefined || key.version !== undefined)
      scope.translated(
        `keys[${i}]`,
        'name and version select keys of a key vault: the inline provider holds one',
      );
    if (pems === undefined) {
      authorities.push({
        name,
        static: { action: 'fail', message: `key ${i} of trust policy ${policy.name} not imported` },
      });
      return;
    }
    for (const [j, pem] of pems.entries())
      authorities.push({
        name: pems.length > 1 ? `${name}-${j}` : name,
        key: { data: pem },
        ...(tlog && { ctlog: { url: rekor } }),
        signatureFormat: 'legacy',
      });

    scope.translated(
      `keys[${i}]`,
      `${key.provider} → key.data${tlog ? ', Rekor entry required → ctlog' : ''}`,
    );
  });
  if (policy.keyless !== undefined) {
    const keyless = policy.keyless;
    const identity = {
      ...(keyless.certificateOIDCIssuer !== undefined
        ? { issuer: keyless.certificateOIDCIssuer }
        : { issuerRegExp: keyless.certificateOIDCIssuerRegExp ?? '.*' }),
      ...(keyless.certificateIdentity !== undefined
        ? { subject: keyless.certificateIdentity }
        : { subjectRegExp: keyless.certificateIdentityRegExp ?? '.*' }),
    };
    if (!tlog)
      scope.changed('tLogVerify', 'vouch requires a transparency log entry for every keyless signature');
    scope.translated('keyless', '→ keyless identity (exact or RE2, as cosign compares them)');
    authorities.push({
      name: 'keyless',
      keyless: { identities: [identity], ...(keyless.ctLogVerify === false && { insecureIgnoreSCT: true }) },
      signatureFormat: 'legacy',
    });
  }
  if (authorities.length === 0) {
    scope.refuse('', 'a trust policy needs keys or a keyless identity');
    authorities.push({ name: 'none', static: { action: 'fail', message: 'no keys' } });
  }
  if (policy.tLogVerify === false) scope.translated('tLogVerify', 'false → no ctlog: the key alone vouches');
  return authorities;
}
