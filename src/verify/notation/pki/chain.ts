import * as x509 from '@peculiar/x509';
import {
  type CertificateInput,
  certificateSignatureScheme,
  isFailure,
  isIssuedBy,
  isSelfSigned,
  type KeySpec,
  keySpecOf,
  named,
  type ParsedCertificate,
  parseCertificates,
} from './certificates.js';
import { failure, type PkiFailure } from './result.js';
import { validityAt } from './validity.js';

/** What a chain is for: the signature's chain (code signing) or a timestamp's TSA chain. */
export type ChainPurpose = 'codeSigning' | 'timestamping';

/** Chains longer than this are refused before any signature is checked (real ones have 2–4). */
export const MAX_CHAIN_LENGTH = 10;

export interface ChainOptions {
  purpose: ChainPurpose;
  /**
   * Check every certificate's validity at this time too. Left out, validity is not judged here: the
   * Notary Project judges it in the authentic-timestamp step (at verification time, at the timestamp,
   * or at the authentic signing time), which a level may only log.
   */
  at?: Date;
}

export interface ValidChain {
  ok: true;
  /** Leaf first, root last. */
  certificates: ParsedCertificate[];
  /** The leaf's key: its type, size and the signature algorithm the spec pairs with it. */
  keySpec: KeySpec;
}

export const EKU = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;
const EKU_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(EKU).map(([name, oid]) => [oid, name]),
);

/**
 * A code-signing leaf must not be usable for these (signature specification, "Leaf Certificates";
 * OCSPSigning as notation-core-go also refuses it).
 */
const FORBIDDEN_CODE_SIGNING_EKU: readonly string[] = [
  EKU.anyExtendedKeyUsage,
  EKU.serverAuth,
  EKU.clientAuth,
  EKU.emailProtection,
  EKU.timeStamping,
  EKU.ocspSigning,
];

const FORBIDDEN_LEAF_KEY_USAGES: readonly (keyof typeof x509.KeyUsageFlags)[] = [
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EXTENDED_KEY_USAGE = '2.5.29.37';

/**
 * Validates an ordered chain (leaf → root) against the Notary Project's certificate requirements for
 * its purpose (signature specification, "Certificate Requirements"): each certificate issued by the
 * next, a self-signed root and no other self-signed certificate, no SHA-1, basic constraints with
 * path lengths, key usage and extended key usage for leaf and CAs, the leaf's key type and size. A
 * lone self-signed certificate is judged as a leaf. Trust (which trust store the chain reaches) is
 * `findTrustAnchor`'s question, not this one's.
 */
export function validateCertificateChain(
  chain: readonly CertificateInput[],
  options: ChainOptions,
): ValidChain | PkiFailure {
  if (chain.length === 0) return failure('CHAIN_LENGTH', 'the certificate chain is empty');
  if (chain.length > MAX_CHAIN_LENGTH)
    return failure(
      'CHAIN_LENGTH',
      `the certificate chain has ${chain.length} certificates; vouch follows at most ${MAX_CHAIN_LENGTH}`,
    );
  const parsed = parseCertificates(chain);
  if (isFailure(parsed)) return parsed;
  return checkParsedChain(parsed, options);
}

/** `validateCertificateChain` for certificates already parsed (the timestamp verifier's TSA chain). */
export function checkParsedChain(chain: ParsedCertificate[], options: ChainOptions): ValidChain | PkiFailure {
  const last = chain.length - 1;
  for (const [index, certificate] of chain.entries()) {
    const role = roleOf(index, last, options.purpose);
    const problem =
      algorithmProblem(certificate, role) ??
      (options.at ? validityAt(certificate, options.at, role) : undefined) ??
      issuanceProblem(chain, index, role) ??
      duplicateExtensionProblem(certificate, role) ??
      (index === 0
        ? leafProblem(certificate, role, options.purpose)
        : caProblem(certificate, role, options.purpose, index - 1));
    if (problem) return problem;
  }
  const leaf = chain[0] as ParsedCertificate;
  const keySpec = keySpecOf(leaf);
  if (typeof keySpec === 'string')
    return failure('KEY_TYPE', `${roleOf(0, last, options.purpose)} ${named(leaf)} has ${keySpec}`);
  return { ok: true, certificates: chain, keySpec };
}

function roleOf(index: number, last: number, purpose: ChainPurpose): string {
  if (index === 0) return purpose === 'codeSigning' ? 'signing certificate' : 'TSA certificate';
  return index === last ? 'root certificate' : 'intermediate certificate';
}

function algorithmProblem(certificate: ParsedCertificate, role: string): PkiFailure | undefined {
  const scheme = certificateSignatureScheme(certificate);
  if (typeof scheme !== 'string') return undefined;
  return failure(
    'SIGNATURE_ALGORITHM',
    `${role} ${named(certificate)} is signed with ${scheme}, which the Notary Project does not accept`,
  );
}

function issuanceProblem(chain: ParsedCertificate[], index: number, role: string): PkiFailure | undefined {
  const certificate = chain[index] as ParsedCertificate;
  const last = chain.length - 1;
  if (index === last) {
    if (isSelfSigned(certificate)) return undefined;
    return failure(
      'CHAIN_ROOT',
      chain.length === 1
        ? `the only certificate in the chain, ${named(certificate)}, is not self-signed`
        : `the chain must end with a self-signed root, and ${named(certificate)} is not self-signed`,
    );
  }
  if (isSelfSigned(certificate))
    return failure(
      'CHAIN_ROOT',
      `${role} ${named(certificate)} is self-signed; only the last certificate of a chain may be`,
    );
  const issuer = chain[index + 1] as ParsedCertificate;
  if (isIssuedBy(certificate, issuer)) return undefined;
  return failure(
    'CHAIN_ORDER',
    `${role} ${named(certificate)} is not issued by ${named(issuer)}, the next certificate in the chain ` +
      '(the chain must be ordered from the signing certificate to the root, with nothing unrelated)',
  );
}

function duplicateExtensionProblem(certificate: ParsedCertificate, role: string): PkiFailure | undefined {
  const seen = new Set<string>();
  for (const extension of certificate.certificate.extensions) {
    if (seen.has(extension.type))
      return failure('MALFORMED', `${role} ${named(certificate)} carries extension ${extension.type} twice`);
    seen.add(extension.type);
  }
  return undefined;
}

interface Extensions {
  basicConstraints?: x509.BasicConstraintsExtension;
  keyUsage?: x509.KeyUsagesExtension;
  extendedKeyUsage?: x509.ExtendedKeyUsageExtension;
}

function extensionsOf(certificate: ParsedCertificate, role: string): Extensions | PkiFailure {
  try {
    const found: Extensions = {};
    for (const extension of certificate.certificate.extensions) {
      if (extension.type === OID_BASIC_CONSTRAINTS)
        found.basicConstraints = new x509.BasicConstraintsExtension(extension.rawData);
      else if (extension.type === OID_KEY_USAGE)
        found.keyUsage = new x509.KeyUsagesExtension(extension.rawData);
      else if (extension.type === OID_EXTENDED_KEY_USAGE)
        found.extendedKeyUsage = new x509.ExtendedKeyUsageExtension(extension.rawData);
    }
    return found;
  } catch (error) {
    return failure(
      'MALFORMED',
      `${role} ${named(certificate)} has a malformed basic constraints, key usage or extended key usage ` +
        `extension: ${(error as Error).message}`,
    );
  }
}

function leafProblem(
  certificate: ParsedCertificate,
  role: string,
  purpose: ChainPurpose,
): PkiFailure | undefined {
  const extensions = extensionsOf(certificate, role);
  if ('ok' in extensions) return extensions;
  const who = `${role} ${named(certificate)}`;
  if (extensions.basicConstraints?.ca)
    return failure('BASIC_CONSTRAINTS', `${who} is a CA (basic constraints cA: true); a leaf must not be`);
  const keyUsage = keyUsageProblem(extensions.keyUsage, who, purpose);
  if (keyUsage) return keyUsage;
  const usages = extensions.keyUsage?.usages ?? 0;
  if (!(usages & x509.KeyUsageFlags.digitalSignature))
    return failure('KEY_USAGE', `${who} lacks the digitalSignature key usage`);
  const forbidden = FORBIDDEN_LEAF_KEY_USAGES.filter((name) => usages & x509.KeyUsageFlags[name]);
  if (forbidden.length)
    return failure(
      'KEY_USAGE',
      `${who} has key usage ${forbidden.join(', ')}; a signing leaf may have only digitalSignature (and nonRepudiation)`,
    );
  return purpose === 'codeSigning'
    ? codeSigningEkuProblem(extensions.extendedKeyUsage, who)
    : timestampingEkuProblem(extensions.extendedKeyUsage, who);
}

function caProblem(
  certificate: ParsedCertificate,
  role: string,
  purpose: ChainPurpose,
  certificatesBelow: number,
): PkiFailure | undefined {
  const extensions = extensionsOf(certificate, role);
  if ('ok' in extensions) return extensions;
  const who = `${role} ${named(certificate)}`;
  const constraints = extensions.basicConstraints;
  if (!constraints?.ca)
    return failure(
      'BASIC_CONSTRAINTS',
      `${who} is not a CA: its basic constraints must be present with cA: true`,
    );
  if (!constraints.critical)
    return failure('BASIC_CONSTRAINTS', `${who} has basic constraints that are not marked critical`);
  if (constraints.pathLength !== undefined && constraints.pathLength < certificatesBelow)
    return failure(
      'BASIC_CONSTRAINTS',
      `${who} allows a path length of ${constraints.pathLength}, but ${certificatesBelow} intermediate ` +
        `certificate${certificatesBelow === 1 ? '' : 's'} follow it`,
    );
  const keyUsage = keyUsageProblem(extensions.keyUsage, who, purpose);
  if (keyUsage) return keyUsage;
  if (!((extensions.keyUsage?.usages ?? 0) & x509.KeyUsageFlags.keyCertSign))
    return failure('KEY_USAGE', `${who} lacks the keyCertSign key usage`);
  return undefined;
}

/** Key usage must be present; for code signing it must also be critical (for a TSA only "should"). */
function keyUsageProblem(
  keyUsage: x509.KeyUsagesExtension | undefined,
  who: string,
  purpose: ChainPurpose,
): PkiFailure | undefined {
  if (!keyUsage) return failure('KEY_USAGE', `${who} has no key usage extension`);
  if (purpose === 'codeSigning' && !keyUsage.critical)
    return failure('KEY_USAGE', `${who} has a key usage extension that is not marked critical`);
  return undefined;
}

function codeSigningEkuProblem(
  extendedKeyUsage: x509.ExtendedKeyUsageExtension | undefined,
  who: string,
): PkiFailure | undefined {
  if (!extendedKeyUsage) return undefined;
  const forbidden = extendedKeyUsage.usages
    .map(String)
    .filter((oid) => FORBIDDEN_CODE_SIGNING_EKU.includes(oid));
  if (!forbidden.length) return undefined;
  return failure(
    'EXTENDED_KEY_USAGE',
    `${who} has extended key usage ${forbidden.map(ekuName).join(', ')}, which a code-signing certificate must not have`,
  );
}

/** RFC 3161 2.3: exactly one EKU, timeStamping, in a critical extension. */
function timestampingEkuProblem(
  extendedKeyUsage: x509.ExtendedKeyUsageExtension | undefined,
  who: string,
): PkiFailure | undefined {
  if (!extendedKeyUsage)
    return failure('EXTENDED_KEY_USAGE', `${who} has no timeStamping extended key usage`);
  const usages = extendedKeyUsage.usages.map(String);
  if (usages.length !== 1 || usages[0] !== EKU.timeStamping)
    return failure(
      'EXTENDED_KEY_USAGE',
      `${who} has extended key usage ${usages.map(ekuName).join(', ') || '(none)'}; a TSA certificate must have timeStamping only`,
    );
  if (!extendedKeyUsage.critical)
    return failure(
      'EXTENDED_KEY_USAGE',
      `${who} has a timeStamping extended key usage that is not marked critical`,
    );
  return undefined;
}

function ekuName(oid: string): string {
  return EKU_NAMES[oid] ?? oid;
}
