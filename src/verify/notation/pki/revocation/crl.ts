import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { signatureScheme, verifySignature } from '../algorithms.js';
import { type ParsedCertificate, sameBytes } from '../certificates.js';
import { iso } from '../validity.js';
import { children, type Element, element, expectTag, TAG } from './der.js';

const OID_CRL_NUMBER = '2.5.29.20';
const OID_DELTA_CRL_INDICATOR = '2.5.29.27';
const OID_ISSUING_DISTRIBUTION_POINT = '2.5.29.28';
const OID_FRESHEST_CRL = '2.5.29.46';
const OID_REASON_CODE = '2.5.29.21';
const OID_INVALIDITY_DATE = '2.5.29.24';

const REASON_CERTIFICATE_HOLD = 6;
const REASON_REMOVE_FROM_CRL = 8;
const REASON_NAMES = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'unused',
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
];

export interface RevokedEntry {
  revocationDate: Date;
  reason?: number;
  invalidityDate?: Date;
  /** A critical entry extension vouch does not understand: the entry cannot be judged. */
  unsupported?: string;
}

/** A CRL checked against its issuer and reduced to what status checks read (and the cache holds). */
export interface RevocationList {
  thisUpdate: Date;
  nextUpdate: Date;
  number?: bigint;
  /** Set on a delta CRL: the lowest base CRL number it applies to. */
  deltaOf?: bigint;
  /** Freshest CRL (delta) locations a base CRL names. */
  freshestUrls: string[];
  /** The CRL itself: entries are read from it only when their serial number is asked about. */
  der: Uint8Array;
  /** Revoked serial numbers (lower-case hex of the DER integer) → where their entries are in `der`. */
  entries: Map<string, Element[]>;
  /** Roughly what the list holds in memory, for the cache's byte budget. */
  size: number;
}

/**
 * Reads a DER CRL and checks it as notation-core-go does before trusting it: signed by the
 * certificate's issuer (named as its issuer, allowed to sign CRLs if it restricts key usage), with a
 * nextUpdate that has not passed, and no critical extension other than the issuing distribution
 * point and the delta CRL indicator. Returns the reduced list, or why the CRL cannot be used.
 */
export function readCrl(der: Uint8Array, issuer: ParsedCertificate, now: Date): RevocationList | string {
  let parts: CrlParts;
  try {
    parts = crlParts(der);
  } catch (error) {
    return `the CRL cannot be parsed: ${(error as Error).message}`;
  }
  if (!sameBytes(parts.issuer, issuer.rawSubject))
    return `the CRL is not issued by ${JSON.stringify(issuer.subject)}`;
  const scheme = signatureScheme(parts.signatureAlgorithm);
  if (typeof scheme === 'string') return `the CRL is signed with ${scheme}, which is not accepted`;
  if (!verifySignature(scheme, issuer.publicKey, parts.tbs, parts.signature))
    return `the CRL's signature does not verify with the key of ${JSON.stringify(issuer.subject)}`;
  const keyUsage = issuer.certificate.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && !(keyUsage.usages & x509.KeyUsageFlags.cRLSign))
    return `${JSON.stringify(issuer.subject)} lacks the cRLSign key usage, so its CRL cannot be used`;
  if (!parts.nextUpdate) return 'the CRL has no nextUpdate';
  if (now.getTime() > parts.nextUpdate.getTime())
    return `the CRL expired: its nextUpdate ${iso(parts.nextUpdate)} has passed (now ${iso(now)})`;

  const list: RevocationList = {
    thisUpdate: parts.thisUpdate,
    nextUpdate: parts.nextUpdate,
    freshestUrls: [],
    der,
    entries: parts.entries,
    size: der.byteLength + parts.entries.size * 64,
  };
  for (const extension of parts.extensions) {
    const value = extensionValue(extension);
    if (extension.extnID === OID_CRL_NUMBER) list.number = integer(value);
    else if (extension.extnID === OID_DELTA_CRL_INDICATOR) list.deltaOf = integer(value);
    else if (extension.extnID === OID_FRESHEST_CRL) {
      const urls = distributionPointUrls(extension);
      if (!urls) return 'the CRL has a malformed freshest CRL extension';
      list.freshestUrls = urls;
    } else if (extension.critical && extension.extnID !== OID_ISSUING_DISTRIBUTION_POINT)
      return `the CRL has a critical extension ${extension.extnID} that vouch does not support`;
  }
  return list;
}

interface CrlParts {
  tbs: Uint8Array;
  signatureAlgorithm: pkijs.AlgorithmIdentifier;
  signature: Uint8Array;
  issuer: Uint8Array;
  thisUpdate: Date;
  nextUpdate?: Date;
  entries: Map<string, Element[]>;
  extensions: pkijs.Extension[];
}

/**
 * CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }
 * TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature AlgorithmIdentifier, issuer Name,
 *   thisUpdate Time, nextUpdate Time OPTIONAL, revokedCertificates SEQUENCE OF … OPTIONAL,
 *   crlExtensions [0] EXPLICIT Extensions OPTIONAL }                                  (RFC 5280 5.1)
 */
function crlParts(der: Uint8Array): CrlParts {
  const outer = expectTag(element(der, 0), TAG.sequence, 'the CRL');
  if (outer.end !== der.byteLength) throw new Error('bytes follow the CRL');
  const [tbs, algorithm, signature, extra] = [...children(der, outer)];
  if (!tbs || !algorithm || !signature || extra) throw new Error('a CRL has three parts');
  expectTag(tbs, TAG.sequence, 'tbsCertList');
  const fields = [...children(der, tbs)];
  let index = fields[0]?.tag === TAG.integer ? 1 : 0;
  const innerAlgorithm = fields[index++];
  const issuer = fields[index++];
  const thisUpdate = fields[index++];
  if (!innerAlgorithm || !issuer || !thisUpdate) throw new Error('tbsCertList is incomplete');
  if (!sameBytes(slice(der, innerAlgorithm), slice(der, algorithm)))
    throw new Error('the signature algorithm inside the CRL differs from the one outside');
  const parts: CrlParts = {
    tbs: slice(der, tbs),
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({ schema: small(slice(der, algorithm)) }),
    signature: bitString(small(slice(der, signature))),
    issuer: slice(der, expectTag(issuer, TAG.sequence, 'the issuer')),
    thisUpdate: time(der, thisUpdate),
    entries: new Map(),
    extensions: [],
  };
  let field = fields[index++];
  if (field && (field.tag === TAG.utcTime || field.tag === TAG.generalizedTime)) {
    parts.nextUpdate = time(der, field);
    field = fields[index++];
  }
  if (field?.tag === TAG.sequence) {
    for (const entry of children(der, field)) {
      const serial = expectTag(
        element(der, expectTag(entry, TAG.sequence, 'an entry').start, entry.end),
        TAG.integer,
        'a serial number',
      );
      const key = Buffer.from(der.subarray(serial.start, serial.end)).toString('hex');
      const known = parts.entries.get(key);
      if (known) known.push(entry);
      else parts.entries.set(key, [entry]);
    }
    field = fields[index++];
  }
  if (field?.tag === TAG.context0) {
    const inner = small(der.subarray(field.start, field.end));
    parts.extensions = new pkijs.Extensions({ schema: inner }).extensions;
    field = fields[index++];
  }
  if (field) throw new Error(`unexpected field with tag 0x${field.tag.toString(16)} in tbsCertList`);
  return parts;
}

/** The few entries of one serial number, parsed now. */
function revokedEntry(der: Uint8Array, at: Element): RevokedEntry {
  const [, revocationDate, extensions] = [...children(der, at)];
  if (!revocationDate) throw new Error('an entry has no revocation date');
  const entry: RevokedEntry = { revocationDate: time(der, revocationDate) };
  if (!extensions) return entry;
  for (const extension of new pkijs.Extensions({ schema: small(slice(der, extensions)) }).extensions) {
    const value = extensionValue(extension);
    if (extension.extnID === OID_REASON_CODE && value instanceof asn1js.Enumerated)
      entry.reason = value.valueBlock.valueDec;
    else if (extension.extnID === OID_INVALIDITY_DATE && value instanceof asn1js.GeneralizedTime)
      entry.invalidityDate = value.toDate();
    else if (extension.critical) entry.unsupported = extension.extnID;
  }
  return entry;
}

function slice(der: Uint8Array, at: Element): Uint8Array {
  return der.subarray(at.offset, at.end);
}

/** asn1js for the small parts (algorithm, signature, times, extensions). */
function small(bytes: Uint8Array): asn1js.AsnType {
  const decoded = asn1js.fromBER(bytes, { maxDepth: 20, maxNodes: 5000 });
  if (decoded.offset === -1 || decoded.offset !== bytes.byteLength)
    throw new Error(decoded.result.error || 'not DER');
  return decoded.result;
}

function bitString(value: asn1js.AsnType): Uint8Array {
  if (!(value instanceof asn1js.BitString)) throw new Error('the signature is not a BIT STRING');
  return new Uint8Array(value.valueBlock.valueHexView);
}

function time(der: Uint8Array, at: Element): Date {
  const value = small(slice(der, at));
  if (!(value instanceof asn1js.UTCTime || value instanceof asn1js.GeneralizedTime))
    throw new Error('not a time');
  const date = value.toDate();
  if (Number.isNaN(date.getTime())) throw new Error('an invalid time');
  return date;
}

/** Whether a delta CRL may be applied to this base (RFC 5280 5.2.4), or why not. */
export function deltaProblem(base: RevocationList, delta: RevocationList): string | undefined {
  if (delta.deltaOf === undefined) return 'the delta CRL has no delta CRL indicator';
  if (base.number === undefined || delta.number === undefined)
    return 'the base or delta CRL has no CRL number';
  if (delta.number <= base.number)
    return `the delta CRL's number ${delta.number} is not greater than the base CRL's ${base.number}`;
  if (delta.deltaOf > base.number)
    return `the delta CRL applies to base CRLs from number ${delta.deltaOf}, and the base CRL is number ${base.number}`;
  return undefined;
}

export interface CrlVerdict {
  status: 'ok' | 'revoked' | 'unknown';
  reason?: string;
}

/**
 * A certificate's status in a base CRL and its delta, as notation-core-go reads them: listed for a
 * reason other than certificateHold/removeFromCRL is revoked; of hold and removal the latest
 * decides; an entry whose invalidity date is after `signingTime` does not count.
 */
export function crlStatus(serial: string, lists: readonly RevocationList[], signingTime?: Date): CrlVerdict {
  let latestTemporary: RevokedEntry | undefined;
  for (const list of lists) {
    for (const at of list.entries.get(serial) ?? []) {
      let entry: RevokedEntry;
      try {
        entry = revokedEntry(list.der, at);
      } catch (error) {
        return { status: 'unknown', reason: `its CRL entry cannot be parsed: ${(error as Error).message}` };
      }
      if (entry.unsupported)
        return {
          status: 'unknown',
          reason: `its CRL entry has a critical extension ${entry.unsupported} that vouch does not support`,
        };
      if (signingTime && entry.invalidityDate && signingTime.getTime() < entry.invalidityDate.getTime())
        return { status: 'ok' };
      if (entry.reason === REASON_CERTIFICATE_HOLD || entry.reason === REASON_REMOVE_FROM_CRL) {
        if (!latestTemporary || latestTemporary.revocationDate.getTime() < entry.revocationDate.getTime())
          latestTemporary = entry;
        continue;
      }
      return { status: 'revoked', reason: describe(entry) };
    }
  }
  if (latestTemporary?.reason === REASON_CERTIFICATE_HOLD)
    return { status: 'revoked', reason: describe(latestTemporary) };
  return { status: 'ok' };
}

function describe(entry: RevokedEntry): string {
  const reason =
    entry.reason === undefined ? '' : ` (${REASON_NAMES[entry.reason] ?? `reason ${entry.reason}`})`;
  return `revoked at ${iso(entry.revocationDate)}${reason}`;
}

function extensionValue(extension: pkijs.Extension): asn1js.AsnType | undefined {
  const decoded = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView, {
    maxDepth: 10,
    maxNodes: 200,
  });
  return decoded.offset === -1 ? undefined : decoded.result;
}

function integer(value: asn1js.AsnType | undefined): bigint | undefined {
  if (!(value instanceof asn1js.Integer)) return undefined;
  const hex = Buffer.from(value.valueBlock.valueHexView).toString('hex');
  return hex ? BigInt(`0x${hex}`) : 0n;
}

/**
 * The URIs of a CRLDistributionPoints value (a certificate's CRL distribution points, or a CRL's
 * freshest CRL, which has the same shape): each distribution point's full names; undefined when
 * the value is malformed (which must not read as "no CRL").
 */
export function distributionPointUrls(
  extension: { extnValue: asn1js.OctetString } | x509.Extension,
): string[] | undefined {
  const raw =
    extension instanceof x509.Extension
      ? new Uint8Array(extension.value)
      : extension.extnValue.valueBlock.valueHexView;
  try {
    const decoded = asn1js.fromBER(raw, { maxDepth: 10, maxNodes: 500 });
    if (decoded.offset === -1) return undefined;
    const points = new pkijs.CRLDistributionPoints({ schema: decoded.result });
    return points.distributionPoints.flatMap((point) =>
      Array.isArray(point.distributionPoint)
        ? point.distributionPoint.flatMap((name) => (name.type === 6 ? [String(name.value)] : []))
        : [],
    );
  } catch {
    return undefined;
  }
}
