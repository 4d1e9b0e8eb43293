/**
 * What the Notary Project verification tests share: notation's e2e trust stores and policies, rules
 * built from JSON, the revocation input, and a compact view of the checks.
 */

import { parseTrustPolicyDocument, parseTrustRules } from '../../src/verify/notation/trust-policy.js';
import type { TrustStore } from '../../src/verify/notation/trust-store.js';
import { trustStoreFromPem } from '../../src/verify/notation/trust-store.js';
import type {
  RevocationAnswer,
  RevocationCheckers,
  verifyNotationSignature,
} from '../../src/verify/notation/verify-signature.js';
import { CLI, fixture, LOCALKEYS } from './helpers.js';

/**
 * The revocation checker is an input of the workflow (the PKI's, configured with HTTP and a cache,
 * in production). These tests decide its answer to see what each level does with it; the signing
 * certificates here carry no CRL or OCSP URL, for which the real checker answers "ok".
 */
export const revocation = (
  signing: RevocationAnswer = { status: 'ok', reason: 'no revocation information' },
): RevocationCheckers => ({
  signingChain: async () => signing,
  timestampingChain: async () => ({ status: 'ok', reason: 'no revocation information' }),
});

export const JWS = 'application/jose+json';
export const COSE = 'application/cose';
export const NOW = new Date('2025-06-01T00:00:00Z');

export const e2eStore = (file = 'e2e.crt'): TrustStore =>
  trustStoreFromPem({ type: 'ca', name: 'e2e' }, fixture(`${LOCALKEYS}${file}`).toString(), file);

/** The rules of notation's e2e trust policy files (one statement each). */
export const e2eRules = (policy: string) =>
  parseTrustPolicyDocument(fixture(`${CLI}config/trustpolicies/${policy}`), policy).statements[0]!;

export const rules = (
  signatureVerification: unknown,
  trustStores: string[],
  trustedIdentities: string[] = ['*'],
) => parseTrustRules({ signatureVerification, trustStores, trustedIdentities });

export const statuses = (result: Awaited<ReturnType<typeof verifyNotationSignature>>) =>
  Object.fromEntries(result.checks.map((check) => [check.check, `${check.status}/${check.action}`]));
