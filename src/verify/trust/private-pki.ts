import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { CertificateAuthority } from '@sigstore/protobuf-specs';
import { VerifyError } from '../errors.js';
import { readTrustFile } from './files.js';
import { type ParsedCertificate, parseCertificatesPem } from './pem.js';

/**
 * Certificate authorities for a private PKI, cosign's `--ca-roots` / `--ca-intermediates` /
 * `--certificate-chain`. Roots are trust anchors and must be self-signed; intermediates are only
 * path-building material. They replace the Fulcio CAs of a base trusted root and keep its Rekor, CT
 * and TSA keys (as cosign does: the PEM flags swap the CA, not the logs).
 */
export interface PrivatePkiOptions {
  /** PEM text of one or more self-signed root certificates (`--ca-roots`). */
  roots?: string;
  /** PEM text of intermediate CA certificates (`--ca-intermediates`). */
  intermediates?: string;
  /** PEM chain from the signer's issuing CA up to and including the root (`--certificate-chain`). */
  chain?: string;
}

export function withPrivatePki(base: TrustedRoot, options: PrivatePkiOptions): TrustedRoot {
  let roots: ParsedCertificate[];
  let intermediates: ParsedCertificate[] = [];
  if (options.chain !== undefined) {
    if (options.roots !== undefined || options.intermediates !== undefined)
      throw new VerifyError(
        'PEM_INVALID',
        '--certificate-chain cannot be combined with --ca-roots or --ca-intermediates',
      );
    const chain = parseCertificatesPem(options.chain, '--certificate-chain');
    roots = chain.slice(-1);
    intermediates = chain.slice(0, -1);
  } else {
    if (options.roots === undefined)
      throw new VerifyError(
        'PEM_INVALID',
        '--ca-intermediates needs --ca-roots: intermediates are not trust anchors',
      );
    roots = parseCertificatesPem(options.roots, '--ca-roots');
    if (options.intermediates !== undefined)
      intermediates = parseCertificatesPem(options.intermediates, '--ca-intermediates');
  }
  for (const [index, root] of roots.entries()) {
    // Path building ends at a self-signed certificate, so a non-self-signed "root" could never anchor
    // a chain; say so now rather than failing every verification later.
    if (!root.certificate.subject.equals(root.certificate.issuer) || !root.certificate.verify())
      throw new VerifyError(
        'PEM_INVALID',
        `root certificate ${index + 1} is not self-signed; give intermediates with --ca-intermediates`,
      );
  }
  for (const [index, intermediate] of intermediates.entries()) {
    if (!intermediate.certificate.isCA)
      throw new VerifyError('PEM_INVALID', `intermediate certificate ${index + 1} is not a CA certificate`);
  }
  const certificateAuthorities = roots.map((root) =>
    CertificateAuthority.fromJSON({
      uri: 'private-pki',
      certChain: {
        certificates: [...intermediates, root].map((parsed) => ({ rawBytes: parsed.der.toString('base64') })),
      },
    }),
  );
  return { ...base, certificateAuthorities };
}

/** Reads the PEM files named by the flags, then calls `withPrivatePki`. */
export async function withPrivatePkiFiles(
  base: TrustedRoot,
  files: { roots?: string; intermediates?: string; chain?: string },
): Promise<TrustedRoot> {
  const read = (path: string | undefined, flag: string) =>
    path === undefined ? undefined : readTrustFile(path, flag);
  const options: PrivatePkiOptions = {};
  const roots = await read(files.roots, '--ca-roots');
  const intermediates = await read(files.intermediates, '--ca-intermediates');
  const chain = await read(files.chain, '--certificate-chain');
  if (roots !== undefined) options.roots = roots;
  if (intermediates !== undefined) options.intermediates = intermediates;
  if (chain !== undefined) options.chain = chain;
  return withPrivatePki(base, options);
}
