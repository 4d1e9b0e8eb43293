import { X509Certificate } from 'node:crypto';
import { describeError } from '../../errors.js';
import {
  type ArtifactDescriptor,
  type NotationEnvelope,
  type NotationLimits,
  parseNotationEnvelope,
  parseNotationPayload,
  type TargetArtifact,
  targetArtifactMismatch,
  verifyEnvelopeIntegrity,
} from '../../signature/notation/index.js';
import type { Deadline } from '../../util/deadline.js';
import { certificateSubject, formatDn, isSubsetDn } from './distinguished-name.js';
import type { CheckAction, NotationCheck, VerificationLevel } from './levels.js';
import {
  findTrustAnchor,
  type RevocationChecker,
  validateCertificateChain,
  verifyAuthenticTimestamp,
} from './pki/index.js';
import type { NotationTrustRules } from './trust-policy.js';
import type { TrustStore } from './trust-store.js';

/** What a revocation check answered for a chain (signing chain or TSA chain, leaf first). */
export interface RevocationAnswer {
  readonly status: 'ok' | 'revoked' | 'unknown';
  readonly reason: string;
}

/**
 * Revocation checking (CRL and OCSP over the network, cached, inside the image's deadline) is the
 * caller's to provide: the PKI's checker, configured with its HTTP client and cache. The
 * specification enforces the TSA chain's check whenever a timestamp is verified.
 */
export interface RevocationCheckers {
  /** The signing chain; `authenticSigningTime` for the signing-authority scheme (invalidity dates). */
  readonly signingChain: (
    chain: readonly Uint8Array[],
    authenticSigningTime?: Date,
  ) => Promise<RevocationAnswer>;
  readonly timestampingChain: (chain: readonly Uint8Array[]) => Promise<RevocationAnswer>;
}

/**
 * The PKI's revocation checker (CRL and OCSP from the certificates' own locations, cached) as the
 * workflow's input, every request inside `deadline` (the image's).
 */
export function revocationCheckers(checker: RevocationChecker, deadline: Deadline): RevocationCheckers {
  return {
    signingChain: (chain, authenticSigningTime) =>
      checker.check(chain, {
        purpose: 'codeSigning',
        deadline,
        ...(authenticSigningTime && { signingTime: authenticSigningTime }),
      }),
    timestampingChain: (chain) => checker.check(chain, { purpose: 'timestamping', deadline }),
  };
}

/** One check as it went: passed, failed, or not checked (with why), and what its failure does. */
export interface NotationCheckResult {
  readonly check: NotationCheck;
  readonly action: CheckAction;
  readonly status: 'passed' | 'failed' | 'skipped';
  /** Why it failed or was skipped; what it established when it passed (when there is something to say). */
  readonly reason?: string;
}

/** The verification of one signature against one trust policy statement. */
export interface NotationSignatureVerification {
  readonly verified: boolean;
  readonly level: VerificationLevel;
  /** Every check, in the order the specification performs them. */
  readonly checks: readonly NotationCheckResult[];
  /** The enforced failure that decided `verified: false`, as `<check>: <reason>`. */
  readonly reason?: string;
  /** Each failure a level only logs, as `<check>: <reason>`: never dropped silently. */
  readonly warnings: readonly string[];
  /** The signing certificate's subject, once the envelope parsed. */
  readonly signer?: string;
  readonly envelope?: NotationEnvelope;
  readonly target?: TargetArtifact;
  /** The trust store the chain reached (`ca:acme-root`). */
  readonly trustAnchor?: string;
}

export interface VerifyNotationSignatureInput {
  /** The envelope blob and the media type its manifest's layer declares. */
  readonly envelope: Uint8Array;
  readonly mediaType: string;
  /** The image manifest the signature must be for. */
  readonly image: ArtifactDescriptor;
  /** The statement (or ClusterImagePolicy authority) to verify against. */
  readonly rules: NotationTrustRules;
  /** The stores the rules name (others are ignored). */
  readonly stores: readonly TrustStore[];
  readonly revocation: RevocationCheckers;
  /** The time of verification (default now). */
  readonly now?: Date;
  readonly limits?: NotationLimits;
}

const ORDER: readonly NotationCheck[] = [
  'integrity',
  'authenticity',
  'expiry',
  'authenticTimestamp',
  'revocation',
];

type Outcome = { ok: true; note?: string } | { ok: false; reason: string };

/**
 * Verifies one Notary Project signature against one statement, in the specification's order
 * (trust-store-trust-policy.md, "Signature Verification"): integrity (the envelope parses, its
 * signature verifies with the signing certificate's key, nothing critical is unknown, the chain meets
 * the certificate requirements, the payload names this image), authenticity (the chain reaches a
 * store of the scheme's type and the signer is a trusted identity), expiry, authentic timestamp, and
 * revocation. Each check's action comes from the level and overrides: an enforced failure stops
 * verification (later checks are reported as not checked); a logged failure becomes a warning and
 * verification goes on. Level `skip` checks nothing and verifies.
 */
export async function verifyNotationSignature(
  input: VerifyNotationSignatureInput,
): Promise<NotationSignatureVerification> {
  const { rules } = input;
  const now = input.now ?? new Date();
  const checks: NotationCheckResult[] = [];
  const warnings: string[] = [];
  let envelope: NotationEnvelope | undefined;
  let target: TargetArtifact | undefined;
  let signer: string | undefined;
  let trustAnchor: string | undefined;
  const result = (verified: boolean, reason?: string): NotationSignatureVerification => ({
    verified,
    level: rules.level,
    checks,
    ...(reason !== undefined && { reason }),
    warnings,
    ...(signer !== undefined && { signer }),
    ...(envelope && { envelope }),
    ...(target && { target }),
    ...(trustAnchor !== undefined && { trustAnchor }),
  });

  if (rules.level === 'skip') {
    for (const check of ORDER)
      checks.push({ check, action: 'skip', status: 'skipped', reason: 'the trust policy level is skip' });
    return result(true);
  }

  const steps: Record<NotationCheck, () => Promise<Outcome>> = {
    integrity: async () => {
      try {
        envelope = parseNotationEnvelope(input.envelope, input.mediaType, input.limits);
      } catch (error) {
        return { ok: false, reason: `the signature envelope does not parse: ${describeError(error)}` };
      }
      signer = signerSubject(envelope.certificateChain[0]);
      const integrity = await verifyEnvelopeIntegrity(envelope);
      if (!integrity.ok) return { ok: false, reason: integrity.reason };
      const chain = validateCertificateChain(envelope.certificateChain, { purpose: 'codeSigning' });
      if (!chain.ok)
        return {
          ok: false,
          reason: `the certificate chain does not meet the Notary Project's requirements: ${chain.reason}`,
        };
      try {
        target = parseNotationPayload(envelope.payload, input.limits?.maxPayloadBytes);
      } catch (error) {
        return { ok: false, reason: describeError(error) };
      }
      const mismatch = targetArtifactMismatch(target, input.image);
      return mismatch === undefined ? { ok: true } : { ok: false, reason: mismatch };
    },
    authenticity: async () => {
      const signed = envelope as NotationEnvelope;
      const anchor = findTrustAnchor(signed.certificateChain, input.stores, signed.signingScheme);
      if (!anchor.ok) return { ok: false, reason: anchor.reason };
      trustAnchor = anchor.store;
      return identityOutcome(rules, signed.certificateChain[0] as Buffer, anchor.store);
    },
    expiry: async () => {
      const expiry = (envelope as NotationEnvelope).expiry;
      if (expiry === undefined) return { ok: true, note: 'the signature has no expiry' };
      if (now.getTime() >= expiry.getTime())
        return { ok: false, reason: `the signature expired at ${expiry.toISOString()}` };
      return { ok: true, note: `the signature expires at ${expiry.toISOString()}` };
    },
    authenticTimestamp: async () => {
      const signed = envelope as NotationEnvelope;
      const timestamp = await verifyAuthenticTimestamp({
        scheme: signed.signingScheme,
        chain: signed.certificateChain,
        signature: signed.signature,
        ...(signed.timestampToken && { timestampToken: signed.timestampToken }),
        ...(signed.authenticSigningTime && { authenticSigningTime: signed.authenticSigningTime }),
        trustStores: input.stores,
        verifyTimestamp: rules.verifyTimestamp,
        checkTsaRevocation: (chain) => input.revocation.timestampingChain(chain),
        now,
      });
      if (!timestamp.ok) return { ok: false, reason: timestamp.reason };
      switch (timestamp.method) {
        case 'timestamp':
          return {
            ok: true,
            note: `timestamped at ${timestamp.timestamp.genTime.toISOString()} by a trusted TSA`,
          };
        case 'authenticSigningTime':
          return { ok: true, note: `authentic signing time ${timestamp.at.toISOString()}` };
        default:
          return { ok: true, note: `the chain is valid at verification time (${timestamp.why})` };
      }
    },
    revocation: async () => {
      const signed = envelope as NotationEnvelope;
      const answer = await input.revocation.signingChain(
        signed.certificateChain,
        signed.authenticSigningTime,
      );
      if (answer.status === 'ok') return { ok: true };
      return {
        ok: false,
        reason:
          answer.status === 'revoked'
            ? `a certificate of the chain is revoked: ${answer.reason}`
            : `the revocation status cannot be determined: ${answer.reason}`,
      };
    },
  };

  let stopped: string | undefined;
  for (const check of ORDER) {
    const action = rules.actions[check];
    if (stopped !== undefined) {
      checks.push({
        check,
        action,
        status: 'skipped',
        reason: `not checked: ${stopped} failed and is enforced`,
      });
      continue;
    }
    if (action === 'skip') {
      checks.push({ check, action, status: 'skipped', reason: 'the trust policy skips this check' });
      continue;
    }
    let outcome: Outcome;
    try {
      outcome = await steps[check]();
    } catch (error) {
      // A check that cannot run fails (closed), whatever the cause.
      outcome = { ok: false, reason: `could not be checked: ${describeError(error)}` };
    }
    if (outcome.ok) {
      checks.push({
        check,
        action,
        status: 'passed',
        ...(outcome.note !== undefined && { reason: outcome.note }),
      });
      continue;
    }
    checks.push({ check, action, status: 'failed', reason: outcome.reason });
    // Integrity is the precondition of everything after it: an envelope that did not verify has
    // nothing trustworthy to check further, whatever the level says.
    if (action === 'enforce' || check === 'integrity') stopped = check;
    else warnings.push(`${check}: ${outcome.reason}`);
  }
  const failed = checks.find((entry) => entry.status === 'failed' && entry.check === stopped);
  return stopped === undefined ? result(true) : result(false, `${stopped}: ${failed?.reason ?? 'failed'}`);
}

function signerSubject(leaf: Uint8Array | undefined): string | undefined {
  if (leaf === undefined) return undefined;
  const subject = certificateSubject(leaf);
  if (subject.ok) return formatDn(subject.dn);
  try {
    return new X509Certificate(leaf).subject.replace(/\n/g, ', ');
  } catch {
    return undefined;
  }
}

/** The signer against the trusted identities: `*`, or an `x509.subject` whose attributes the leaf's subject has. */
function identityOutcome(rules: NotationTrustRules, leaf: Buffer, store: string): Outcome {
  if (rules.trustedIdentities.some((identity) => identity.kind === 'any'))
    return { ok: true, note: `the chain reaches trust store ${store}; any identity is trusted` };
  const subject = certificateSubject(leaf);
  if (!subject.ok)
    return { ok: false, reason: `${subject.reason}; the trust policy names x509.subject identities` };
  const match = rules.trustedIdentities.find(
    (identity) => identity.kind === 'x509.subject' && isSubsetDn(identity.dn, subject.dn),
  );
  if (match)
    return {
      ok: true,
      note: `the chain reaches trust store ${store}; the signer matches ${JSON.stringify(match.kind === 'x509.subject' ? match.text : '*')}`,
    };
  const wanted = rules.trustedIdentities.map((identity) =>
    identity.kind === 'x509.subject' ? JSON.stringify(identity.text) : '*',
  );
  return {
    ok: false,
    reason: `the signing certificate's subject "${formatDn(subject.dn)}" matches none of the trusted identities ${wanted.join(', ')}`,
  };
}
