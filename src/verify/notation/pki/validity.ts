import {
  type CertificateInput,
  isFailure,
  named,
  type ParsedCertificate,
  parseCertificates,
} from './certificates.js';
import { failure, type PkiFailure, type PkiFailureCode } from './result.js';

/** Why one certificate was not valid at `at`, or undefined when it was (bounds inclusive, as RFC 5280). */
export function validityAt(
  certificate: ParsedCertificate,
  at: Date,
  role = 'certificate',
): PkiFailure | undefined {
  const { notBefore, notAfter } = certificate.certificate;
  if (at.getTime() < notBefore.getTime())
    return failure(
      'NOT_YET_VALID',
      `${role} ${named(certificate)} is not valid until ${iso(notBefore)} (judged at ${iso(at)})`,
    );
  if (at.getTime() > notAfter.getTime())
    return failure(
      'EXPIRED',
      `${role} ${named(certificate)} expired at ${iso(notAfter)} (judged at ${iso(at)})`,
    );
  return undefined;
}

/**
 * Every certificate of the chain valid at `at`: the check the Notary Project makes at verification
 * time when no timestamp is verified, and at the authentic signing time of a signing-authority
 * signature (then with `code: 'SIGNING_TIME'`).
 */
export function checkChainValidityAt(
  chain: readonly CertificateInput[],
  at: Date,
  code?: PkiFailureCode,
): { ok: true } | PkiFailure {
  const parsed = parseCertificates(chain);
  if (isFailure(parsed)) return parsed;
  for (const certificate of parsed) {
    const problem = validityAt(certificate, at);
    if (problem) return code ? failure(code, problem.reason) : problem;
  }
  return { ok: true };
}

/**
 * Whether any certificate of the chain has expired at `at`: what `verifyTimestamp: afterCertExpiry`
 * asks before it verifies a timestamp (trust store and trust policy specification).
 */
export function chainHasExpired(chain: readonly ParsedCertificate[], at: Date): boolean {
  return chain.some((certificate) => at.getTime() > certificate.certificate.notAfter.getTime());
}

/**
 * The whole time range [earliest, latest] inside every certificate's validity: a timestamp with its
 * accuracy proves the signature existed somewhere in that range, so all of it must be covered.
 */
export function rangeWithinValidity(
  chain: readonly ParsedCertificate[],
  earliest: Date,
  latest: Date,
): PkiFailure | undefined {
  for (const certificate of chain) {
    const { notBefore, notAfter } = certificate.certificate;
    if (earliest.getTime() < notBefore.getTime())
      return failure(
        'TIMESTAMP_OUTSIDE_VALIDITY',
        `the timestamp [${iso(earliest)}, ${iso(latest)}] may be before certificate ${named(certificate)} ` +
          `became valid at ${iso(notBefore)}`,
      );
    if (latest.getTime() > notAfter.getTime())
      return failure(
        'TIMESTAMP_OUTSIDE_VALIDITY',
        `the timestamp [${iso(earliest)}, ${iso(latest)}] may be after certificate ${named(certificate)} ` +
          `expired at ${iso(notAfter)}`,
      );
  }
  return undefined;
}

export function iso(date: Date): string {
  return Number.isNaN(date.getTime()) ? 'an invalid date' : date.toISOString().replace('.000Z', 'Z');
}
