import { createHash } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { HASH_BY_OID, type HashName, signatureScheme, verifySignature } from './algorithms.js';
import {
  ASN1_LIMITS,
  type CertificateInput,
  isFailure,
  isIssuedBy,
  named,
  type ParsedCertificate,
  parseCertificate,
  parseCertificates,
  sameBytes,
} from './certificates.js';
import { checkParsedChain, MAX_CHAIN_LENGTH } from './chain.js';
import { failure, type PkiFailure } from './result.js';
import { iso, validityAt } from './validity.js';

/** Real tokens are 2–8 KiB (the TSA's chain included); anything larger is refused unparsed. */
export const MAX_TIMESTAMP_TOKEN_BYTES = 64 * 1024;
const MAX_TOKEN_CERTIFICATES = 16;
const MAX_SIGNER_INFOS = 4;

const ID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const ID_CT_TSTINFO = '1.2.840.113549.1.9.16.1.4';
const ATTRIBUTE_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const ATTRIBUTE_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const ATTRIBUTE_SIGNING_TIME = '1.2.840.113549.1.9.5';
const ATTRIBUTE_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';
/** RFC 3628's baseline time-stamp policy: a token under it without an accuracy is good to 1 s. */
const BASELINE_TIMESTAMP_POLICY = '0.4.0.2023.1.1';

export interface TimestampOptions {
  /** What was timestamped: the Notation envelope's signature value. */
  signature: Uint8Array;
  /** The certificates of the trust policy's `tsa` stores (roots). */
  tsaRoots: readonly CertificateInput[];
}

export interface VerifiedTimestamp {
  ok: true;
  /** TSTInfo.genTime. */
  genTime: Date;
  /** The accuracy in milliseconds (explicit, 1 s under the baseline policy, else 0). */
  accuracyMs: number;
  /** genTime − accuracy and genTime + accuracy: the signature existed at some time in between. */
  earliest: Date;
  latest: Date;
  /** The TSA policy OID. */
  policy: string;
  /** The TSA's chain, TSA certificate first, ending at the trusted root. */
  tsaChain: x509.X509Certificate[];
  /** The same chain as DER (what revocation checking takes). */
  tsaChainDer: Uint8Array[];
}

/**
 * Verifies an RFC 3161 TimeStampToken as the Notary Project requires (trust store and trust policy
 * specification, "Validate Authentic Timestamp"; RFC 3161, RFC 5816): a CMS SignedData over a
 * TSTInfo (version 1) whose message imprint is the hash (SHA-256/384/512) of `signature`, signed
 * (contentType, messageDigest, ESS signing-certificate-v2 attributes; RSA or ECDSA, no SHA-1) by a
 * TSA certificate whose chain — built from the token's certificates — reaches a `tsa` trust store
 * root, meets the timestamping certificate requirements and was valid at genTime. The first
 * SignerInfo that verifies wins. Revocation of the TSA chain is the caller's next step.
 */
export function verifyTimestampToken(
  token: Uint8Array,
  options: TimestampOptions,
): VerifiedTimestamp | PkiFailure {
  if (token.byteLength === 0) return failure('TIMESTAMP_MISSING', 'the timestamp token is empty');
  if (token.byteLength > MAX_TIMESTAMP_TOKEN_BYTES)
    return invalid(`is ${token.byteLength} bytes, over the ${MAX_TIMESTAMP_TOKEN_BYTES}-byte limit`);
  const roots = parseCertificates(options.tsaRoots);
  if (isFailure(roots)) return failure('TRUST_STORE_CERTIFICATE', `tsa trust store: ${roots.reason}`);
  if (roots.length === 0)
    return failure(
      'NO_TRUST_STORE',
      'no tsa trust store certificate is configured to verify the timestamp against',
    );

  const decoded = decodeToken(token);
  if (isFailure(decoded)) return decoded;
  const { signedData, content, certificates } = decoded;

  const info = decodeTstInfo(content);
  if (isFailure(info)) return info;
  const imprintProblem = messageImprintProblem(info, options.signature);
  if (imprintProblem) return imprintProblem;

  const signerInfos = signedData.signerInfos;
  if (signerInfos.length === 0) return invalid('has no SignerInfo');
  if (signerInfos.length > MAX_SIGNER_INFOS)
    return invalid(`has ${signerInfos.length} SignerInfos; vouch reads at most ${MAX_SIGNER_INFOS}`);
  let last: PkiFailure | undefined;
  for (const signerInfo of signerInfos) {
    const chain = verifySigner(signerInfo, { content, certificates, roots, genTime: info.genTime });
    if (!isFailure(chain)) return verified(info, chain);
    last = chain;
  }
  return last as PkiFailure;
}

function invalid(reason: string): PkiFailure {
  return failure('TIMESTAMP_INVALID', `the timestamp token ${reason}`);
}

interface DecodedToken {
  signedData: pkijs.SignedData;
  /** The DER TSTInfo (eContent). */
  content: Uint8Array;
  certificates: ParsedCertificate[];
}

function decodeToken(token: Uint8Array): DecodedToken | PkiFailure {
  let signedData: pkijs.SignedData;
  let signedDataBlock: asn1js.Sequence;
  try {
    const decoded = asn1js.fromBER(token, ASN1_LIMITS);
    if (decoded.offset === -1 || decoded.offset !== token.byteLength) throw new Error('not one BER value');
    const contentInfo = new pkijs.ContentInfo({ schema: decoded.result });
    if (contentInfo.contentType !== ID_SIGNED_DATA)
      return invalid(`is a CMS ${contentInfo.contentType}, not a SignedData`);
    signedDataBlock = contentInfo.content as asn1js.Sequence;
    signedData = new pkijs.SignedData({ schema: signedDataBlock });
  } catch (error) {
    return invalid(`cannot be parsed: ${(error as Error).message}`);
  }
  if (signedData.version !== 3) return invalid(`is a SignedData of version ${signedData.version}, not 3`);
  const type = signedData.encapContentInfo.eContentType;
  if (type !== ID_CT_TSTINFO)
    return invalid(`holds content of type ${type}, not id-ct-TSTInfo (${ID_CT_TSTINFO})`);
  const eContent = signedData.encapContentInfo.eContent;
  if (!eContent) return invalid('holds no TSTInfo');
  const certificates = tokenCertificates(signedDataBlock);
  if (isFailure(certificates)) return certificates;
  return { signedData, content: octets(eContent), certificates };
}

/** An OCTET STRING's bytes, joining the pieces of a constructed (BER) one. */
function octets(value: asn1js.OctetString): Uint8Array {
  if (!value.idBlock.isConstructed) return new Uint8Array(value.valueBlock.valueHexView);
  return Buffer.concat(
    (value.valueBlock.value as asn1js.OctetString[]).map((piece) => Buffer.from(octets(piece))),
  );
}

/** The certificates the token carries, each from its own bytes (their hashes must match ESS attributes). */
function tokenCertificates(signedData: asn1js.Sequence): ParsedCertificate[] | PkiFailure {
  const set = signedData.valueBlock.value.find(
    (block) => block.idBlock.tagClass === 3 && block.idBlock.tagNumber === 0,
  ) as asn1js.Constructed | undefined;
  const blocks = set?.valueBlock.value ?? [];
  if (blocks.length > MAX_TOKEN_CERTIFICATES)
    return invalid(`carries ${blocks.length} certificates; vouch reads at most ${MAX_TOKEN_CERTIFICATES}`);
  const certificates: ParsedCertificate[] = [];
  for (const block of blocks) {
    if (block.idBlock.tagClass !== 1)
      return invalid('carries a certificate that is not an X.509 certificate');
    const parsed = parseCertificate(new Uint8Array(block.valueBeforeDecodeView));
    if (isFailure(parsed))
      return invalid(`carries ${parsed.reason.replace(/^a certificate/, 'a certificate that')}`);
    certificates.push(parsed);
  }
  return certificates;
}

function decodeTstInfo(content: Uint8Array): pkijs.TSTInfo | PkiFailure {
  let info: pkijs.TSTInfo;
  try {
    const decoded = asn1js.fromBER(content, ASN1_LIMITS);
    if (decoded.offset === -1 || decoded.offset !== content.byteLength) throw new Error('not one DER value');
    info = new pkijs.TSTInfo({ schema: decoded.result });
  } catch (error) {
    return invalid(`has a TSTInfo that cannot be parsed: ${(error as Error).message}`);
  }
  if (info.version !== 1) return invalid(`has a TSTInfo of version ${info.version}, not 1`);
  if (Number.isNaN(info.genTime.getTime())) return invalid('has a TSTInfo whose genTime is not a time');
  return info;
}

function messageImprintProblem(info: pkijs.TSTInfo, signature: Uint8Array): PkiFailure | undefined {
  const algorithm = info.messageImprint.hashAlgorithm.algorithmId;
  const hash = HASH_BY_OID[algorithm];
  if (!hash)
    return invalid(`imprints its message with hash algorithm ${algorithm}, not SHA-256, SHA-384 or SHA-512`);
  const expected = info.messageImprint.hashedMessage.valueBlock.valueHexView;
  if (sameBytes(digest(hash, signature), new Uint8Array(expected))) return undefined;
  return failure(
    'TIMESTAMP_MISMATCH',
    'the timestamp is over other data: its message imprint is not the hash of this signature',
  );
}

interface SignerContext {
  content: Uint8Array;
  certificates: ParsedCertificate[];
  roots: ParsedCertificate[];
  genTime: Date;
}

/** Checks one SignerInfo; the TSA chain (TSA certificate → trusted root) on success. */
function verifySigner(
  signerInfo: pkijs.SignerInfo,
  context: SignerContext,
): ParsedCertificate[] | PkiFailure {
  if (signerInfo.version !== 1)
    return invalid(
      `has a SignerInfo of version ${signerInfo.version} (only issuer-and-serial-number signers are read)`,
    );
  const attributes = signerInfo.signedAttrs;
  if (!attributes || attributes.attributes.length === 0)
    return invalid('has a SignerInfo without signed attributes');
  const digestHash = HASH_BY_OID[signerInfo.digestAlgorithm.algorithmId];
  if (!digestHash)
    return invalid(
      `is signed over a digest algorithm ${signerInfo.digestAlgorithm.algorithmId}, not SHA-256/384/512`,
    );

  const signer = signingCertificate(signerInfo, context.certificates);
  if (isFailure(signer)) return signer;

  const contentType = attributeValue(attributes, ATTRIBUTE_CONTENT_TYPE);
  if (
    !(contentType instanceof asn1js.ObjectIdentifier) ||
    contentType.valueBlock.toString() !== ID_CT_TSTINFO
  )
    return invalid('has a SignerInfo whose content-type attribute is not id-ct-TSTInfo');
  const messageDigest = attributeValue(attributes, ATTRIBUTE_MESSAGE_DIGEST);
  if (!(messageDigest instanceof asn1js.OctetString))
    return invalid('has a SignerInfo without a message-digest attribute');
  if (!sameBytes(new Uint8Array(messageDigest.valueBlock.valueHexView), digest(digestHash, context.content)))
    return invalid('has a message-digest attribute that does not match its TSTInfo');

  const scheme = signatureScheme(signerInfo.signatureAlgorithm, signerInfo.digestAlgorithm);
  if (typeof scheme === 'string')
    return invalid(`is signed with ${scheme}, which the Notary Project does not accept`);
  // The signature covers the signed attributes DER-encoded as a SET (RFC 5652 5.4), not as [0].
  const signed = new Uint8Array(attributes.encodedValue);
  signed[0] = 0x31;
  const signature = new Uint8Array(signerInfo.signature.valueBlock.valueHexView);
  if (!verifySignature(scheme, signer.publicKey, signed, signature))
    return invalid(`signature does not verify with the key of TSA certificate ${named(signer)}`);

  const chain = tsaChain(signer, context);
  if (isFailure(chain)) return chain;
  const valid = checkParsedChain(chain, { purpose: 'timestamping', at: context.genTime });
  if (!valid.ok) return failure(valid.code, `the timestamp's TSA chain is not acceptable: ${valid.reason}`);

  const signingTime = attributeValue(attributes, ATTRIBUTE_SIGNING_TIME);
  if (signingTime instanceof asn1js.UTCTime || signingTime instanceof asn1js.GeneralizedTime) {
    const at = signingTime.toDate();
    const outside = chain
      .map((certificate) => validityAt(certificate, at, 'TSA chain certificate'))
      .find(Boolean);
    if (outside)
      return invalid(`has a signing time ${iso(at)} outside its TSA chain's validity: ${outside.reason}`);
  }
  return chain;
}

/**
 * The certificate that signed: the one the ESS signing-certificate-v2 attribute names (RFC 5816;
 * required by the Notary Project) by issuer and serial — or, without those, the SignerInfo's own
 * sid — whose hash must equal the attribute's certHash.
 */
function signingCertificate(
  signerInfo: pkijs.SignerInfo,
  certificates: ParsedCertificate[],
): ParsedCertificate | PkiFailure {
  const value =
    signerInfo.signedAttrs && attributeValue(signerInfo.signedAttrs, ATTRIBUTE_SIGNING_CERTIFICATE_V2);
  if (!value)
    return invalid(
      'has no ESS signing-certificate-v2 attribute (RFC 5816), which the Notary Project requires',
    );
  const essCertId = readEssCertIdV2(value);
  if (typeof essCertId === 'string')
    return invalid(`has a malformed signing-certificate-v2 attribute: ${essCertId}`);
  let issuer: Uint8Array;
  let serial: Uint8Array;
  if (essCertId.issuer && essCertId.serial) {
    issuer = essCertId.issuer;
    serial = essCertId.serial;
  } else {
    const sid = signerInfo.sid;
    if (!(sid instanceof pkijs.IssuerAndSerialNumber)) return invalid('names its signer by key identifier');
    issuer = new Uint8Array(sid.issuer.valueBeforeDecode);
    serial = new Uint8Array(sid.serialNumber.valueBlock.valueHexView);
  }
  const candidate = certificates.find(
    (certificate) =>
      sameBytes(certificate.rawIssuer, issuer) &&
      sameBytes(new Uint8Array(certificate.asn.serialNumber.valueBlock.valueHexView), serial),
  );
  if (!candidate) return invalid('does not carry the TSA certificate that signed it');
  if (!sameBytes(digest(essCertId.hash, candidate.der), essCertId.certHash))
    return invalid(`names a signing certificate whose hash is not that of ${named(candidate)}`);
  return candidate;
}

interface EssCertIdV2 {
  hash: HashName;
  certHash: Uint8Array;
  issuer?: Uint8Array;
  serial?: Uint8Array;
}

/**
 * SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies … OPTIONAL }
 * ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT sha256, certHash OCTET STRING,
 *                            issuerSerial IssuerSerial OPTIONAL }
 * IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber INTEGER }
 * The first ESSCertIDv2 names the signing certificate.
 */
function readEssCertIdV2(value: asn1js.AsnType): EssCertIdV2 | string {
  const certs = sequenceItems(value)[0];
  const first = certs && sequenceItems(certs)[0];
  if (!first) return 'it names no certificate';
  const fields = sequenceItems(first);
  let index = 0;
  let hash: HashName = 'sha256';
  if (fields[0] instanceof asn1js.Sequence) {
    const algorithm = new pkijs.AlgorithmIdentifier({ schema: fields[0] }).algorithmId;
    const known = HASH_BY_OID[algorithm];
    if (!known) return `its certificate hash algorithm ${algorithm} is not SHA-256, SHA-384 or SHA-512`;
    hash = known;
    index = 1;
  }
  const certHash = fields[index];
  if (!(certHash instanceof asn1js.OctetString)) return 'it has no certificate hash';
  const result: EssCertIdV2 = { hash, certHash: new Uint8Array(certHash.valueBlock.valueHexView) };
  const issuerSerial = fields[index + 1];
  if (issuerSerial) {
    const [names, serial] = sequenceItems(issuerSerial);
    const directoryName =
      names &&
      sequenceItems(names).find((name) => name.idBlock.tagClass === 3 && name.idBlock.tagNumber === 4);
    const name = directoryName && (directoryName as asn1js.Constructed).valueBlock.value[0];
    if (!name || !(serial instanceof asn1js.Integer)) return 'its issuer and serial number are malformed';
    result.issuer = new Uint8Array(name.valueBeforeDecodeView);
    result.serial = new Uint8Array(serial.valueBlock.valueHexView);
  }
  return result;
}

function sequenceItems(value: asn1js.AsnType): asn1js.AsnType[] {
  return value instanceof asn1js.Sequence ? (value.valueBlock.value as asn1js.AsnType[]) : [];
}

function attributeValue(
  attributes: pkijs.SignedAndUnsignedAttributes,
  type: string,
): asn1js.AsnType | undefined {
  return attributes.attributes.find((attribute) => attribute.type === type)?.values[0] as
    | asn1js.AsnType
    | undefined;
}

/** TSA certificate → … → a `tsa` store root, each issuer taken from the store first, then the token. */
function tsaChain(signer: ParsedCertificate, context: SignerContext): ParsedCertificate[] | PkiFailure {
  const chain = [signer];
  const candidates = [...context.roots, ...context.certificates];
  for (;;) {
    const current = chain[chain.length - 1] as ParsedCertificate;
    if (context.roots.some((root) => sameBytes(root.der, current.der))) return chain;
    if (chain.length >= MAX_CHAIN_LENGTH) break;
    const issuer = candidates.find(
      (candidate) =>
        !chain.some((link) => sameBytes(link.der, candidate.der)) && isIssuedBy(current, candidate),
    );
    if (!issuer) break;
    chain.push(issuer);
  }
  return failure(
    'UNTRUSTED',
    `the timestamp's TSA certificate ${named(signer)} does not chain to a certificate in the tsa trust store`,
  );
}

function verified(info: pkijs.TSTInfo, chain: ParsedCertificate[]): VerifiedTimestamp {
  const accuracy = info.accuracy;
  const explicit = accuracy
    ? (accuracy.seconds ?? 0) * 1000 + (accuracy.millis ?? 0) + (accuracy.micros ?? 0) / 1000
    : 0;
  const accuracyMs = explicit === 0 && info.policy === BASELINE_TIMESTAMP_POLICY ? 1000 : explicit;
  const spread = Math.ceil(accuracyMs);
  return {
    ok: true,
    genTime: info.genTime,
    accuracyMs,
    earliest: new Date(info.genTime.getTime() - spread),
    latest: new Date(info.genTime.getTime() + spread),
    policy: info.policy,
    tsaChain: chain.map((certificate) => certificate.certificate),
    tsaChainDer: chain.map((certificate) => certificate.der),
  };
}

function digest(hash: HashName, data: Uint8Array): Uint8Array {
  return createHash(hash).update(data).digest();
}
