/**
 * What a Connaisseur validator checks for one policy rule, as ClusterImagePolicy authorities.
 *
 * - `static`: approve → static pass, deny → static fail.
 * - `cosign`: one authority per trust root the rule selects (`with.trustRoot`: a name, `default` when
 *   unset, or `*`); `threshold` and `required` become a CEL condition over the roots that verified.
 *   Transparency-log verification is on by default (`with.verifyInTransparencyLog`), as are SCTs.
 * - `notation`: one Notation authority whose trust stores are the selected roots' certificates
 *   (`ca:<root>`, and `tsa:<root>` with `tsCert`), trusted identities `*`, as Connaisseur builds it.
 * - `notaryv1`: not translatable (Docker Content Trust; Docker retired its Notary service).
 */
import type { AuthorityBody } from '../cip.js';
import { kubernetesName } from '../names.js';
import type { Scope } from '../report.js';
import { certificates, publicKeys, type TrustParts } from '../trust.js';
import type { CosignValidator, NotationValidator, Rule, TrustRoot, Validator } from './schema.js';

const PUBLIC_REKOR = 'https://rekor.sigstore.dev';
const K8S_SECRET = /^k8s:\/\/([^/]+)\/([^/]+)$/;

export interface RuleChecks {
  authorities: AuthorityBody[];
  condition?: string;
}

export interface ValidatorContext {
  trustRoot(parts: TrustParts): string | undefined;
}

function fail(message: string): RuleChecks {
  return { authorities: [{ name: 'deny', static: { action: 'fail', message } }] };
}

/** The trust roots a rule selects (Connaisseur's auth.GetTrustRoots): undefined when one is missing. */
function selectRoots(names: readonly string[], roots: readonly TrustRoot[]): TrustRoot[] | string {
  if (names.length === 1 && names[0] === '*') return [...roots];
  const out: TrustRoot[] = [];
  for (const name of names) {
    const root = roots.find((candidate) => candidate.name === name);
    if (root === undefined) return `unable to find trust root ${name}`;
    out.push(root);
  }
  return out.length > 0 ? out : 'no trust roots';
}

export function validatorChecks(
  validator: Validator | undefined,
  name: string,
  rule: Rule,
  scope: Scope,
  context: ValidatorContext,
): RuleChecks {
  if (validator === undefined) {
    scope.translated(
      'validator',
      `no validator named ${JSON.stringify(name)}: Connaisseur denies these images ("validator not found") → static fail`,
    );
    return fail(`validator ${name} not found`);
  }
  switch (validator.type) {
    case 'static':
      scope.translated(
        'validator',
        `static ${validator.approve ? 'approve → static pass' : 'deny → static fail'}`,
      );
      return validator.approve
        ? { authorities: [{ name: 'allow', static: { action: 'pass' } }] }
        : fail('static deny');
    case 'notaryv1':
      for (const field of ['trustRoot', 'delegations'] as const)
        if (rule.with?.[field] !== undefined)
          scope.ignored(`with.${field}`, 'not used: notaryv1 is not translated');
      scope.dropped(
        'validator',
        `${validator.name} is a notaryv1 (Docker Content Trust) validator: vouch does not verify Notary v1 signatures, and Docker has retired its Notary service; these images are denied (static fail) until the rule names a cosign or notation validator`,
      );
      return fail('notaryv1 validators are not supported');
    case 'cosign':
      return cosignChecks(validator, rule, scope, context);
    case 'notation':
      return notationChecks(validator, rule, scope);
  }
}

function cosignChecks(
  validator: CosignValidator,
  rule: Rule,
  scope: Scope,
  context: ValidatorContext,
): RuleChecks {
  const options = rule.with ?? {};
  const required = options.required ?? [];
  const threshold = options.threshold ?? 0;
  const star = options.trustRoot === '*';
  const names = star
    ? threshold > required.length || required.length === 0
      ? ['*']
      : required
    : [options.trustRoot ?? 'default'];
  const roots = selectRoots(names, validator.trustRoots);
  if (typeof roots === 'string') {
    scope.translated('with.trustRoot', `${roots}: Connaisseur denies these images → static fail`);
    return fail(roots);
  }
  if (options.trustRoot !== undefined)
    scope.translated(
      'with.trustRoot',
      options.trustRoot === '*'
        ? '"*": every trust root of the validator'
        : `trust root ${options.trustRoot}`,
    );
  const tlog = options.verifyInTransparencyLog ?? true;
  const sct = options.verifySCT ?? true;
  const host = validator.host ?? {};
  const rekorUrl =
    host.rekor === undefined
      ? PUBLIC_REKOR
      : /^https?:\/\//.test(host.rekor)
        ? host.rekor
        : `https://${host.rekor}`;
  const parts: TrustParts = {};
  if (host.rekorPubkey !== undefined) parts.tlogs = [{ url: rekorUrl, pem: host.rekorPubkey }];
  if (host.ctLogPubkey !== undefined) parts.ctlogs = [{ url: 'imported', pem: host.ctLogPubkey }];
  const trustRoot = Object.keys(parts).length > 0 ? context.trustRoot(parts) : undefined;
  if (trustRoot !== undefined)
    scope.translated('', `validator ${validator.name}: host log keys → TrustRoot ${trustRoot}`);
  if (validator.cert !== undefined)
    scope.changed(
      '',
      `validator ${validator.name}: cert (the registry's TLS certificate) → give it to vouch with --ca-file`,
    );
  if (validator.auth !== undefined)
    scope.changed(
      '',
      `validator ${validator.name}: auth → vouch reads registries with its own credentials (--registry-config); give it the same`,
    );
  let fulcio: string | undefined;
  if (host.fulcioCert !== undefined) {
    const parsed = certificates(host.fulcioCert);
    if (parsed.ok) fulcio = parsed.value;
    else scope.dropped('', `validator ${validator.name}: host.fulcioCert ${parsed.problem}`);
  }

  const authorities: AuthorityBody[] = [];
  const taken = new Set<string>();
  for (const root of roots) {
    let name = kubernetesName(root.name);
    while (taken.has(name)) name = `${name}-x`;
    taken.add(name);
    authorities.push(
      cosignAuthority(root, name, { tlog, sct, rekorUrl, trustRoot, fulcio }, scope, validator.name),
    );
  }
  if (options.verifyInTransparencyLog !== undefined)
    scope.translated(
      'with.verifyInTransparencyLog',
      tlog ? 'true → ctlog on key authorities' : 'false → no ctlog: the key alone vouches',
    );
  if (options.verifySCT === false) scope.translated('with.verifySCT', 'false → keyless.insecureIgnoreSCT');

  // Connaisseur's threshold: all selected roots when "*" has neither threshold nor required.
  let needed = 0;
  if (star && required.length === 0 && threshold <= 0) needed = roots.length;
  else if (star && threshold > 0) needed = threshold;
  const terms: string[] = [];
  if (needed > 1) terms.push(`size(authorityMatches) >= ${needed}`);
  for (const name of required) terms.push(`('${kubernetesName(name)}' in authorityMatches)`);
  if (needed > 1)
    scope.changed(
      'with',
      `${needed > 1 ? `at least ${needed} of` : 'any of'} ${roots.map((root) => root.name).join(', ')}${required.length ? `, including ${required.join(', ')}` : ''}, as Connaisseur documents it; vouch counts trust roots whose signature verified, where Connaisseur's code counts valid signatures (two under one root count twice there)`,
    );
  else if (required.length > 0)
    scope.translated('with.required', `${required.join(', ')} must verify → CEL condition`);
  else if (star && roots.length > 1)
    scope.translated(
      'with.trustRoot',
      `"*" with threshold ${needed}: any one of ${roots.map((root) => root.name).join(', ')}`,
    );
  if (options.threshold !== undefined && !star)
    scope.translated('with.threshold', 'read only with trustRoot "*" (as Connaisseur does)');
  return { authorities, ...(terms.length > 0 && { condition: terms.join(' && ') }) };
}

interface CosignOptions {
  tlog: boolean;
  sct: boolean;
  rekorUrl: string;
  trustRoot: string | undefined;
  fulcio: string | undefined;
}

function cosignAuthority(
  root: TrustRoot,
  name: string,
  options: CosignOptions,
  scope: Scope,
  validator: string,
): AuthorityBody {
  const where = `validator ${validator}, trust root ${root.name}`;
  const common = { signatureFormat: 'legacy' };
  if (root.key !== undefined) {
    const text = root.key.trim();
    const secret = K8S_SECRET.exec(text);
    let key: Record<string, unknown>;
    if (secret) {
      scope.changed(
        '',
        `${where}: Secret ${secret[1]}/${secret[2]} → key.secretRef ${secret[2]}: vouch reads it from its own namespace's Secrets and it must hold exactly one entry`,
      );
      key = { secretRef: { name: secret[2] } };
    } else if (!text.startsWith('-----BEGIN')) {
      scope.dropped(
        '',
        `${where}: KMS key ${text.split('://')[0]}:// is not supported by vouch; this root never verifies (static fail) until you give the exported public key`,
      );
      return { name, static: { action: 'fail', message: `KMS key of trust root ${root.name} not imported` } };
    } else {
      const parsed = publicKeys(text);
      if (!parsed.ok) {
        scope.dropped('', `${where}: ${parsed.problem}; this root never verifies (static fail)`);
        return { name, static: { action: 'fail', message: `key of trust root ${root.name} not imported` } };
      }
      key = { data: parsed.value[0] };
      scope.translated('', `${where}: key → key.data${options.tlog ? ', Rekor entry required → ctlog' : ''}`);
    }
    const ctlog = options.tlog
      ? { url: options.rekorUrl, ...(options.trustRoot !== undefined && { trustRootRef: options.trustRoot }) }
      : undefined;
    return { name, key, ...(ctlog !== undefined && { ctlog }), ...common };
  }
  if (root.keyless !== undefined) {
    const keyless = root.keyless;
    const identity = {
      ...(keyless.issuer !== undefined ? { issuer: keyless.issuer } : { issuerRegExp: keyless.issuerRegex }),
      ...(keyless.subject !== undefined
        ? { subject: keyless.subject }
        : { subjectRegExp: keyless.subjectRegex }),
    };
    if (!options.tlog)
      scope.changed(
        '',
        `${where}: vouch requires a transparency log entry for every keyless signature (verifyInTransparencyLog: false is not followed)`,
      );
    scope.translated(
      '',
      `${where}: keyless identity → keyless.identities (regular expressions are RE2 in both)`,
    );
    return {
      name,
      keyless: {
        identities: [identity],
        ...(options.fulcio !== undefined && { 'ca-cert': { data: options.fulcio } }),
        ...(options.trustRoot !== undefined && { trustRootRef: options.trustRoot }),
        ...(!options.sct && { insecureIgnoreSCT: true }),
      },
      ...common,
    };
  }
  scope.dropped(
    '',
    `${where}: a cosign trust root needs a key or keyless identity; this root never verifies (static fail)`,
  );
  return { name, static: { action: 'fail', message: `trust root ${root.name} has no key` } };
}

function notationChecks(validator: NotationValidator, rule: Rule, scope: Scope): RuleChecks {
  const options = rule.with ?? {};
  if (options.trustRoot !== undefined)
    scope.translated(
      'with.trustRoot',
      options.trustRoot === '*'
        ? '"*": every trust root of the validator'
        : `trust root ${options.trustRoot}`,
    );
  for (const field of ['verificationLevel', 'verifyTimestamp'] as const)
    if (options[field] !== undefined)
      scope.translated(`with.${field}`, `${options[field]} → signatureVerification`);
  const roots = selectRoots([options.trustRoot ?? 'default'], validator.trustRoots);
  if (typeof roots === 'string') {
    scope.translated('with.trustRoot', `${roots}: Connaisseur denies these images → static fail`);
    return fail(roots);
  }
  const stores: Record<string, unknown>[] = [];
  for (const root of roots) {
    const cert = certificates(root.cert ?? '');
    if (!cert.ok) {
      scope.dropped(
        '',
        `validator ${validator.name}, trust root ${root.name}: ${cert.problem}; these images are denied (static fail)`,
      );
      return fail(`trust root ${root.name} not imported`);
    }
    stores.push({ type: 'ca', name: root.name, data: cert.value });
    if (root.tsCert !== undefined) {
      const tsa = certificates(root.tsCert);
      if (!tsa.ok) {
        scope.dropped(
          '',
          `validator ${validator.name}, trust root ${root.name}: tsCert ${tsa.problem}; these images are denied (static fail)`,
        );
        return fail(`trust root ${root.name} not imported`);
      }
      stores.push({ type: 'tsa', name: root.name, data: tsa.value });
    }
  }
  const level = options.verificationLevel ?? 'strict';
  const verifyTimestamp = options.verifyTimestamp ?? 'always';
  if (validator.cert !== undefined)
    scope.changed(
      '',
      `validator ${validator.name}: cert (the registry's TLS certificate) → give it to vouch with --ca-file`,
    );
  if (validator.auth !== undefined)
    scope.changed(
      '',
      `validator ${validator.name}: auth → vouch reads registries with its own credentials (--registry-config)`,
    );
  for (const field of ['threshold', 'required', 'verifyInTransparencyLog', 'verifySCT'] as const)
    if (options[field] !== undefined) scope.ignored(`with.${field}`, 'not read by notation validators');
  scope.translated(
    '',
    `validator ${validator.name} → Notation authority: trust stores ${stores.map((store) => `${store.type}:${store.name}`).join(', ')}, trusted identities "*", level ${level}, verifyTimestamp ${verifyTimestamp} (Connaisseur's trust policy)`,
  );
  return {
    authorities: [
      {
        name: kubernetesName(validator.name),
        notation: {
          trustStores: stores,
          trustedIdentities: ['*'],
          signatureVerification: { level, verifyTimestamp },
        },
      },
    ],
  };
}
