/**
 * From a policy's authorities (plain data) to what the verify layer checks with: public keys parsed,
 * Rekor keys and trusted roots resolved, CEL conditions compiled. Done once per policy set. An
 * authority that cannot be built (a bad key, an unusable TrustRoot) is kept as `broken` with the
 * reason: it denies with that reason at every check, and other authorities of its policy still count.
 */
import { describeError, VouchError } from '../../errors.js';
import { parsePublicKey } from '../../signature/index.js';
import { encodePem } from '../../signature/keys/pem.js';
import { isRecord } from '../../util/is-record.js';
import {
  type KeyAuthority,
  type KeylessAuthority,
  keyAuthority,
  type SignatureAuthority,
} from '../../verify/authority.js';
import { type CompiledCondition, compileCondition } from '../../verify/cel.js';
import { isCelError } from '../../verify/errors.js';
import { compileKeylessPolicy, type KeylessPolicy } from '../../verify/keyless/policy.js';
import { parseCertificatesPem } from '../../verify/trust/pem.js';
import { withPrivatePki } from '../../verify/trust/private-pki.js';
import { ATTESTATION_CEL_VARIABLES } from '../cel-variables.js';
import { canonicalHash } from '../fingerprint.js';
import type {
  CompiledAuthority,
  KeyAuthority as KeyAuthoritySpec,
  KeylessAuthority as KeylessAuthoritySpec,
  SignatureSource,
} from '../model.js';
import { type TrustResolver, unusable } from './trust.js';

export interface PreparedAttestation {
  name: string;
  predicateType: string;
  condition?: CompiledCondition;
}

export type PreparedAuthority =
  | { kind: 'static'; name: string; action: 'pass' | 'fail'; message?: string }
  | {
      kind: 'verify';
      name: string;
      type: 'key' | 'keyless';
      authority: SignatureAuthority;
      /** Non-empty: only attestations are checked (policy-controller's attestation path). */
      attestations: PreparedAttestation[];
      source?: SignatureSource;
      /** Said in the verdict when no transparency log is required (a key authority without `ctlog`). */
      tlogChoice?: string;
      usesEmbeddedRoot: boolean;
      /**
       * What the check depends on (the authority without its name): authorities with the same identity
       * (the same key and source in several policies) are checked once per evaluation.
       */
      identity: string;
    }
  | { kind: 'broken'; name: string; type: 'key' | 'keyless'; problem: string; usesEmbeddedRoot: boolean };

/** What a key authority without `ctlog` means, said in its outcome rather than skipped silently. */
export const KEY_WITHOUT_TLOG =
  'no transparency log was checked: the key alone vouches (the policy has no ctlog; add ctlog to require a Rekor entry)';

export function prepareAuthority(authority: CompiledAuthority, trust: TrustResolver): PreparedAuthority {
  if (authority.type === 'static')
    return {
      kind: 'static',
      name: authority.name,
      action: authority.action,
      ...(authority.message !== undefined && { message: authority.message }),
    };
  const usesEmbeddedRoot =
    authority.type === 'keyless'
      ? authority.trustRootRef === undefined
      : authority.tlog !== undefined && authority.tlog.trustRootRef === undefined;
  try {
    const attestations = authority.attestations.map(
      (attestation): PreparedAttestation => ({
        name: attestation.name,
        predicateType: attestation.predicateType,
        ...(attestation.policy && { condition: attestationCondition(attestation.policy.expression) }),
      }),
    );
    const built = authority.type === 'key' ? buildKey(authority, trust) : buildKeyless(authority, trust);
    return {
      kind: 'verify',
      name: authority.name,
      type: authority.type,
      authority: built,
      attestations,
      ...(authority.source !== undefined && { source: authority.source }),
      ...(authority.type === 'key' && authority.tlog === undefined && { tlogChoice: KEY_WITHOUT_TLOG }),
      usesEmbeddedRoot,
      identity: canonicalHash({ ...authority, name: '' }),
    };
  } catch (error) {
    if (!(error instanceof VouchError)) throw error;
    return {
      kind: 'broken',
      name: authority.name,
      type: authority.type,
      problem: describeError(error),
      usesEmbeddedRoot,
    };
  }
}

/** The hash each key type can be verified with (see the signature layer's `verifyWith`). */
const SUPPORTED_HASHES: Readonly<Record<string, readonly string[]>> = {
  'ecdsa-p256': ['sha256'],
  'ecdsa-p384': ['sha256', 'sha384'],
  'ecdsa-p521': ['sha256', 'sha512'],
  rsa: ['sha256'],
  ed25519: ['sha256', 'sha512'],
};

function buildKey(spec: KeyAuthoritySpec, trust: TrustResolver): KeyAuthority {
  const key = parsePublicKey(spec.key.pem, `the public key of authority ${spec.name}`);
  if (!(SUPPORTED_HASHES[key.algorithm] ?? []).includes(spec.hashAlgorithm))
    throw unusable(
      `hashAlgorithm ${spec.hashAlgorithm} is not supported for a ${key.algorithm} key (vouch verifies with ${(SUPPORTED_HASHES[key.algorithm] ?? []).join(' or ')})`,
    );
  if (spec.timestamp !== undefined)
    throw unusable(
      'rfc3161timestamp is not supported for key authorities: vouch checks signed timestamps only for keyless signatures',
    );
  return keyAuthority({
    name: spec.name,
    keys: [key],
    ...(spec.tlog !== undefined && { rekorKeys: trust.rekorKeys(spec.tlog.trustRootRef) }),
    ...(spec.annotations !== undefined && { annotations: spec.annotations }),
    ...(spec.signatureFormat !== undefined && { signatureFormat: spec.signatureFormat }),
  });
}

function buildKeyless(spec: KeylessAuthoritySpec, trust: TrustResolver): KeylessAuthority {
  let root = spec.trustRootRef !== undefined ? trust.trustedRoot(spec.trustRootRef) : trust.embedded();
  if (spec.caCert !== undefined) root = withPrivatePki(root, splitCaCertificates(spec.caCert.pem, spec.name));
  // Legacy signatures may take their Rekor and TSA keys from other TrustRoots than the CA's.
  if (spec.tlog?.trustRootRef !== undefined && spec.tlog.trustRootRef !== spec.trustRootRef)
    root = { ...root, tlogs: trust.trustedRoot(spec.tlog.trustRootRef).tlogs };
  if (spec.timestamp?.trustRootRef !== undefined && spec.timestamp.trustRootRef !== spec.trustRootRef)
    root = {
      ...root,
      timestampAuthorities: trust.trustedRoot(spec.timestamp.trustRootRef).timestampAuthorities,
    };
  const policy: KeylessPolicy = {
    identities: spec.identities.map((identity) => ({ ...identity })),
    ...(spec.github !== undefined && { github: spec.github }),
    ...(spec.insecureIgnoreSCT && { insecureIgnoreSct: true }),
    // As in policy-controller, a signed timestamp stands in for the transparency log unless ctlog asks for both.
    ...((spec.insecureIgnoreTlog === true || (spec.timestamp !== undefined && spec.tlog === undefined)) && {
      insecureIgnoreTlog: true,
    }),
    ...(spec.timestamp !== undefined && { useSignedTimestamps: true }),
  };
  compileKeylessPolicy(policy);
  return {
    type: 'keyless',
    name: spec.name,
    policy,
    trustedRoot: root,
    ...(spec.annotations !== undefined && { annotations: spec.annotations }),
    ...(spec.signatureFormat !== undefined && { signatureFormat: spec.signatureFormat }),
  };
}

/**
 * `keyless.ca-cert`: self-signed certificates are roots (trust anchors), the others intermediates —
 * the rule policy-controller applies to TrustRoot chains. (policy-controller inlines ca-cert but never
 * reads it when verifying; vouch does.)
 */
function splitCaCertificates(pem: string, authority: string): { roots: string; intermediates?: string } {
  const certificates = parseCertificatesPem(pem, `keyless.ca-cert of authority ${authority}`);
  const selfSigned = (entry: (typeof certificates)[number]) =>
    entry.certificate.subject.equals(entry.certificate.issuer) && entry.certificate.verify();
  const roots = certificates.filter(selfSigned);
  const intermediates = certificates.filter((entry) => !selfSigned(entry));
  if (roots.length === 0)
    throw unusable(
      `keyless.ca-cert of authority ${authority} holds no self-signed root certificate to anchor a chain`,
    );
  const text = (entries: typeof certificates) =>
    entries.map((entry) => encodePem('CERTIFICATE', entry.der)).join('');
  return { roots: text(roots), ...(intermediates.length > 0 && { intermediates: text(intermediates) }) };
}

/**
 * An attestation policy's condition as the verify layer calls it (with `statement` bound), giving the
 * expression the statement's top-level fields as variables too.
 */
export function attestationCondition(expression: string): CompiledCondition {
  let inner: CompiledCondition;
  try {
    inner = compileCondition(expression, ATTESTATION_CEL_VARIABLES);
  } catch (error) {
    if (isCelError(error)) throw unusable(error.message, error);
    throw error;
  }
  return {
    source: expression,
    evaluate(bindings) {
      const statement = bindings.statement;
      const fields: Record<string, unknown> = { statement };
      if (isRecord(statement))
        for (const name of ['predicateType', 'predicate', 'subject'])
          if (statement[name] !== undefined) fields[name] = statement[name];
      return inner.evaluate(fields);
    },
  };
}
