import { registryFailureKind } from '../registry/index.js';
import type { ImageArtefacts } from '../signature/index.js';
import type { SignatureAuthority } from './authority.js';
import type { SignatureCheck } from './check.js';
import { VerifyError } from './errors.js';
import { contentProblem } from './failures.js';
import { FORMAT_MODULES } from './format-modules.js';
import { formatsRead } from './kinds.js';
import type { CandidateCheck, CheckRequest } from './reader.js';
import type { LookupFailure } from './summary.js';

/** Everything an authority found, ready for `summarize`. */
export interface CollectedChecks {
  checks: SignatureCheck[];
  lookupFailures: LookupFailure[];
  problems: string[];
  looked: string[];
}

/**
 * The lookup every authority shares, whatever its kind and whatever it looks for: the formats its
 * kind reads (`kinds.ts`), in that order, each read only when nothing verified in the ones before
 * (for key and keyless: the legacy tags first, then the bundle referrers; see `ImageArtefacts` for
 * what each costs — the verdict does not depend on the order). An authority restricted to one format
 * (`signatureFormat`) reads only that one. A registry that fails to answer is recorded as a lookup
 * failure, never as "nothing found"; content that cannot be read is a problem with a reason.
 */
export async function collectChecks(
  artefacts: ImageArtefacts,
  authority: SignatureAuthority,
  request: CheckRequest,
  /** A further judgement of each check (an attestation's condition), made before the lookup goes on. */
  judge: (check: SignatureCheck) => SignatureCheck = (check) => check,
): Promise<CollectedChecks> {
  const collected: CollectedChecks = { checks: [], lookupFailures: [], problems: [], looked: [] };
  const formats = formatsRead(authority.type, authority.signatureFormat);
  if (formats.length === 0)
    throw new VerifyError(
      'POLICY_INVALID',
      `${authority.type} authorities do not read ${authority.signatureFormat} signatures`,
    );
  for (const format of formats) {
    const reader = await FORMAT_MODULES[format].reader();
    const check = reader.checks[authority.type] as CandidateCheck<unknown, SignatureAuthority> | undefined;
    if (check === undefined)
      throw new VerifyError(
        'POLICY_INVALID',
        `the ${format} format has no check for ${authority.type} authorities`,
      );
    try {
      const found = await reader.find(artefacts, request.purpose);
      collected.looked.push(found.location);
      if (found.problem) collected.problems.push(found.problem);
      // Each candidate is fetched once (ImageArtefacts); they are independent, so check them together.
      const checks = await Promise.all(
        found.candidates.map((candidate) => check(candidate, authority, request)),
      );
      collected.checks.push(...checks.map(judge));
    } catch (error) {
      const step = reader.lookupStep(request.purpose);
      if (registryFailureKind(error)) collected.lookupFailures.push({ what: step, error });
      else collected.problems.push(`${step}: ${contentProblem(error)}`);
    }
    if (collected.checks.some((c) => c.outcome.verified)) break;
  }
  return collected;
}
