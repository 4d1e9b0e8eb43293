import { describeError } from '../errors.js';
import { registryFailureKind } from '../registry/index.js';
import type { SignatureAuthority } from './authority.js';
import type { SignatureCheck } from './check.js';
import type { CertificateIdentity } from './keyless/certificate.js';
import type { AuthorityOutcome, TransparencyLogOutcome } from './outcome.js';

/** A discovery step that failed as a whole (the `.sig` manifest or referrers listing could not be read). */
export interface LookupFailure {
  what: string;
  error: unknown;
}

/** Human label of one checked artefact, for reasons: `legacy sha256:0123456789ab`. */
export function label(check: SignatureCheck): string {
  const { format, artefact } = check.outcome;
  return `${format}${artefact ? ` ${artefact.slice(0, 19)}` : ''}`;
}

/**
 * Folds per-signature checks into one authority outcome. One verified check passes. Otherwise the
 * failure is a registry failure (or timeout) when any lookup or fetch failed for lack of an answer —
 * the missing piece might have been a good signature — and a signature failure when everything was
 * read and nothing verified, or nothing was found.
 */
export function summarize(input: {
  authority: SignatureAuthority;
  digest: string;
  noun: 'signature' | 'attestation';
  checks: readonly SignatureCheck[];
  lookupFailures: readonly LookupFailure[];
  problems: readonly string[];
  /** Where was looked, for the "none found" message. */
  looked: readonly string[];
}): AuthorityOutcome {
  const { authority, digest, noun, checks } = input;
  // Checks the authority was told to skip (keyless `--insecure-ignore-*`) travel with every reason.
  const skippedChecks = [...(authority.notes?.warnings ?? [])];
  const skipped = skippedChecks.length ? ` (${skippedChecks.join('; ')})` : '';
  const verified = checks.filter((check) => check.outcome.verified);
  // …and what a verified signature's checks only logged (a Notation verification level) is warned of.
  const warnings = [...new Set([...skippedChecks, ...verified.flatMap((check) => check.warnings ?? [])])];
  const base: Pick<AuthorityOutcome, 'name' | 'type' | 'signatures' | 'warnings' | 'tlog'> = {
    name: authority.name,
    type: authority.type,
    signatures: checks.map((c) => c.outcome),
    ...(warnings.length && { warnings }),
    // Whatever else happens, a log the user told vouch to ignore was ignored.
    ...(authority.notes?.tlogIgnored && { tlog: { status: 'ignored', detail: '--insecure-ignore-tlog' } }),
  };
  if (verified.length) {
    return {
      ...base,
      passed: true,
      reason: `${verified.length} ${noun}(s) of ${digest} verified${signersOf(verified)}${skipped}`,
      tlog: tlogOf(verified),
    };
  }
  const registryProblems = [
    ...input.lookupFailures.map((f) => ({
      kind: registryFailureKind(f.error),
      text: `${f.what}: ${describeError(f.error)}`,
    })),
    ...checks
      .filter((c) => c.failure)
      .map((c) => ({ kind: c.failure, text: `${label(c)}: ${c.outcome.reason}` })),
  ].filter((p) => p.kind !== undefined);
  if (registryProblems.length) {
    const kind = registryProblems.some((p) => p.kind === 'registry') ? 'registry' : 'timeout';
    return {
      ...base,
      passed: false,
      failure: kind,
      reason: `${kind === 'timeout' ? 'timed out' : 'registry failure'} while reading the ${noun}s of ${digest}: ${registryProblems.map((p) => p.text).join('; ')}`,
    };
  }
  const rejections = [...input.problems, ...checks.map((c) => `${label(c)}: ${c.outcome.reason}`)];
  if (rejections.length === 0) {
    return {
      ...base,
      passed: false,
      failure: 'signature',
      reason: `no ${noun}s found for ${digest} (looked in ${input.looked.join(' and ')})${skipped}`,
    };
  }
  return {
    ...base,
    passed: false,
    failure: 'signature',
    reason: `no ${noun} of ${digest} verified: ${rejections.join('; ')}`,
  };
}

/** ` with key A, B` when keys verified, else `, signed by X; Y` naming each signer once. */
function signersOf(verified: readonly SignatureCheck[]): string {
  if (verified.every((check) => check.key !== undefined))
    return ` with key ${[...new Set(verified.map((check) => check.key?.fingerprint))].join(', ')}`;
  const signers = verified.map((check) => check.signer ?? describeIdentity(check.identity));
  return `, signed by ${[...new Set(signers)].join('; ')}`;
}

/** `a@example.com (issuer https://…)`: every SAN the certificate holds, and its OIDC issuer. */
export function describeIdentity(
  identity: Pick<CertificateIdentity, 'subjects' | 'issuer'> | undefined,
): string {
  if (!identity) return 'a certificate';
  return `${identity.subjects.join(', ') || '(no subject)'} (issuer ${identity.issuer ?? 'none'})`;
}

function tlogOf(verified: readonly SignatureCheck[]): TransparencyLogOutcome {
  return (
    verified.find((check) => check.tlog?.status === 'verified')?.tlog ??
    verified[0]?.tlog ?? { status: 'not-checked', detail: 'no transparency log was checked' }
  );
}
