/**
 * The serving certificate and key, checked before they are used: a swapped pair, a file that holds
 * something else, or a key that does not belong to the certificate is refused with a message naming
 * the file, instead of an OpenSSL error from deep inside the TLS server.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { AdmissionError } from './errors.js';

const PRIVATE_KEY_PEM = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;
const CERTIFICATE_PEM = /-----BEGIN CERTIFICATE-----/;

/** Throws AdmissionError('TLS') unless `cert` holds a PEM certificate and `key` the private key of it. */
export function checkTlsPair(cert: Buffer, certFile: string, key: Buffer, keyFile: string): void {
  const certText = cert.toString('latin1');
  const keyText = key.toString('latin1');
  const swapped = PRIVATE_KEY_PEM.test(certText) && CERTIFICATE_PEM.test(keyText);
  const hint = swapped ? ' (it holds a private key: are the certificate and key files swapped?)' : '';
  if (!CERTIFICATE_PEM.test(certText))
    throw new AdmissionError('TLS', `TLS certificate file ${certFile} holds no PEM certificate${hint}`);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw new AdmissionError('TLS', `TLS certificate file ${certFile} holds no valid certificate`, {
      cause: error,
    });
  }
  if (!PRIVATE_KEY_PEM.test(keyText))
    throw new AdmissionError(
      'TLS',
      `TLS key file ${keyFile} holds no PEM private key${CERTIFICATE_PEM.test(keyText) ? ' (it holds a certificate)' : ''}`,
    );
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new AdmissionError('TLS', `TLS key file ${keyFile} holds no usable private key`, { cause: error });
  }
  if (!certificate.checkPrivateKey(privateKey))
    throw new AdmissionError(
      'TLS',
      `TLS key file ${keyFile} is not the key of the certificate in ${certFile}`,
    );
}
