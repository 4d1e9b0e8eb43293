import { describeError } from '../errors.js';
import { registryFailureKind } from '../registry/index.js';
import type { InTotoStatement, PublicKey, RekorBundle } from '../signature/index.js';
import {
  CosignAnnotation,
  missingAnnotations,
  parseRekorBundle,
  SignatureError,
  subjectsNaming,
} from '../signature/index.js';
import type { KeyAuthority } from './authority.js';
import type { CertificateIdentity } from './keyless/certificate.js';
import type { SignatureOutcome, TransparencyLogOutcome } from './outcome.js';
import { type RekorSetInput, verifyRekorBundle } from './tlog/rekor-set.js';

/** The result of checking one signature or attestation against one authority. */
export interface SignatureCheck {
  outcome: SignatureOutcome;
  /** Set when the check could not be made because the registry failed (then it says nothing about the signature). */
  failure?: 'registry' | 'timeout';
  /** The transparency-log status of this signature, when it got that far. */
  tlog?: TransparencyLogOutcome;
  /** For attestations whose signature and subject verified: the statement. */
  statement?: InTotoStatement;
  /** The authority key that verified the signature. */
  key?: PublicKey;
  /** The certificate identity that signed (keyless). */
  identity?: CertificateIdentity;
  /** Who signed, in words, when it is neither a key nor a Fulcio identity (an X.509 subject). */
  signer?: string;
  /** Checks this signature failed that the authority only logs (they become the outcome's warnings). */
  warnings?: string[];
}

/** What an in-toto statement must say besides naming the image digest. */
export interface StatementRequirement {
  predicateType: string;
  /** Required annotations, matched against the subject's annotations (where cosign v3 puts `-a`). */
  annotations?: Readonly<Record<string, string>>;
}

/** Why a verified statement does not do; `otherPredicateType` when that is the reason. */
export interface StatementProblem {
  reason: string;
  otherPredicateType?: string;
}

/** The problem of a statement whose predicate type is not the one wanted. */
export function predicateTypeMismatch(found: string, wanted: string): StatementProblem {
  return { reason: `the statement's predicate type is ${found}, not ${wanted}`, otherPredicateType: found };
}

/**
 * Why a verified statement does not satisfy the requirement (a subject naming `digest`, the predicate
 * type, the annotations on a subject naming it), or undefined when it does.
 */
export function statementProblem(
  statement: InTotoStatement,
  digest: string,
  requirement: StatementRequirement,
): StatementProblem | undefined {
  const subjects = subjectsNaming(statement, digest);
  if (subjects.length === 0)
    return {
      reason: `the statement's subjects name ${statement.subject
        .map((s) =>
          Object.entries(s.digest)
            .map(([a, h]) => `${a}:${h}`)
            .join('/'),
        )
        .join(', ')}, not ${digest}`,
    };
  if (statement.predicateType !== requirement.predicateType)
    return predicateTypeMismatch(statement.predicateType, requirement.predicateType);
  const wanted = requirement.annotations ?? {};
  if (Object.keys(wanted).length === 0) return undefined;
  if (subjects.some((subject) => missingAnnotations(subject.annotations, wanted).length === 0))
    return undefined;
  return {
    reason: `annotation mismatch: wanted ${missingAnnotations(subjects[0]?.annotations, wanted).join(', ')}`,
  };
}

type Source = SignatureOutcome['source'];
type Format = SignatureOutcome['format'];

export function rejected(
  source: Source,
  format: Format,
  artefact: string | undefined,
  reason: string,
  otherPredicateType?: string,
): SignatureCheck {
  return {
    outcome: {
      source,
      format,
      ...(artefact && { artefact }),
      verified: false,
      reason,
      ...(otherPredicateType !== undefined && { otherPredicateType }),
    },
  };
}

/** A failed fetch: a registry failure if the registry did not answer, else a rejection with the reason. */
export function fetchFailed(
  source: Source,
  format: Format,
  artefact: string | undefined,
  error: unknown,
  what: string,
): SignatureCheck {
  const kind = registryFailureKind(error);
  const check = rejected(source, format, artefact, `cannot read ${what}: ${describeError(error)}`);
  return kind ? { ...check, failure: kind } : check;
}

/** The first key of the authority that `verify` accepts, if any. */
export function findKey(authority: KeyAuthority, verify: (key: PublicKey) => boolean): PublicKey | undefined {
  return authority.keys.find(verify);
}

/**
 * The transparency-log part of a legacy signature check (`.sig` and `.att` layers alike): with no
 * Rekor keys configured nothing is checked; with Rekor keys the layer must carry a Rekor bundle that
 * verifies and records this signature.
 */
export function checkLegacyTlog(
  annotations: Readonly<Record<string, string>> | undefined,
  authority: KeyAuthority,
  input: Omit<RekorSetInput, 'bundle' | 'rekorKeys'>,
): { ok: true; tlog: TransparencyLogOutcome } | { ok: false; reason: string } {
  const annotation = annotations?.[CosignAnnotation.REKOR_BUNDLE];
  if (!authority.rekorKeys?.length) {
    return {
      ok: true,
      tlog: {
        status: 'not-checked',
        detail: annotation
          ? 'the signature carries a Rekor bundle, but no Rekor key was given, so it was not checked'
          : 'no Rekor key was given and the signature carries no Rekor bundle',
      },
    };
  }
  if (annotation === undefined)
    return { ok: false, reason: 'a Rekor entry is required, but the signature carries no Rekor bundle' };
  let bundle: RekorBundle;
  try {
    bundle = parseRekorBundle(annotation);
  } catch (error) {
    return {
      ok: false,
      reason: error instanceof SignatureError ? error.message : 'the Rekor bundle is malformed',
    };
  }
  const result = verifyRekorBundle({ ...input, bundle, rekorKeys: authority.rekorKeys });
  if (!result.ok) return { ok: false, reason: result.reason };
  return {
    ok: true,
    tlog: {
      status: 'verified',
      detail: `Rekor entry ${result.logIndex} (log ${result.logId.slice(0, 16)}…, integrated ${result.integratedTime.toISOString()}) verified offline`,
    },
  };
}
