/**
 * What a signature format provides to the verify layer (`verify/<format>/index.ts` exports one as
 * `reader`): how its candidates are found for an image, and how one is checked against an authority
 * of each kind that reads the format. See `formats.ts` for the whole contract.
 */
import type { ImageArtefacts } from '../signature/index.js';
import type { VerifyingAuthorities } from './authority.js';
import type { SignatureCheck } from './check.js';
import type { VerifyingKindName } from './kinds.js';

/** What is looked for: the image's signatures, or its attestations of one predicate type. */
export type Purpose = { kind: 'signatures' } | { kind: 'attestations'; predicateType: string };

/** What a check is asked about besides the candidate and the authority. */
export interface CheckRequest {
  /** The image digest the signature must be about. */
  digest: string;
  purpose: Purpose;
}

/** What a format found for an image. */
export interface Found<Candidate> {
  /** Where it looked, for "no signatures found for … (looked in …)". */
  location: string;
  candidates: readonly Candidate[];
  /** Why what is there cannot be read as this format (it rejects; it is no registry failure). */
  problem?: string;
}

export type CandidateCheck<Candidate, Authority> = (
  candidate: Candidate,
  authority: Authority,
  request: CheckRequest,
) => SignatureCheck | Promise<SignatureCheck>;

export interface FormatReader<Candidate = unknown> {
  /**
   * The candidates the image carries for `purpose`, from `artefacts` (shared by every authority and
   * format; a format keeps what it found with `artefacts.once`). Rejects with the RegistryError when
   * the lookup failed as a whole: then the outcome is a registry failure, never "nothing found".
   */
  find(artefacts: ImageArtefacts, purpose: Purpose): Promise<Found<Candidate>>;
  /** The lookup step in words, for a failure of `find`: `reading the .sig signatures`. */
  lookupStep(purpose: Purpose): string;
  /** One check per authority kind that reads this format (`kinds.ts`). */
  checks: {
    [K in VerifyingKindName]?: CandidateCheck<Candidate, VerifyingAuthorities[K]>;
  };
}
