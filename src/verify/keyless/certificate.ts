import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { ASN1Obj, type X509Certificate } from '@sigstore/core';

/**
 * What a signing certificate says about its signer: every subject alternative name, the OIDC issuer
 * and the Fulcio extensions. Plain data, ready for identity matching and for policy input.
 */
export interface CertificateIdentity {
  /** All SANs as cosign lists them: emails, URIs, DNS names, IP addresses, and Fulcio's username otherName. */
  subjects: string[];
  /** The Fulcio OIDC issuer (extension 1.3.6.1.4.1.57264.1.8, else the deprecated .1.1). */
  issuer?: string;
  /** GitHub workflow values (deprecated Fulcio extensions .1.2–.1.6, with the newer equivalents as fallback). */
  githubWorkflowTrigger?: string;
  githubWorkflowSha?: string;
  githubWorkflowName?: string;
  githubWorkflowRepository?: string;
  githubWorkflowRef?: string;
  /** Every other Fulcio extension (1.3.6.1.4.1.57264.1.9 onward), by its Fulcio name. */
  extensions: Record<string, string>;
}

const FULCIO = '1.3.6.1.4.1.57264.1';
const OID_SAN = '2.5.29.17';
const OID_FULCIO_USERNAME_SAN = `${FULCIO}.7`;

/** The deprecated extensions hold the raw string as the extension value. */
const DEPRECATED = {
  issuer: `${FULCIO}.1`,
  githubWorkflowTrigger: `${FULCIO}.2`,
  githubWorkflowSha: `${FULCIO}.3`,
  githubWorkflowName: `${FULCIO}.4`,
  githubWorkflowRepository: `${FULCIO}.5`,
  githubWorkflowRef: `${FULCIO}.6`,
} as const;

/** The newer extensions hold a DER UTF8String. */
const NAMED_EXTENSIONS: Record<string, string> = {
  [`${FULCIO}.8`]: 'issuer',
  [`${FULCIO}.9`]: 'buildSignerURI',
  [`${FULCIO}.10`]: 'buildSignerDigest',
  [`${FULCIO}.11`]: 'runnerEnvironment',
  [`${FULCIO}.12`]: 'sourceRepositoryURI',
  [`${FULCIO}.13`]: 'sourceRepositoryDigest',
  [`${FULCIO}.14`]: 'sourceRepositoryRef',
  [`${FULCIO}.15`]: 'sourceRepositoryIdentifier',
  [`${FULCIO}.16`]: 'sourceRepositoryOwnerURI',
  [`${FULCIO}.17`]: 'sourceRepositoryOwnerIdentifier',
  [`${FULCIO}.18`]: 'buildConfigURI',
  [`${FULCIO}.19`]: 'buildConfigDigest',
  [`${FULCIO}.20`]: 'buildTrigger',
  [`${FULCIO}.21`]: 'runInvocationURI',
  [`${FULCIO}.22`]: 'sourceRepositoryVisibilityAtSigning',
};

export function certificateIdentity(certificate: X509Certificate): CertificateIdentity {
  const extensions: Record<string, string> = {};
  for (const [oid, name] of Object.entries(NAMED_EXTENSIONS)) {
    const value = utf8StringExtension(certificate, oid);
    if (value !== undefined) extensions[name] = value;
  }
  const identity: CertificateIdentity = { subjects: subjectAlternativeNames(certificate), extensions };
  const issuer = extensions.issuer ?? rawExtension(certificate, DEPRECATED.issuer);
  delete extensions.issuer;
  if (issuer !== undefined) identity.issuer = issuer;
  // cosign's --certificate-github-workflow-* flags read the deprecated extensions. Fulcio still
  // writes them for GitHub, but where only the newer ones exist, take the ones with the same meaning
  // and format (there is no newer equivalent for the workflow name, and the repository is a URL there).
  const github = {
    githubWorkflowTrigger:
      rawExtension(certificate, DEPRECATED.githubWorkflowTrigger) ?? extensions.buildTrigger,
    githubWorkflowSha:
      rawExtension(certificate, DEPRECATED.githubWorkflowSha) ?? extensions.sourceRepositoryDigest,
    githubWorkflowName: rawExtension(certificate, DEPRECATED.githubWorkflowName),
    githubWorkflowRepository: rawExtension(certificate, DEPRECATED.githubWorkflowRepository),
    githubWorkflowRef:
      rawExtension(certificate, DEPRECATED.githubWorkflowRef) ?? extensions.sourceRepositoryRef,
  };
  for (const [key, value] of Object.entries(github)) {
    if (value !== undefined) identity[key as keyof typeof github] = value;
  }
  return identity;
}

function rawExtension(certificate: X509Certificate, oid: string): string | undefined {
  const extension = certificate.extension(oid);
  return extension === undefined ? undefined : extension.value.toString('utf8');
}

function utf8StringExtension(certificate: X509Certificate, oid: string): string | undefined {
  const extension = certificate.extension(oid);
  if (extension === undefined) return undefined;
  try {
    const inner = ASN1Obj.parseBuffer(Buffer.from(extension.value));
    // UTF8String (12), PrintableString (19) or IA5String (22).
    if (inner.tag.isUniversal() && [12, 19, 22].includes(inner.tag.number))
      return inner.value.toString('utf8');
  } catch {
    // Not DER: fall through to the raw bytes, as older Fulcio versions wrote.
  }
  return extension.value.toString('utf8');
}

/** Every SAN, in certificate order, formatted the way cosign (Go) prints them. */
export function subjectAlternativeNames(certificate: X509Certificate): string[] {
  const extension = certificate.extension(OID_SAN);
  if (extension === undefined) return [];
  const names: string[] = [];
  const generalNames = ASN1Obj.parseBuffer(Buffer.from(extension.value));
  for (const name of generalNames.subs) {
    if (!name.tag.isContextSpecific()) continue;
    switch (name.tag.number) {
      case 0: {
        // otherName: OID, then [0] EXPLICIT value. Only Fulcio's username form is an identity.
        const oid = name.subs[0];
        const value = name.subs[1]?.subs[0];
        if (oid?.tag.isOID() && oid.toOID() === OID_FULCIO_USERNAME_SAN && value !== undefined)
          names.push(value.value.toString('utf8'));
        break;
      }
      case 1: // rfc822Name
      case 2: // dNSName
      case 6: // uniformResourceIdentifier
        names.push(name.value.toString('utf8'));
        break;
      case 7: // iPAddress
        names.push(formatIp(name.value));
        break;
      default:
        break;
    }
  }
  return names;
}

function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return bytes.toString('hex');
  const groups = Array.from({ length: 8 }, (_, index) => bytes.readUInt16BE(index * 2));
  // Compress the longest run of two or more zero groups, as Go's net.IP.String does.
  let best = { start: -1, length: 0 };
  for (let index = 0; index < 8; ) {
    if (groups[index] !== 0) {
      index++;
      continue;
    }
    let end = index;
    while (end < 8 && groups[end] === 0) end++;
    if (end - index > best.length) best = { start: index, length: end - index };
    index = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.length < 2) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

/** The certificate's issuer and subject as text, for messages. */
export function describeCertificate(der: Uint8Array): { subject: string; issuer: string } {
  try {
    const certificate = new NodeX509Certificate(Buffer.from(der));
    return { subject: oneLine(certificate.subject), issuer: oneLine(certificate.issuer) };
  } catch {
    return { subject: '(unparsable)', issuer: '(unparsable)' };
  }
}

function oneLine(name: string | undefined): string {
  // Node reports an empty distinguished name (Fulcio leaves have one) as undefined.
  return name ? name.split('\n').join(', ') : '(empty)';
}
