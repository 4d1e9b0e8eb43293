/** The revocation status of a certificate or a chain, as the Notary Project defines the outcome. */
export type RevocationStatus = 'ok' | 'revoked' | 'unknown';

/** `nonRevokable`: the certificate names no OCSP or CRL location (a root never does here). */
export type CertificateRevocationStatus = RevocationStatus | 'nonRevokable';

/** `ocspFallbackCrl`: OCSP could not say, so the CRL did. */
export type RevocationMethod = 'ocsp' | 'crl' | 'ocspFallbackCrl' | 'none';

/** What one OCSP responder or CRL location answered. */
export interface ServerAnswer {
  method: 'ocsp' | 'crl';
  url: string;
  status: RevocationStatus;
  /** Why the status is not ok, or what revoked the certificate. */
  reason?: string;
  /** Answered from the cache (a CRL or OCSP answer before its nextUpdate). */
  cached?: boolean;
}

export interface CertificateRevocation {
  /** `C=US, O=acme, CN=release` */
  subject: string;
  status: CertificateRevocationStatus;
  method: RevocationMethod;
  servers: ServerAnswer[];
}

export interface RevocationOutcome {
  /**
   * `ok` when every certificate is ok or non-revokable; `revoked` when any is revoked; else
   * `unknown` (as notation-go's revocationFinalResult decides it).
   */
  status: RevocationStatus;
  /** A sentence for people: which certificate and why, or that none is revoked. */
  reason: string;
  /** One per chain certificate, signing certificate first. */
  certificates: CertificateRevocation[];
}

/** One certificate's answer from its servers. */
export interface CertificateAnswer {
  status: RevocationStatus;
  servers: ServerAnswer[];
}
