/**
 * What the Notary Project verification tests share: notation's e2e trust stores and policies, rules
 * built from JSON, the revocation input, and a compact view of the checks.
 */

import { Deadline } from '../../src/util/deadline.js';
import { RevocationChecker } from '../../src/verify/notation/pki/index.js';
import { parseTrustPolicyDocument, parseTrustRules } from '../../src/verify/notation/trust-policy.js';
import type { TrustStore } from '../../src/verify/notation/trust-store.js';
import { trustStoreFromPem } from '../../src/verify/notation/trust-store.js';
import {
  type RevocationCheckers,
  revocationCheckers,
  type verifyNotationSignature,
} from '../../src/verify/notation/verify-signature.js';
import { CLI, fixture, LOCALKEYS } from './helpers.js';

const checker = new RevocationChecker();

/**
 * The PKI's real revocation checker. The signing certificates of these tests carry no CRL or OCSP
 * location, so it has nothing to fetch and answers "ok"; the tests with revoked certificates serve
 * CRLs from a loopback server.
 */
export const revocation = (): RevocationCheckers => revocationCheckers(checker, Deadline.after(30_000));

/**
 * For notation-go's timestamped envelopes: their TSA chains (GlobalSign's) name CRL and OCSP servers
 * on the internet, which tests cannot reach; the TSA chain's revocation is taken as checked (the PKI's
 * own tests cover it), the signing chain's is the real checker's.
 */
export const revocationWithTsaChainTakenAsChecked = (): RevocationCheckers => ({
  signingChain: revocation().signingChain,
  timestampingChain: async () => ({
    status: 'ok',
    reason: "taken as checked: the TSA chain's servers are on the internet",
  }),
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
