/**
 * A ClusterImagePolicy `keyless` authority made ready to verify with: its trusted root resolved (a
 * TrustRoot, else the embedded public-good root; `ca-cert`, and other TrustRoots' logs and TSAs,
 * applied), its identities compiled.
 */
import { encodePem } from '../../../signature/keys/pem.js';
import type { KeylessAuthority } from '../../../verify/authority.js';
import type { KeylessPolicy } from '../../../verify/keyless/policy.js';
import { keylessAuthority } from '../../../verify/keyless-authority.js';
import { parseCertificatesPem } from '../../../verify/trust/pem.js';
import { withPrivatePki } from '../../../verify/trust/private-pki.js';
import { unusableAuthority } from '../../errors.js';
import type { KeylessAuthority as KeylessAuthoritySpec } from '../../model.js';
import type { TrustAccess } from '../trust-access.js';

export async function buildKeyless(
  spec: KeylessAuthoritySpec,
  access: TrustAccess,
): Promise<KeylessAuthority> {
  const trust = await access();
  let root = spec.trustRootRef !== undefined ? trust.trustedRoot(spec.trustRootRef) : trust.embedded();
  if (spec.caCert !== undefined) root = withPrivatePki(root, splitCaCertificates(spec.caCert.pem, spec.name));
  // Legacy signatures may take their Rekor and TSA keys from other TrustRoots than the CA's.
  if (spec.tlog?.trustRootRef !== undefined && spec.tlog.trustRootRef !== spec.trustRootRef)
    root = { ...root, tlogs: trust.trustedRoot(spec.tlog.trustRootRef).tlogs };
  if (spec.timestamp?.trustRootRef !== undefined && spec.timestamp.trustRootRef !== spec.trustRootRef)
    root = {
      ...root,
      timestampAuthorities: trust.trustedRoot(spec.timestamp.trustRootRef).timestampAuthorities,
    };
  const policy: KeylessPolicy = {
    identities: spec.identities.map((identity) => ({ ...identity })),
    ...(spec.github !== undefined && { github: spec.github }),
    ...(spec.insecureIgnoreSCT && { insecureIgnoreSct: true }),
    // As in policy-controller, a signed timestamp stands in for the transparency log unless ctlog asks for both.
    ...((spec.insecureIgnoreTlog === true || (spec.timestamp !== undefined && spec.tlog === undefined)) && {
      insecureIgnoreTlog: true,
    }),
    ...(spec.timestamp !== undefined && { useSignedTimestamps: true }),
  };
  return keylessAuthority({
    name: spec.name,
    policy,
    trustedRoot: root,
    ...(spec.annotations !== undefined && { annotations: spec.annotations }),
    ...(spec.signatureFormat !== undefined && { signatureFormat: spec.signatureFormat }),
  });
}

/**
 * `keyless.ca-cert`: self-signed certificates are roots (trust anchors), the others intermediates —
 * the rule policy-controller applies to TrustRoot chains. (policy-controller inlines ca-cert but never
 * reads it when verifying; vouch does.)
 */
function splitCaCertificates(pem: string, authority: string): { roots: string; intermediates?: string } {
  const certificates = parseCertificatesPem(pem, `keyless.ca-cert of authority ${authority}`);
  const selfSigned = (entry: (typeof certificates)[number]) =>
    entry.certificate.subject.equals(entry.certificate.issuer) && entry.certificate.verify();
  const roots = certificates.filter(selfSigned);
  const intermediates = certificates.filter((entry) => !selfSigned(entry));
  if (roots.length === 0)
    throw unusableAuthority(
      `keyless.ca-cert of authority ${authority} holds no self-signed root certificate to anchor a chain`,
    );
  const text = (entries: typeof certificates) =>
    entries.map((entry) => encodePem('CERTIFICATE', entry.der)).join('');
  return { roots: text(roots), ...(intermediates.length > 0 && { intermediates: text(intermediates) }) };
}
