import * as x509 from '@peculiar/x509';
import {
  type CertificateInput,
  isFailure,
  isSelfSigned,
  named,
  type ParsedCertificate,
  parseCertificate,
  parseCertificates,
  sameBytes,
} from './certificates.js';
import { failure, type PkiFailure } from './result.js';

export type TrustStoreType = 'ca' | 'signingAuthority' | 'tsa';
export type SigningScheme = 'notary.x509' | 'notary.x509.signingAuthority';

/** One named trust store of a trust policy statement (`ca:acme-root` is type `ca`, name `acme-root`). */
export interface TrustStore {
  type: TrustStoreType;
  name: string;
  certificates: readonly CertificateInput[];
}

export interface TrustAnchor {
  ok: true;
  /** `ca:acme-root`: the store whose certificate the chain reached. */
  store: string;
  certificate: x509.X509Certificate;
  /** Where in the chain (0 = the signing certificate) the trusted certificate sits. */
  chainIndex: number;
}

/**
 * The store type a signing scheme is verified against (signing-scheme specification): `notary.x509`
 * against `ca` stores, `notary.x509.signingAuthority` against `signingAuthority` stores — never the
 * other, so that a CA-issued signer cannot pose as a signing authority.
 */
export function trustStoreTypeFor(scheme: SigningScheme): 'ca' | 'signingAuthority' {
  return scheme === 'notary.x509.signingAuthority' ? 'signingAuthority' : 'ca';
}

/**
 * Which trusted certificate the (already validated) chain reaches, as `notation verify` decides it:
 * the first certificate of the chain, from the signing certificate up, that is byte-for-byte a
 * certificate of one of the policy's stores of the scheme's type. A store may hold a root or, as a
 * form of pinning, an intermediate or the signing certificate itself.
 */
export function findTrustAnchor(
  chain: readonly CertificateInput[],
  stores: readonly TrustStore[],
  scheme: SigningScheme,
): TrustAnchor | PkiFailure {
  const type = trustStoreTypeFor(scheme);
  const candidates = stores.filter((store) => store.type === type);
  if (candidates.length === 0)
    return failure(
      'NO_TRUST_STORE',
      `a ${scheme} signature is verified against ${type} trust stores, and the trust policy names none`,
    );
  const parsed = parseCertificates(chain);
  if (isFailure(parsed)) return parsed;
  const trusted: { store: TrustStore; certificate: ParsedCertificate }[] = [];
  for (const store of candidates) {
    const certificates = parseCertificates(store.certificates);
    if (isFailure(certificates))
      return failure(
        'TRUST_STORE_CERTIFICATE',
        `trust store ${store.type}:${store.name}: ${certificates.reason}`,
      );
    for (const certificate of certificates) trusted.push({ store, certificate });
  }
  for (const [chainIndex, certificate] of parsed.entries()) {
    const match = trusted.find((entry) => sameBytes(entry.certificate.der, certificate.der));
    if (match)
      return {
        ok: true,
        store: `${match.store.type}:${match.store.name}`,
        certificate: match.certificate.certificate,
        chainIndex,
      };
  }
  const names = candidates.map((store) => `${store.type}:${store.name}`).join(', ');
  const root = parsed[parsed.length - 1] as ParsedCertificate;
  return failure(
    'UNTRUSTED',
    `the certificate chain (root ${named(root)}) does not reach any certificate in trust store${candidates.length > 1 ? 's' : ''} ${names}`,
  );
}

/**
 * Why a certificate cannot sit in a trust store of this type, as `notation` checks stores when it
 * loads them: `ca` and `signingAuthority` certificates must be CAs or self-signed; `tsa`
 * certificates must be self-signed CA certificates (a TSA chain is anchored at its root).
 */
export function trustStoreCertificateProblem(
  certificate: CertificateInput,
  type: TrustStoreType,
): string | undefined {
  const parsed = parseCertificate(certificate);
  if (isFailure(parsed)) return parsed.reason;
  const selfSigned = isSelfSigned(parsed);
  let isCa = false;
  try {
    const extension = parsed.certificate.extensions.find((candidate) => candidate.type === '2.5.29.19');
    isCa = extension !== undefined && new x509.BasicConstraintsExtension(extension.rawData).ca;
  } catch {
    return `certificate ${named(parsed)} has malformed basic constraints`;
  }
  if (type === 'tsa') {
    if (!selfSigned) return `certificate ${named(parsed)} is not a self-signed root certificate`;
    return isCa ? undefined : `certificate ${named(parsed)} is self-signed but not a CA certificate`;
  }
  return selfSigned || isCa
    ? undefined
    : `certificate ${named(parsed)} is neither a CA certificate nor self-signed`;
}
