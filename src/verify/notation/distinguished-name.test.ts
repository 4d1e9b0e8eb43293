import { describe, expect, it } from 'vitest';
import { createRoot, PROFILE } from '../../../test/harness/notation-pki.js';
import { e2eSigner, fixture, LOCALKEYS } from '../../../test/notation/helpers.js';
import {
  certificateSubject,
  type DnResult,
  isSubsetDn,
  parseDistinguishedName,
} from './distinguished-name.js';

const dn = (result: DnResult) => {
  if (!result.ok) throw new Error(result.reason);
  return Object.fromEntries(result.dn);
};
const reason = (result: DnResult) => (result.ok ? 'parsed' : result.reason);
const pemDer = (pem: string) => Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');

describe('distinguished names in trusted identities', () => {
  it('read RFC 4514 text as notation does: spaces around RDNs trimmed, S as ST, escapes undone', () => {
    expect(
      dn(parseDistinguishedName(' C=US, ST=WA, L=Seattle, O=acme-rockets.io, OU=Finance, CN=SecureBuilder')),
    ).toEqual({
      C: 'US',
      ST: 'WA',
      L: 'Seattle',
      O: 'acme-rockets.io',
      OU: 'Finance',
      CN: 'SecureBuilder',
    });
    expect(dn(parseDistinguishedName('C=US,S=WA,O=a\\,b\\;c\\\\d,CN=\\ padded\\ '))).toEqual({
      C: 'US',
      ST: 'WA',
      O: 'a,b;c\\d',
      CN: ' padded ',
    });
    expect(dn(parseDistinguishedName('C=US;ST=WA;O=x=y;CN=caf\\C3\\A9'))).toEqual({
      C: 'US',
      ST: 'WA',
      O: 'x=y',
      CN: 'café',
    });
  });

  it('refuse what notation refuses, each with its reason', () => {
    const cases: [string, RegExp][] = [
      [' CN=e2e,L=Seattle,ST=WA,C=US', /has no O; C, ST \(or S\) and O are required/],
      [' CN=e2e,O=Notary,L=Seattle,C=US', /has no ST/],
      [' CN=e2e,O=Notary,L=Seattle,ST=WA', /has no C/],
      ['C=US,ST=WA,O=a,OU=x,OU=y', /attribute OU twice/],
      ['C=US,ST=WA,S=OR,O=a', /attribute ST twice/],
      ['C=US,ST=WA,O=a+OU=b', /multi-valued RDN/],
      ['C=US,ST=WA,O=#04024869', /BER-encoded value/],
      ['C=US,ST=WA,O= #04024869', /BER-encoded value/],
      ['C=US,ST=WA,O=a,', /without "type=value"/],
      ['C=US,ST=WA,justtext', /without "type=value"/],
      ['C=US,ST=WA,O=a"b', /unescaped character/],
      ['C=US,ST=WA,O=a\\', /trailing backslash/],
      ['C=US,ST=WA,O=a\\zz', /invalid escape/],
      ['', /empty/],
    ];
    for (const [text, message] of cases) expect(reason(parseDistinguishedName(text)), text).toMatch(message);
  });

  it('compare types and values exactly, an identity matching when its attributes are a subset', () => {
    const subject = certificateSubject(e2eSigner().certificate);
    if (!subject.ok) throw new Error(subject.reason);
    const identity = (text: string) => {
      const parsed = parseDistinguishedName(text);
      if (!parsed.ok) throw new Error(parsed.reason);
      return parsed.dn;
    };
    expect(isSubsetDn(identity('CN=e2e,O=Notary,L=Seattle,ST=WA,C=US'), subject.dn)).toBe(true);
    expect(isSubsetDn(identity('O=Notary,ST=WA,C=US'), subject.dn)).toBe(true);
    expect(isSubsetDn(identity('CN=e2e,O=Notary,L=Seattle,ST=WA,C=USB'), subject.dn)).toBe(false);
    expect(isSubsetDn(identity('CN=E2E,O=Notary,ST=WA,C=US'), subject.dn)).toBe(false);
    expect(isSubsetDn(identity('OU=x,O=Notary,ST=WA,C=US'), subject.dn)).toBe(false);
  });
});

describe("the signing certificate's subject", () => {
  it('reads the attributes Go names, in any order', () => {
    expect(dn(certificateSubject(e2eSigner().certificate))).toEqual({
      C: 'US',
      ST: 'WA',
      L: 'Seattle',
      O: 'Notary',
      CN: 'e2e',
    });
    expect(dn(certificateSubject(pemDer(fixture(`${LOCALKEYS}new_e2e.crt`).toString())))).toEqual({
      C: 'AU',
      ST: 'Some-State',
      O: 'Internet Widgits Pty Ltd',
    });
  });

  it('cannot be matched when notation could not match it: an attribute Go prints as an OID, a multi-valued RDN, a repeated type, no ST', async () => {
    const subject = async (name: string) =>
      certificateSubject((await createRoot({ ...PROFILE.codeSigning(), subject: name })).der);
    expect(reason(await subject('C=US, ST=WA, O=acme, E=release@acme.example'))).toMatch(
      /attribute 1.2.840.113549.1.9.1/,
    );
    expect(reason(await subject('C=US, ST=WA, O=acme, CN=a+OU=b'))).toMatch(/multi-valued RDN/);
    expect(reason(await subject('C=US, ST=WA, O=acme, OU=a, OU=b'))).toMatch(/attribute OU twice/);
    expect(reason(await subject('C=US, O=acme, CN=release'))).toMatch(/has no ST/);
    expect(dn(await subject('C=US, ST=WA, O=acme, 2.5.4.9=1 Main St, 2.5.4.17=98101, 2.5.4.5=7'))).toEqual({
      C: 'US',
      ST: 'WA',
      O: 'acme',
      STREET: '1 Main St',
      POSTALCODE: '98101',
      SERIALNUMBER: '7',
    });
  });
});
