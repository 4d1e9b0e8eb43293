/**
 * ImageValidatingPolicy attestors (`cosign`, `notary`) as ClusterImagePolicy authorities. An attestor
 * vouch cannot check (a KMS key, a value computed by CEL, a TUF root to fetch) becomes a `static: fail`
 * authority, so that validations naming it never pass, as they could not in vouch.
 */
import type { AuthorityBody } from '../cip.js';
import { kubernetesName } from '../names.js';
import type { Scope } from '../report.js';
import { certificateKey, certificates, publicKeys, type TrustParts } from '../trust.js';
import { PUBLIC_REKOR } from './attestors.js';
import type { CosignAttestor, IvpAttestor } from './ivp-schema.js';

export interface IvpTrust {
  trustRoot(parts: TrustParts): string | undefined;
  /** A TrustRoot holding a whole trusted_root.json given inline. */
  trustedRoot(json: string): string | undefined;
}

function failing(name: string, message: string): AuthorityBody {
  return { name, static: { action: 'fail', message } };
}

export function translateIvpAttestor(attestor: IvpAttestor, scope: Scope, trust: IvpTrust): AuthorityBody {
  const name = kubernetesName(attestor.name);
  if (attestor.notary !== undefined) return notary(attestor, name, scope.at('notary'));
  if (attestor.cosign !== undefined) return cosign(attestor.cosign, name, scope.at('cosign'), trust);
  scope.refuse('', 'an attestor needs cosign or notary');
  return failing(name, 'empty attestor');
}

function notary(attestor: IvpAttestor, name: string, scope: Scope): AuthorityBody {
  const notaryAttestor = attestor.notary!;
  for (const field of ['certs', 'tsaCerts'] as const)
    if (notaryAttestor[field]?.expression !== undefined) {
      scope.dropped(
        `${field}.expression`,
        'a value computed by CEL at admission is not imported: this attestor never verifies (static fail)',
      );
      return failing(name, `${field} computed by CEL: not imported`);
    }
  const certs = certificates(notaryAttestor.certs?.value ?? '');
  if (!certs.ok) {
    scope.dropped('certs', `${certs.problem}: this attestor never verifies (static fail)`);
    return failing(name, 'notary certificates not imported');
  }
  const stores: Record<string, unknown>[] = [{ type: 'ca', name: 'kyverno', data: certs.value }];
  if (notaryAttestor.tsaCerts?.value !== undefined) {
    const tsa = certificates(notaryAttestor.tsaCerts.value);
    if (!tsa.ok) {
      scope.dropped('tsaCerts', `${tsa.problem}: this attestor never verifies (static fail)`);
      return failing(name, 'TSA certificates not imported');
    }
    stores.push({ type: 'tsa', name: 'kyverno', data: tsa.value });
  }
  scope.translated(
    '',
    '→ Notation authority: trust stores ca:kyverno (and tsa:kyverno), trusted identities "*", level strict (Kyverno\'s trust policy)',
  );
  return {
    name,
    notation: { trustStores: stores, trustedIdentities: ['*'], signatureVerification: { level: 'strict' } },
  };
}

function cosign(att: CosignAttestor, name: string, scope: Scope, trust: IvpTrust): AuthorityBody {
  const common: Record<string, unknown> = {};
  if (att.source !== undefined) {
    const source: Record<string, unknown> = {};
    if (att.source.repository !== undefined) source.oci = att.source.repository;
    if (att.source.tagPrefix !== undefined) source.tagPrefix = att.source.tagPrefix;
    const secrets = (att.source.PullSecrets ?? []).flatMap((secret) =>
      secret.name !== undefined ? [{ name: secret.name }] : [],
    );
    if (secrets.length > 0) source.signaturePullSecrets = secrets;
    common.source = [source];
    scope.translated('source', '→ source (repository, tag prefix, pull secrets)');
  }
  if (att.annotations !== undefined)
    scope.dropped(
      'annotations',
      'a ClusterImagePolicy cannot require signature annotations: vouch accepts a signature whatever annotations it carries',
    );
  if (att.tuf !== undefined) {
    scope.dropped(
      'tuf',
      'vouch fetches no TUF repository: give the trusted root as trustedRoot.value (this attestor never verifies: static fail)',
    );
    return failing(name, 'TUF trust root not imported');
  }
  const ctlog = att.ctlog;
  const ignoreTlog = ctlog?.insecureIgnoreTlog === true;
  const parts: TrustParts = {};
  if (ctlog?.rekorPubKey !== undefined)
    parts.tlogs = [{ url: ctlog.url ?? PUBLIC_REKOR, pem: ctlog.rekorPubKey }];
  if (ctlog?.ctLogPubKey !== undefined) parts.ctlogs = [{ url: 'imported', pem: ctlog.ctLogPubKey }];
  if (ctlog?.tsaCertChain !== undefined) {
    parts.timestampAuthorities = [ctlog.tsaCertChain];
    scope.translated('ctlog.tsaCertChain', 'signed timestamps from this TSA are required → rfc3161timestamp');
  }
  let trustRoot: string | undefined;
  if (att.trustedRoot !== undefined) {
    if (att.trustedRoot.value === undefined) {
      scope.dropped(
        'trustedRoot.expression',
        'a value computed by CEL is not imported: this attestor never verifies (static fail)',
      );
      return failing(name, 'trusted root computed by CEL: not imported');
    }
    trustRoot = trust.trustedRoot(att.trustedRoot.value);
    if (trustRoot !== undefined) scope.translated('trustedRoot', `→ TrustRoot ${trustRoot}`);
  } else if (Object.keys(parts).length > 0) {
    trustRoot = trust.trustRoot(parts);
    if (trustRoot !== undefined)
      scope.translated('ctlog', `custom log and TSA keys → TrustRoot ${trustRoot}`);
  }
  if (parts.timestampAuthorities !== undefined && trustRoot !== undefined)
    common.rfc3161timestamp = { trustRootRef: trustRoot };

  if (att.keyless !== undefined) {
    const keyless: Record<string, unknown> = {
      identities: att.keyless.identities.map((identity, i) => {
        if (identity.subjectExpression !== undefined)
          scope.dropped(
            `keyless.identities[${i}].subjectExpression`,
            'a subject computed by CEL is not imported',
          );
        return {
          ...(identity.issuer !== undefined && { issuer: identity.issuer }),
          ...(identity.issuerRegExp !== undefined && { issuerRegExp: identity.issuerRegExp }),
          ...(identity.subject !== undefined && { subject: identity.subject }),
          ...(identity.subjectRegExp !== undefined && { subjectRegExp: identity.subjectRegExp }),
          ...(identity.issuer === undefined && identity.issuerRegExp === undefined && { issuerRegExp: '.*' }),
          ...(identity.subject === undefined &&
            identity.subjectRegExp === undefined && { subjectRegExp: '.*' }),
        };
      }),
    };
    scope.translated('keyless.identities', '→ keyless identities (exact or RE2, as cosign compares them)');
    if (att.keyless.roots !== undefined) {
      const roots = certificates(att.keyless.roots);
      if (!roots.ok) {
        scope.dropped('keyless.roots', `${roots.problem}: this attestor never verifies (static fail)`);
        return failing(name, 'keyless roots not imported');
      }
      keyless['ca-cert'] = { data: roots.value };
      scope.translated('keyless.roots', '→ keyless.ca-cert');
    }
    if (att.keyless.additionalExtensions !== undefined)
      scope.dropped('keyless.additionalExtensions', 'vouch does not check these certificate extensions');
    if (trustRoot !== undefined) keyless.trustRootRef = trustRoot;
    if (ctlog?.insecureIgnoreSCT === true) {
      keyless.insecureIgnoreSCT = true;
      scope.translated('ctlog.insecureIgnoreSCT', '→ keyless.insecureIgnoreSCT');
    }
    if (ctlog?.url !== undefined)
      scope.translated(
        'ctlog.url',
        `${ctlog.url}: entries checked offline with ${trustRoot !== undefined ? 'the TrustRoot' : 'the public-good'} log keys`,
      );
    if (ignoreTlog)
      scope.changed(
        'ctlog.insecureIgnoreTlog',
        'vouch requires a transparency log entry (or signed timestamp) for every keyless signature',
      );
    return { name, keyless, ...common };
  }
  let key: string | undefined;
  if (att.key !== undefined) {
    if (att.key.kms !== undefined || att.key.expression !== undefined) {
      scope.dropped(
        att.key.kms !== undefined ? 'key.kms' : 'key.expression',
        'kms keys and keys computed by CEL are not imported: this attestor never verifies (static fail)',
      );
      return failing(name, 'key not imported');
    }
    const parsed = publicKeys(att.key.data ?? '');
    if (!parsed.ok) {
      scope.dropped('key.data', `${parsed.problem}: this attestor never verifies (static fail)`);
      return failing(name, 'key not imported');
    }
    key = parsed.value[0];
    scope.translated('key.data', '→ key.data');
  } else if (att.certificate?.cert?.value !== undefined) {
    const parsed = certificateKey(att.certificate.cert.value);
    if (!parsed.ok) {
      scope.dropped('certificate.cert', `${parsed.problem}: this attestor never verifies (static fail)`);
      return failing(name, 'certificate not imported');
    }
    key = parsed.value;
    scope.translated('certificate.cert', "→ the certificate's public key as key.data");
    if (att.certificate.certChain !== undefined)
      scope.changed(
        'certificate.certChain',
        "vouch verifies with the certificate's key and does not check it against this chain",
      );
  } else {
    scope.dropped(
      '',
      'no key, certificate or keyless identity vouch can read: this attestor never verifies (static fail)',
    );
    return failing(name, 'attestor not imported');
  }
  const hash = att.key?.hashAlgorithm;
  const ctlogField = ignoreTlog
    ? undefined
    : {
        url: ctlog?.url ?? PUBLIC_REKOR,
        ...(trustRoot !== undefined &&
          (parts.tlogs !== undefined || att.trustedRoot !== undefined) && { trustRootRef: trustRoot }),
      };
  if (ignoreTlog)
    scope.translated('ctlog.insecureIgnoreTlog', 'no transparency log: the key alone vouches (no ctlog)');
  else scope.translated('ctlog', 'a Rekor entry is required → ctlog');
  return {
    name,
    key: { data: key, ...(hash !== undefined && hash !== 'sha256' && { hashAlgorithm: hash }) },
    ...(ctlogField !== undefined && { ctlog: ctlogField }),
    ...common,
  };
}
