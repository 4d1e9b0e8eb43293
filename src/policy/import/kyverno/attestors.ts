/**
 * Kyverno attestor sets as ClusterImagePolicy authorities. An attestor set is one policy whose
 * authorities are its entries (multi-key `publicKeys` split into one entry per key, as Kyverno counts
 * them); `count` — all entries by default — becomes a `spec.policy` CEL condition over the authorities
 * that passed, nested attestor sets included. An entry vouch cannot check becomes a `static: fail`
 * authority: it never counts as passed, as it could not in vouch, and the report says why.
 */
import type { AuthorityBody, CountTree } from '../cip.js';
import type { Scope } from '../report.js';
import { certificateKey, certificates, publicKeys, type TrustParts } from '../trust.js';
import { hasWildcard, wildcardToRegex } from '../wildcards.js';
import type { Attestor, AttestorSet } from './schema.js';
import { attestorSetSchema } from './schema.js';
import { MAX_ATTESTOR_DEPTH } from './validate.js';

export const PUBLIC_REKOR = 'https://rekor.sigstore.dev';
const KMS_SCHEMES = /^(awskms|gcpkms|azurekms|hashivault):\/\//;
const K8S_SECRET = /^k8s:\/\/([^/]+)\/([^/]+)$/;

export interface AttestorContext {
  type: 'Cosign' | 'SigstoreBundle' | 'Notary';
  /** The rule's `repository` (signatures stored elsewhere), overridden per attestor. */
  repository?: string;
  /** Resolves a `{{ configmap.data.key }}` value from the rule's context; undefined when it cannot. */
  resolve(value: string, scope: Scope, path: string): string | undefined;
  /** A TrustRoot holding these parts (made once per distinct set of parts): its name. */
  trustRoot(parts: TrustParts): string | undefined;
  /** A fresh authority name for the policy being built. */
  nextName(kind: string): string;
}

export interface SetTranslation {
  authorities: AuthorityBody[];
  tree: CountTree;
}

function failing(name: string, message: string): AuthorityBody {
  return { name, static: { action: 'fail', message } };
}

/** A key entry that is not imported: its other settings are reported as unused. */
function notImported(
  scope: Scope,
  keys: NonNullable<Attestor['keys']>,
  name: string,
  message: string,
): AuthorityBody {
  for (const field of ['rekor', 'ctlog', 'signatureAlgorithm'] as const)
    if (keys[field] !== undefined) scope.ignored(field, 'not used: this entry is not imported');
  return failing(name, message);
}

/** An attestor set (and its nested sets) as authorities and the count over them. */
export function translateAttestorSet(
  set: AttestorSet,
  scope: Scope,
  context: AttestorContext,
  depth = 0,
): SetTranslation {
  const authorities: AuthorityBody[] = [];
  const members: CountTree[] = [];
  const entries = expandKeys(set.entries ?? [], scope);
  for (const { entry, path } of entries) {
    const at = scope.at(path);
    if (entry.attestor !== undefined) {
      const nested = attestorSetSchema.safeParse(entry.attestor);
      // Unparsable or too deep: refused by validate.ts, so nothing is written anyway.
      if (!nested.success || depth >= MAX_ATTESTOR_DEPTH) continue;
      const inner = translateAttestorSet(nested.data, at.at('attestor'), context, depth + 1);
      authorities.push(...inner.authorities);
      members.push(inner.tree);
      at.translated('attestor', 'nested attestor set → counted in the policy condition');
      continue;
    }
    const authority = translateEntry(entry, at, context);
    authorities.push(authority);
    members.push(authority.name);
  }
  const count = set.count ?? members.length;
  if (set.count !== undefined)
    scope.translated(
      'count',
      count === 1 ? 'any one entry → any one authority' : `at least ${count} entries → CEL condition`,
    );
  else if (members.length > 1)
    scope.translated('', `no count: all ${members.length} entries must verify → CEL condition`);
  return { authorities, tree: { count, members } };
}

/** Kyverno's ExpandStaticKeys: a `publicKeys` with several PEM keys is one entry per key. */
function expandKeys(entries: readonly Attestor[], scope: Scope): { entry: Attestor; path: string }[] {
  const out: { entry: Attestor; path: string }[] = [];
  entries.forEach((entry, index) => {
    const path = `entries[${index}]`;
    const text = entry.keys?.publicKeys;
    const keys = text?.includes('-----BEGIN') ? publicKeys(text) : undefined;
    if (keys?.ok && keys.value.length > 1) {
      scope.translated(
        `${path}.keys.publicKeys`,
        `${keys.value.length} keys → one entry each, as Kyverno counts them`,
      );
      for (const key of keys.value)
        out.push({ entry: { ...entry, keys: { ...entry.keys, publicKeys: key } }, path });
    } else out.push({ entry, path });
  });
  return out;
}

function translateEntry(entry: Attestor, scope: Scope, context: AttestorContext): AuthorityBody {
  const common: Record<string, unknown> = {};
  const repository = entry.repository ?? context.repository;
  if (repository !== undefined) {
    common.source = [{ oci: repository }];
    if (entry.repository !== undefined)
      scope.translated('repository', `signatures read from ${repository} → source.oci`);
  }
  if (entry.annotations !== undefined)
    scope.dropped(
      'annotations',
      'a ClusterImagePolicy cannot require signature annotations: vouch accepts a signature whatever annotations it carries',
    );
  if (context.type === 'Notary') return notaryAuthority(entry, scope, context);
  if (context.type === 'SigstoreBundle') common.signatureFormat = 'bundle';
  else common.signatureFormat = 'legacy';
  if (entry.keys !== undefined) return keyAuthority(entry, scope.at('keys'), context, common);
  if (entry.keyless !== undefined) return keylessAuthority(entry, scope.at('keyless'), context, common);
  return certificateAuthority(entry, scope.at('certificates'), context, common);
}

function hashAlgorithm(value: string | undefined, scope: Scope, path: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === 'sha256') {
    scope.translated(path, 'sha256, the default hash');
    return {};
  }
  scope.translated(path, `${value} → key.hashAlgorithm`);
  return { hashAlgorithm: value };
}

/** `rekor` of a key or certificate attestor: the transparency log requirement (`ctlog` in a CIP). */
function keyTlog(
  entry: { rekor?: { url?: string; pubkey?: string; ignoreTlog?: boolean } | undefined },
  scope: Scope,
  context: AttestorContext,
): Record<string, unknown> | undefined {
  const rekor = entry.rekor;
  if (rekor?.ignoreTlog === true) {
    scope.translated('rekor', 'ignoreTlog: no transparency log, the key alone vouches (no ctlog)');
    return undefined;
  }
  const url = rekor?.url ?? PUBLIC_REKOR;
  if (rekor?.pubkey !== undefined) {
    const name = context.trustRoot({ tlogs: [{ url, pem: rekor.pubkey }] });
    if (name === undefined) return undefined;
    scope.translated('rekor.pubkey', `→ TrustRoot ${name}, named by ctlog.trustRootRef`);
    return { url, trustRootRef: name };
  }
  scope.translated(
    rekor === undefined ? '' : 'rekor',
    `a Rekor entry is required (${url}) → ctlog, checked offline with the public-good log keys`,
  );
  return { url };
}

function keyAuthority(
  entry: Attestor,
  scope: Scope,
  context: AttestorContext,
  common: Record<string, unknown>,
): AuthorityBody {
  const keys = entry.keys!;
  const name = context.nextName('key');
  const algorithm = hashAlgorithm(
    entry.signatureAlgorithm ?? keys.signatureAlgorithm,
    scope,
    'signatureAlgorithm',
  );
  let key: Record<string, unknown> | undefined;
  if (keys.kms !== undefined || (keys.publicKeys !== undefined && KMS_SCHEMES.test(keys.publicKeys.trim()))) {
    scope.dropped(
      keys.kms !== undefined ? 'kms' : 'publicKeys',
      'kms keys are not supported by vouch (it reads no KMS): this entry never verifies (static fail) until you give the exported public key (cosign public-key --key <kms-uri>)',
    );
    return notImported(scope, keys, name, 'kms key not imported: give the exported public key');
  }
  const secret = keys.secret ?? secretOf(keys.publicKeys);
  if (secret !== undefined) {
    scope.changed(
      keys.secret !== undefined ? 'secret' : 'publicKeys',
      `Secret ${secret.namespace}/${secret.name} → key.secretRef ${secret.name}: vouch reads it from its own namespace's Secrets (--secrets DIR or Secret documents), and it must hold exactly one entry (Kyverno reads its cosign.pub)`,
    );
    key = { secretRef: { name: secret.name } };
  } else {
    const text = context.resolve(keys.publicKeys ?? '', scope, 'publicKeys');
    if (text === undefined) return notImported(scope, keys, name, 'public key not imported');
    const parsed = publicKeys(text);
    if (!parsed.ok) {
      scope.dropped('publicKeys', `${parsed.problem}: this entry never verifies (static fail)`);
      return notImported(scope, keys, name, `public key not imported: ${parsed.problem}`);
    }
    key = { data: parsed.value[0] };
    scope.translated('publicKeys', '→ key.data');
  }
  const ctlog = keyTlog(keys, scope, context);
  certificateOnlyOptions(keys.ctlog, scope, context, common);
  return { name, key: { ...key, ...algorithm }, ...(ctlog !== undefined && { ctlog }), ...common };
}

function secretOf(text: string | undefined): { namespace: string; name: string } | undefined {
  const match = text === undefined ? null : K8S_SECRET.exec(text.trim());
  return match ? { namespace: match[1] as string, name: match[2] as string } : undefined;
}

/** `ctlog` of a key attestor: no certificate, so no SCT; a TSA chain requires signed timestamps. */
function certificateOnlyOptions(
  ctlog: { ignoreSCT?: boolean; pubkey?: string; tsaCertChain?: string } | undefined,
  scope: Scope,
  context: AttestorContext,
  common: Record<string, unknown>,
): void {
  if (ctlog?.ignoreSCT !== undefined || ctlog?.pubkey !== undefined)
    scope.translated('ctlog', 'SCT settings: a key signature has no certificate, so no SCT to check');
  if (ctlog?.tsaCertChain !== undefined) timestamp(ctlog.tsaCertChain, scope, context, common);
}

function timestamp(
  chain: string,
  scope: Scope,
  context: AttestorContext,
  common: Record<string, unknown>,
): void {
  const name = context.trustRoot({ timestampAuthorities: [chain] });
  if (name === undefined) return;
  common.rfc3161timestamp = { trustRootRef: name };
  scope.changed(
    'ctlog.tsaCertChain',
    `→ rfc3161timestamp with TrustRoot ${name}: vouch requires a signed timestamp from this TSA on every signature, where cosign checks one only when the signature carries it`,
  );
}

const ANY = '.*';

function keylessAuthority(
  entry: Attestor,
  scope: Scope,
  context: AttestorContext,
  common: Record<string, unknown>,
): AuthorityBody {
  const keyless = entry.keyless!;
  const name = context.nextName('keyless');
  const identity = keylessIdentities(keyless, scope);
  const body: Record<string, unknown> = { identities: identity };
  if (keyless.roots !== undefined) {
    const text = context.resolve(keyless.roots, scope, 'roots');
    const roots = text === undefined ? undefined : certificates(text);
    if (roots === undefined || !roots.ok) {
      if (roots !== undefined)
        scope.dropped('roots', `${roots.problem}: this entry never verifies (static fail)`);
      return failing(name, 'keyless roots not imported');
    }
    body['ca-cert'] = { data: roots.value };
    scope.translated('roots', '→ keyless.ca-cert (these roots instead of Fulcio; logs stay public-good)');
  }
  const parts: TrustParts = {};
  const rekor = keyless.rekor;
  if (rekor?.ignoreTlog === true)
    scope.changed(
      'rekor.ignoreTlog',
      'vouch requires a transparency log entry (or signed timestamp) for every keyless signature',
    );
  if (rekor?.pubkey !== undefined) parts.tlogs = [{ url: rekor.url ?? PUBLIC_REKOR, pem: rekor.pubkey }];
  else if (rekor?.url !== undefined)
    scope.translated(
      'rekor.url',
      `${rekor.url}: entries checked offline with the public-good log keys, as Kyverno does without rekor.pubkey`,
    );
  if (keyless.ctlog?.pubkey !== undefined) parts.ctlogs = [{ url: 'imported', pem: keyless.ctlog.pubkey }];
  if (keyless.ctlog?.ignoreSCT === true) {
    body.insecureIgnoreSCT = true;
    scope.translated('ctlog.ignoreSCT', '→ keyless.insecureIgnoreSCT');
  }
  if (parts.tlogs !== undefined || parts.ctlogs !== undefined) {
    const root = context.trustRoot(parts);
    if (root !== undefined) {
      body.trustRootRef = root;
      scope.translated('', `custom log keys → TrustRoot ${root}, named by keyless.trustRootRef`);
    }
  }
  if (keyless.ctlog?.tsaCertChain !== undefined)
    timestamp(keyless.ctlog.tsaCertChain, scope, context, common);
  if (keyless.additionalExtensions !== undefined)
    scope.dropped(
      'additionalExtensions',
      'a ClusterImagePolicy identity matches subject and issuer only: vouch does not check these certificate extensions',
    );
  return { name, keyless: body, ...common };
}

/** Kyverno compares `subject` and `issuer` with wildcards, and accepts a subject matching either form. */
function keylessIdentities(
  keyless: { subject?: string; subjectRegExp?: string; issuer?: string; issuerRegExp?: string },
  scope: Scope,
): Record<string, string>[] {
  let issuer: Record<string, string>;
  if (keyless.issuer !== undefined && keyless.issuerRegExp !== undefined) {
    scope.changed(
      'issuerRegExp',
      'Kyverno requires both issuer and issuerRegExp to match; vouch checks issuer only',
    );
  }
  if (keyless.issuer !== undefined) {
    issuer = hasWildcard(keyless.issuer)
      ? { issuerRegExp: wildcardToRegex(keyless.issuer) }
      : { issuer: keyless.issuer };
    scope.translated(
      'issuer',
      hasWildcard(keyless.issuer) ? 'wildcards → issuerRegExp' : '→ identity issuer',
    );
  } else if (keyless.issuerRegExp !== undefined) {
    issuer = { issuerRegExp: keyless.issuerRegExp };
    scope.translated('issuerRegExp', '→ identity issuerRegExp (RE2 in both)');
  } else {
    issuer = { issuerRegExp: ANY };
    scope.translated('', 'no issuer: any issuer (issuerRegExp ".*"), as in Kyverno');
  }
  const subjects: Record<string, string>[] = [];
  if (keyless.subject !== undefined) {
    subjects.push(
      hasWildcard(keyless.subject)
        ? { subjectRegExp: wildcardToRegex(keyless.subject) }
        : { subject: keyless.subject },
    );
    scope.translated(
      'subject',
      hasWildcard(keyless.subject) ? 'wildcards → subjectRegExp' : '→ identity subject',
    );
  }
  if (keyless.subjectRegExp !== undefined) {
    subjects.push({ subjectRegExp: keyless.subjectRegExp });
    scope.translated('subjectRegExp', '→ identity subjectRegExp (RE2 in both)');
  }
  if (subjects.length === 0) {
    subjects.push({ subjectRegExp: ANY });
    scope.translated('', 'no subject: any subject (subjectRegExp ".*"), as in Kyverno');
  }
  return subjects.map((subject) => ({ ...issuer, ...subject }));
}

function certificateAuthority(
  entry: Attestor,
  scope: Scope,
  context: AttestorContext,
  common: Record<string, unknown>,
): AuthorityBody {
  const certs = entry.certificates!;
  const name = context.nextName('certificate');
  if (certs.cert !== undefined) {
    const text = context.resolve(certs.cert, scope, 'cert');
    const key = text === undefined ? undefined : certificateKey(text);
    if (key === undefined || !key.ok) {
      if (key !== undefined) scope.dropped('cert', `${key.problem}: this entry never verifies (static fail)`);
      return failing(name, 'certificate not imported');
    }
    scope.translated('cert', "→ the certificate's public key as key.data");
    if (certs.certChain !== undefined)
      scope.changed(
        'certChain',
        "vouch verifies with the certificate's key and does not check the certificate against this chain",
      );
    const ctlog = keyTlog(certs, scope, context);
    certificateOnlyOptions(certs.ctlog, scope, context, common);
    return { name, key: { data: key.value }, ...(ctlog !== undefined && { ctlog }), ...common };
  }
  // Only a chain: cosign treats it as the roots of keyless certificates, whoever they name.
  const text = context.resolve(certs.certChain ?? '', scope, 'certChain');
  const chain = text === undefined ? undefined : certificates(text);
  if (chain === undefined || !chain.ok) {
    if (chain !== undefined)
      scope.dropped('certChain', `${chain.problem}: this entry never verifies (static fail)`);
    return failing(name, 'certificate chain not imported');
  }
  scope.translated(
    'certChain',
    '→ keyless.ca-cert, any identity (as cosign reads a chain without a certificate)',
  );
  return {
    name,
    keyless: { 'ca-cert': { data: chain.value }, identities: [{ issuerRegExp: ANY, subjectRegExp: ANY }] },
    ...common,
  };
}

/** A Notary certificates entry: a Notation authority trusting these certificates, as Kyverno does. */
function notaryAuthority(entry: Attestor, scope: Scope, context: AttestorContext): AuthorityBody {
  const name = context.nextName('notary');
  const certs = entry.certificates;
  if (certs === undefined) return failing(name, 'not a certificates entry'); // refused by validate.ts
  const texts = [certs.cert, certs.certChain]
    .map((value, index) =>
      value === undefined
        ? undefined
        : context.resolve(value, scope.at('certificates'), index === 0 ? 'cert' : 'certChain'),
    )
    .filter((value): value is string => value !== undefined);
  const parsed = certificates(texts.join('\n'));
  if (texts.length === 0 || !parsed.ok) {
    if (texts.length > 0 && !parsed.ok)
      scope.dropped('certificates', `${parsed.problem}: this entry never verifies (static fail)`);
    return failing(name, 'Notary certificates not imported');
  }
  if (certs.rekor !== undefined || certs.ctlog !== undefined)
    scope.translated('certificates', 'rekor and ctlog: Kyverno does not read them for Notary signatures');
  scope.translated(
    'certificates',
    '→ Notation authority: trust store ca:kyverno with these certificates, trusted identities "*", level strict (Kyverno\'s trust policy)',
  );
  return {
    name,
    notation: {
      trustStores: [{ type: 'ca', name: 'kyverno', data: parsed.value }],
      trustedIdentities: ['*'],
      signatureVerification: { level: 'strict' },
    },
  };
}
