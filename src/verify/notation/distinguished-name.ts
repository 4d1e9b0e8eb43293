import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/**
 * X.509 subjects as the Notary Project compares them (trust-store-trust-policy.md, "Trusted
 * Identities Constraints", and notation's implementation): a DN is read as RFC 4514 text into one
 * value per attribute type; multi-valued RDNs and repeated types are refused; `C`, `ST` (or its alias
 * `S`) and `O` are required; types and values compare exactly. A trusted identity matches a signing
 * certificate when every attribute it names has the same value in the certificate's subject.
 */
export type DistinguishedName = ReadonlyMap<string, string>;

export type DnResult =
  | { readonly ok: true; readonly dn: DistinguishedName }
  | { readonly ok: false; readonly reason: string };

const MANDATORY = ['C', 'ST', 'O'] as const;

/** RFC 4514 unescaping with leading and trailing spaces trimmed unless escaped (LDAP's DN decoding). */
function decodeDnString(text: string): string | { error: string } {
  let start = 0;
  let end = text.length;
  while (start < end && text[start] === ' ') start++;
  while (end > start && text[end - 1] === ' ') {
    let backslashes = 0;
    for (let i = end - 2; i >= start && text[i] === '\\'; i--) backslashes++;
    if (backslashes % 2 === 1) break; // an escaped trailing space is part of the value
    end--;
  }
  const bytes: number[] = [];
  const chars = text.slice(start, end);
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] as string;
    if (char !== '\\') {
      if (char === '"' || char === ';' || char === '<' || char === '>')
        return { error: `unescaped character ${JSON.stringify(char)}` };
      if (char === '\0') return { error: 'a NUL character' };
      bytes.push(...Buffer.from(char, 'utf8'));
      continue;
    }
    const next = chars[i + 1];
    if (next === undefined) return { error: 'a trailing backslash' };
    if (' "#+,;<=>\\'.includes(next)) {
      bytes.push(next.charCodeAt(0));
      i++;
      continue;
    }
    const hex = chars.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { error: `an invalid escape "\\${hex}"` };
    bytes.push(Number.parseInt(hex, 16));
    i += 2;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function fromPairs(pairs: readonly [string, string][], what: string): DnResult {
  const dn = new Map<string, string>();
  for (const [rawType, value] of pairs) {
    const type = rawType === 'S' ? 'ST' : rawType;
    if (dn.has(type))
      return { ok: false, reason: `${what} has the attribute ${type} twice; each attribute may appear once` };
    dn.set(type, value);
  }
  const missing = MANDATORY.filter((type) => !dn.get(type));
  if (missing.length > 0)
    return { ok: false, reason: `${what} has no ${missing.join(', ')}; C, ST (or S) and O are required` };
  return { ok: true, dn };
}

/** Parses the DN of an `x509.subject:` trusted identity (the text after the prefix). */
export function parseDistinguishedName(text: string): DnResult {
  const what = `distinguished name ${JSON.stringify(text.trim())}`;
  if (text.includes('=#'))
    return { ok: false, reason: `${what} uses a BER-encoded value (=#), which is not supported` };
  const pairs: [string, string][] = [];
  let type: string | undefined;
  let start = 0;
  let escaping = false;
  const finishValue = (end: number): string | undefined => {
    if (type === undefined) return `${what} has an attribute without "type=value"`;
    const value = decodeDnString(text.slice(start, end));
    if (typeof value !== 'string') return `${what} has ${value.error}`;
    if (value.startsWith('#')) return `${what} uses a BER-encoded value (#…), which is not supported`;
    pairs.push([type, value]);
    type = undefined;
    start = end + 1;
    return undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (escaping) {
      escaping = false;
    } else if (char === '\\') {
      escaping = true;
    } else if (char === '=' && type === undefined) {
      const decoded = decodeDnString(text.slice(start, i));
      if (typeof decoded !== 'string') return { ok: false, reason: `${what} has ${decoded.error}` };
      if (decoded === '') return { ok: false, reason: `${what} has an attribute with an empty type` };
      type = decoded;
      start = i + 1;
    } else if (char === '+') {
      return { ok: false, reason: `${what} has a multi-valued RDN (+), which is not supported` };
    } else if (char === ',' || char === ';') {
      const problem = finishValue(i);
      if (problem) return { ok: false, reason: problem };
    }
  }
  if (text.trim() === '') return { ok: false, reason: 'the distinguished name is empty' };
  const problem = finishValue(text.length);
  if (problem) return { ok: false, reason: problem };
  return fromPairs(pairs, what);
}

/** The attribute types Go names in a certificate subject (others print as OIDs, which notation cannot match). */
const SUBJECT_TYPES: Readonly<Record<string, string>> = {
  '2.5.4.6': 'C',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.17': 'POSTALCODE',
};

/**
 * The signing certificate's subject as a DN notation can compare: the attribute types Go names (C,
 * O, OU, CN, SERIALNUMBER, L, ST, STREET, POSTALCODE), one value each, C, ST and O present. A subject
 * with any other attribute (an e-mail address, say), a multi-valued RDN or a repeated type cannot
 * match an `x509.subject` identity in notation either; only `*` trusts such a certificate.
 */
export function certificateSubject(der: Uint8Array): DnResult {
  let rdns: asn1js.Sequence;
  try {
    const certificate = pkijs.Certificate.fromBER(der);
    rdns = asn1js.fromBER(certificate.subject.valueBeforeDecode).result as asn1js.Sequence;
  } catch {
    return { ok: false, reason: 'the signing certificate does not parse' };
  }
  const pairs: [string, string][] = [];
  const labels: string[] = [];
  for (const rdn of rdns.valueBlock.value as asn1js.Set[]) {
    const attributes = rdn.valueBlock.value as asn1js.Sequence[];
    const readable = attributes.map((attribute) => {
      const [type, value] = attribute.valueBlock.value as [asn1js.ObjectIdentifier, asn1js.BaseStringBlock];
      const oid = type.valueBlock.toString();
      return {
        oid,
        type: SUBJECT_TYPES[oid],
        value: typeof value?.valueBlock?.value === 'string' ? value.valueBlock.value : undefined,
      };
    });
    labels.push(readable.map((a) => `${a.type ?? a.oid}=${a.value ?? '?'}`).join('+'));
    if (readable.length !== 1)
      return {
        ok: false,
        reason: `the signing certificate's subject ${JSON.stringify(labels.join(', '))} has a multi-valued RDN, which trusted identities cannot match`,
      };
    const [attribute] = readable as [(typeof readable)[number]];
    if (attribute.type === undefined || attribute.value === undefined)
      return {
        ok: false,
        reason: `the signing certificate's subject has the attribute ${attribute.oid}, which trusted identities cannot match`,
      };
    pairs.push([attribute.type, attribute.value]);
  }
  return fromPairs(pairs, `the signing certificate's subject ${JSON.stringify(labels.join(', '))}`);
}

/** Whether every attribute of `identity` has the same value in `subject`. */
export function isSubsetDn(identity: DistinguishedName, subject: DistinguishedName): boolean {
  for (const [type, value] of identity) if (subject.get(type) !== value) return false;
  return true;
}

/** A DN as text, in the order given (for messages). */
export function formatDn(dn: DistinguishedName): string {
  return [...dn].map(([type, value]) => `${type}=${value}`).join(', ');
}
