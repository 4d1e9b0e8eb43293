import type { X509Certificate } from '@sigstore/core';
import type { TrustMaterial } from '@sigstore/verify';

type CertAuthority = TrustMaterial['certificateAuthorities'][number];

/**
 * Adds the intermediate certificates a signature carries (cosign's `dev.sigstore.cosign/chain`) as
 * path-building material, the way X.509 treats intermediates: untrusted, usable only when they are
 * themselves issued by a trusted CA certificate. Each accepted intermediate becomes a CA entry whose
 * chain ends in the trusted certificate that issued it, so trust still comes only from the trusted root.
 * Self-signed certificates and non-CA certificates in the annotation are ignored.
 */
export function withChainIntermediates(
  material: TrustMaterial,
  chain: readonly X509Certificate[],
): TrustMaterial {
  const trusted = material.certificateAuthorities.flatMap((ca) => ca.certChain);
  let candidates = chain.filter(
    (certificate) =>
      certificate.isCA && !isSelfSigned(certificate) && !trusted.some((known) => known.equals(certificate)),
  );
  const added: CertAuthority[] = [];
  let frontier: CertAuthority[] = material.certificateAuthorities;
  while (candidates.length > 0 && frontier.length > 0) {
    const next: CertAuthority[] = [];
    for (const candidate of candidates) {
      for (const ca of frontier) {
        if (ca.certChain.some((issuer) => issuedBy(candidate, issuer)))
          next.push({ certChain: [candidate, ...ca.certChain], validFor: ca.validFor });
      }
    }
    candidates = candidates.filter((candidate) => !next.some((ca) => ca.certChain[0] === candidate));
    added.push(...next);
    frontier = next;
  }
  if (added.length === 0) return material;
  return { ...material, certificateAuthorities: [...material.certificateAuthorities, ...added] };
}

function isSelfSigned(certificate: X509Certificate): boolean {
  return certificate.subject.equals(certificate.issuer);
}

function issuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  if (!certificate.issuer.equals(issuer.subject)) return false;
  try {
    return certificate.verify(issuer);
  } catch {
    return false;
  }
}
