import { X509Certificate } from '@sigstore/core';
import { type PublicKey, parsePemBlocks, parsePublicKey, SignatureError } from '../../signature/index.js';
import { VerifyError } from '../errors.js';

export interface ParsedCertificate {
  /** The certificate exactly as encoded. */
  der: Buffer;
  certificate: X509Certificate;
}

/** Signature-layer parse errors, as the verify layer's PEM_INVALID (trust material is configuration). */
function asPemInvalid<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof SignatureError)
      throw new VerifyError('PEM_INVALID', error.message, { cause: error });
    throw error;
  }
}

/** One or more certificates, in the order written (strict PEM, see `parsePemBlocks`). */
export function parseCertificatesPem(text: string, what: string): ParsedCertificate[] {
  const blocks = asPemInvalid(() => parsePemBlocks(text, what));
  if (blocks.length === 0) throw new VerifyError('PEM_INVALID', `${what}: no PEM certificate found`);
  return blocks.map((block, index) => {
    if (block.type !== 'CERTIFICATE')
      throw new VerifyError(
        'PEM_INVALID',
        `${what}: block ${index + 1} is "${block.type}", expected "CERTIFICATE"`,
      );
    return {
      der: block.bytes,
      certificate: parseCertificateDer(block.bytes, `${what} (certificate ${index + 1})`),
    };
  });
}

export function parseCertificateDer(der: Uint8Array, what: string): X509Certificate {
  try {
    const certificate = X509Certificate.parse(Buffer.from(der));
    // Touch the fields verification relies on, so that a truncated certificate fails here.
    void certificate.subject;
    void certificate.publicKey;
    void certificate.notAfter;
    return certificate;
  } catch (cause) {
    throw new VerifyError('PEM_INVALID', `${what} is not a valid X.509 certificate`, { cause });
  }
}

/** A PEM public key of trust material (`PUBLIC KEY` or `RSA PUBLIC KEY`), as the signature layer reads keys. */
export function parsePublicKeyPem(text: string, what: string): PublicKey {
  return asPemInvalid(() => parsePublicKey(text, what));
}
