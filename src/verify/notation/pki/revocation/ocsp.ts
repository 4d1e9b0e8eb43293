import { createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { signatureScheme, verifySignature } from '../algorithms.js';
import {
  ASN1_LIMITS,
  isFailure,
  isIssuedBy,
  type ParsedCertificate,
  parseCertificate,
  sameBytes,
} from '../certificates.js';
import { EKU } from '../chain.js';
import { iso, validityAt } from '../validity.js';

const ID_SHA1 = '1.3.14.3.2.26';
const ID_PKIX_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const OID_INVALIDITY_DATE = '2.5.29.24';
const CERT_ID_HASHES: Readonly<Record<string, string>> = {
  [ID_SHA1]: 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const RESPONSE_STATUS: readonly string[] = [
  'successful',
  'malformedRequest',
  'internalError',
  'tryLater',
  '(unused)',
  'sigRequired',
  'unauthorized',
];
/** A responder's clock may run a little ahead of ours. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * A DER OCSPRequest for one certificate. The CertID hashes with SHA-1, as notation-core-go does:
 * many public responders answer nothing else (RFC 6960 leaves the choice to the client; the hashes
 * only identify the certificate, the answer is signed).
 */
export function ocspRequest(certificate: ParsedCertificate, issuer: ParsedCertificate): Uint8Array {
  const certId = new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: ID_SHA1,
      algorithmParams: new asn1js.Null(),
    }),
    issuerNameHash: new asn1js.OctetString({ valueHex: hash('sha1', issuer.rawSubject) }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: hash('sha1', publicKeyBits(issuer)) }),
    serialNumber: new asn1js.Integer({ valueHex: certificate.asn.serialNumber.valueBlock.valueHexView }),
  });
  const request = new pkijs.OCSPRequest({
    tbsRequest: new pkijs.TBSRequest({ requestList: [new pkijs.Request({ reqCert: certId })] }),
  });
  return new Uint8Array(request.toSchema(true).toBER());
}

export interface OcspVerdict {
  /** `unknown` also when the responder said "unknown": then CRLs are tried. */
  status: 'ok' | 'revoked' | 'unknown';
  reason?: string;
  /** The responder answered (good, revoked or its own "unknown"): no other responder is asked. */
  answered?: boolean;
  /** Until when a definite answer (good or revoked) may be reused. */
  nextUpdate?: Date;
  /** Of a revoked certificate: from when its key is known to be compromised. */
  invalidityDate?: Date;
}

/**
 * The status once the signing time is known: a revocation whose invalidity date is after the
 * signing time does not count (the signature was made before the key was compromised).
 */
export function atSigningTime(verdict: OcspVerdict, signingTime?: Date): OcspVerdict {
  if (verdict.status !== 'revoked' || !verdict.invalidityDate || !signingTime) return verdict;
  if (signingTime.getTime() >= verdict.invalidityDate.getTime()) return verdict;
  return {
    ...verdict,
    status: 'ok',
    reason: `revoked, but the key was valid until ${iso(verdict.invalidityDate)}, after the signing time ${iso(signingTime)}`,
  };
}

/**
 * Reads an OCSP answer about `certificate` as notation-core-go does: a successful response of the
 * basic type, signed by the issuer or by a responder certificate the issuer issued for OCSP
 * signing (named by the response's responder ID), holding a response for this very certificate
 * whose nextUpdate has not passed. A revocation's invalidity date is returned for `atSigningTime`.
 */
export function readOcspResponse(
  der: Uint8Array,
  certificate: ParsedCertificate,
  issuer: ParsedCertificate,
  now: Date,
): OcspVerdict {
  const unknown = (reason: string): OcspVerdict => ({ status: 'unknown', reason });
  let basic: pkijs.BasicOCSPResponse;
  try {
    const decoded = asn1js.fromBER(der, ASN1_LIMITS);
    if (decoded.offset === -1 || decoded.offset !== der.byteLength) throw new Error('not one DER value');
    const response = new pkijs.OCSPResponse({ schema: decoded.result });
    const status = response.responseStatus.valueBlock.valueDec;
    if (status !== 0)
      return unknown(`the responder answered ${RESPONSE_STATUS[status] ?? `status ${status}`}`);
    if (response.responseBytes?.responseType !== ID_PKIX_OCSP_BASIC)
      return unknown('the answer is not a basic OCSP response');
    const inner = asn1js.fromBER(response.responseBytes.response.valueBlock.valueHexView, ASN1_LIMITS);
    if (inner.offset === -1) throw new Error('the basic response is not DER');
    basic = new pkijs.BasicOCSPResponse({ schema: inner.result });
  } catch (error) {
    return unknown(`the OCSP answer cannot be parsed: ${(error as Error).message}`);
  }

  const signer = responder(basic, issuer, now);
  if (typeof signer === 'string') return unknown(signer);
  const scheme = signatureScheme(basic.signatureAlgorithm);
  if (typeof scheme === 'string')
    return unknown(`the OCSP answer is signed with ${scheme}, which is not accepted`);
  const tbs = basic.tbsResponseData.tbsView;
  if (
    !verifySignature(scheme, signer.publicKey, tbs, new Uint8Array(basic.signature.valueBlock.valueHexView))
  )
    return unknown(
      `the OCSP answer's signature does not verify with the key of ${JSON.stringify(signer.subject)}`,
    );

  const single = basic.tbsResponseData.responses.find((candidate) =>
    isAbout(candidate.certID, certificate, issuer),
  );
  if (!single) return unknown('the OCSP answer is about another certificate');
  if (single.thisUpdate.getTime() > now.getTime() + CLOCK_SKEW_MS)
    return unknown(`the OCSP answer is from the future (thisUpdate ${iso(single.thisUpdate)})`);
  if (!single.nextUpdate) return unknown('the OCSP answer has no nextUpdate');
  if (now.getTime() > single.nextUpdate.getTime())
    return unknown(`the OCSP answer expired at ${iso(single.nextUpdate)}`);

  const status = single.certStatus as asn1js.BaseBlock;
  const tag = status.idBlock.tagClass === 3 ? status.idBlock.tagNumber : -1;
  if (tag === 0) return { status: 'ok', nextUpdate: single.nextUpdate, answered: true };
  if (tag === 2)
    return { status: 'unknown', reason: 'the responder does not know the certificate', answered: true };
  if (tag !== 1) return unknown('the OCSP answer has a malformed certificate status');
  const verdict: OcspVerdict = {
    status: 'revoked',
    reason: revokedReason(status),
    nextUpdate: single.nextUpdate,
    answered: true,
  };
  const invalidity = single.singleExtensions?.find((extension) => extension.extnID === OID_INVALIDITY_DATE);
  if (invalidity) {
    const value = asn1js.fromBER(invalidity.extnValue.valueBlock.valueHexView).result;
    if (value instanceof asn1js.GeneralizedTime) verdict.invalidityDate = value.toDate();
  }
  return verdict;
}

/** The issuer itself, or a delegated responder certificate it issued with the OCSP-signing EKU. */
function responder(
  basic: pkijs.BasicOCSPResponse,
  issuer: ParsedCertificate,
  now: Date,
): ParsedCertificate | string {
  const id = basic.tbsResponseData.responderID as pkijs.RelativeDistinguishedNames | asn1js.OctetString;
  const named = (certificate: ParsedCertificate): boolean =>
    id instanceof asn1js.OctetString
      ? sameBytes(new Uint8Array(id.valueBlock.valueHexView), hash('sha1', publicKeyBits(certificate)))
      : sameBytes(new Uint8Array(id.valueBeforeDecode), certificate.rawSubject);
  if (named(issuer)) return issuer;
  for (const carried of (basic.certs ?? []).slice(0, 4)) {
    const candidate = parseCertificate(new Uint8Array(carried.toSchema().toBER()));
    if (isFailure(candidate) || !named(candidate)) continue;
    if (!isIssuedBy(candidate, issuer))
      return `the OCSP responder ${JSON.stringify(candidate.subject)} is not issued by ${JSON.stringify(issuer.subject)}`;
    const eku = candidate.certificate.getExtension(x509.ExtendedKeyUsageExtension);
    if (!eku?.usages.map(String).includes(EKU.ocspSigning))
      return `the OCSP responder ${JSON.stringify(candidate.subject)} lacks the OCSPSigning extended key usage`;
    const expired = validityAt(candidate, now, 'the OCSP responder');
    if (expired) return expired.reason;
    return candidate;
  }
  return 'the OCSP answer is signed by a responder that is neither the issuer nor a certificate the issuer authorised';
}

function isAbout(id: pkijs.CertID, certificate: ParsedCertificate, issuer: ParsedCertificate): boolean {
  const algorithm = CERT_ID_HASHES[id.hashAlgorithm.algorithmId];
  if (!algorithm) return false;
  return (
    sameBytes(
      new Uint8Array(id.serialNumber.valueBlock.valueHexView),
      new Uint8Array(certificate.asn.serialNumber.valueBlock.valueHexView),
    ) &&
    sameBytes(
      new Uint8Array(id.issuerNameHash.valueBlock.valueHexView),
      hash(algorithm, issuer.rawSubject),
    ) &&
    sameBytes(
      new Uint8Array(id.issuerKeyHash.valueBlock.valueHexView),
      hash(algorithm, publicKeyBits(issuer)),
    )
  );
}

function revokedReason(status: asn1js.BaseBlock): string {
  const fields = (status as asn1js.Constructed).valueBlock?.value ?? [];
  const time = fields[0];
  const at = time instanceof asn1js.GeneralizedTime ? ` at ${iso(time.toDate())}` : '';
  return `the OCSP responder says it is revoked${at}`;
}

/** The subjectPublicKey BIT STRING's bytes: what an OCSP issuer key hash is over. */
function publicKeyBits(certificate: ParsedCertificate): Uint8Array {
  return new Uint8Array(certificate.asn.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
}

function hash(algorithm: string, data: Uint8Array): Uint8Array {
  return createHash(algorithm).update(data).digest();
}
