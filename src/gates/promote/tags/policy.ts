/**
 * Which tags of a repository are candidate versions, and in which order (newest first), with the
 * semantics of Flux's ImageRepository `exclusionList` and ImagePolicy `filterTags` + `policy`.
 *
 * Ordering follows image-reflector-controller: `semver` elects the highest version in the range
 * (invalid versions skipped), `alphabetical` sorts the strings (`asc` elects the last), `numerical`
 * parses numbers (`asc` elects the largest). With `filterTags.extract` the policy compares the
 * extracted value, not the tag. Ties (equal versions such as `1.0.0` and `v1.0.0`, equal numbers
 * such as `1` and `1.0`) are broken the way Flux would elect among them: for semver the tag first in
 * lexical order wins, for numerical the last; with `extract`, tags extracting the same value collapse
 * to the last one in lexical order, as Flux's map of extracted values does.
 */
import { compileGoRegexp, expandTemplate, type GoRegexp } from './go-regexp.js';
import { compareVersions, parseTagVersion, type SemVersion, SemverRange } from './semver.js';

export type SortOrder = 'asc' | 'desc';

export type OrderingSpec =
  | { kind: 'semver'; range: string }
  | { kind: 'alphabetical'; order: SortOrder }
  | { kind: 'numerical'; order: SortOrder };

export interface TagPolicySpec {
  ordering: OrderingSpec;
  /** `filterTags.pattern`: only tags matching it (unanchored) are considered. */
  pattern?: string;
  /** `filterTags.extract`: what the policy compares, expanded from the pattern's groups. */
  extract?: string;
  /** The ImageRepository's `exclusionList` as given (empty or absent means Flux's default). */
  exclusionList?: readonly string[];
}

/** Flux's default `exclusionList` (hides cosign's legacy signature tags). */
export const FLUX_DEFAULT_EXCLUSIONS: readonly string[] = ['^.*\\.sig$'];

const SIGNATURE_SUFFIX = /\.(?:sig|att|sbom)$/;
const REFERRER_TAG = /^(?:sha256-[a-f0-9]{64}|sha512-[a-f0-9]{128})$/;

/**
 * Tags that name signatures, attestations, SBOMs or referrer indexes rather than image versions:
 * `*.sig`, `*.att`, `*.sbom` and the referrers tag schema's `sha256-<hex>`. They are never
 * candidates, whatever the user's exclusion list and filter say.
 */
export function isArtefactTag(tag: string): boolean {
  return SIGNATURE_SUFFIX.test(tag) || REFERRER_TAG.test(tag);
}

export interface Candidate {
  tag: string;
  /** What the policy ordered by: the tag, or the value `extract` produced from it. */
  value: string;
}

export interface RankedTags {
  /** Newest first. */
  candidates: Candidate[];
  counts: {
    listed: number;
    /** Signature, attestation, SBOM and referrer tags. */
    artefacts: number;
    /** Matched the ImageRepository's exclusion list. */
    excluded: number;
    /** Did not match `filterTags.pattern`. */
    filteredOut: number;
    /**
     * Not a version under the policy (invalid semver, not a number), outside the semver range, or
     * collapsed into a later tag that extracted the same value.
     */
    notCandidates: number;
  };
}

type Key = SemVersion | number | string;

const DECIMAL = /^[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?$/;

/**
 * A tag as a number for the numerical policy. Go's ParseFloat also reads hexadecimal floats, `inf` and
 * `nan`; such tags are not treated as numbers here (an `inf` tag must never be elected "newest").
 */
export function parseNumericTag(value: string): number | undefined {
  if (!DECIMAL.test(value)) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

function byteOrder(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** A compiled ImagePolicy tag policy. Construction throws PromoteError (INVALID_REGEXP, INVALID_SEMVER_RANGE) on invalid input. */
export class TagPolicy {
  private readonly range: SemverRange | undefined;
  private readonly filter: GoRegexp | undefined;
  private readonly exclusions: GoRegexp[];

  constructor(readonly spec: TagPolicySpec) {
    this.range = spec.ordering.kind === 'semver' ? SemverRange.parse(spec.ordering.range) : undefined;
    this.filter = spec.pattern !== undefined ? compileGoRegexp(spec.pattern) : undefined;
    const exclusions = spec.exclusionList?.length ? spec.exclusionList : FLUX_DEFAULT_EXCLUSIONS;
    this.exclusions = exclusions.map(compileGoRegexp);
  }

  /** Orders a repository's tags into candidates, newest first. */
  rank(tags: readonly string[]): RankedTags {
    const counts = { listed: tags.length, artefacts: 0, excluded: 0, filteredOut: 0, notCandidates: 0 };
    const sorted = [...tags].sort(byteOrder);
    // Extracted value → tag; a later tag replaces an earlier one with the same value, as in Flux.
    const byValue = new Map<string, string>();
    for (const tag of sorted) {
      if (isArtefactTag(tag)) counts.artefacts++;
      else if (this.exclusions.some((re) => re.test(tag))) counts.excluded++;
      else {
        const value = this.valueOf(tag);
        if (value === undefined) counts.filteredOut++;
        else {
          if (byValue.has(value)) counts.notCandidates++;
          byValue.set(value, tag);
        }
      }
    }
    const position = new Map(sorted.map((tag, index) => [tag, index]));
    const keyed: { candidate: Candidate; key: Key; position: number }[] = [];
    for (const [value, tag] of byValue) {
      const key = this.keyOf(value);
      if (key === undefined || (this.range && !this.range.test(key as SemVersion))) {
        counts.notCandidates++;
        continue;
      }
      keyed.push({ candidate: { tag, value }, key, position: position.get(tag) ?? 0 });
    }
    keyed.sort((a, b) => this.compareKeys(b.key, a.key) || this.tieBreak(a.position, b.position));
    return { candidates: keyed.map((entry) => entry.candidate), counts };
  }

  /**
   * Whether tag `a` is newer (> 0), the same version (0) or older (< 0) than tag `b` under this policy
   * — for instance a candidate against what Git pins. Undefined when either is not a version under the
   * policy (filtered out, not semver, not a number). The range is not applied: a pin outside today's
   * range still counts as what Git has.
   */
  compareTags(a: string, b: string): number | undefined {
    const aValue = this.valueOf(a);
    const bValue = this.valueOf(b);
    if (aValue === undefined || bValue === undefined) return undefined;
    const aKey = this.keyOf(aValue);
    const bKey = this.keyOf(bValue);
    if (aKey === undefined || bKey === undefined) return undefined;
    return this.compareKeys(aKey, bKey);
  }

  /** A short description for reports: `semver ">=1.0.0"`, `numerical asc`. */
  describe(): string {
    const ordering = this.spec.ordering;
    const base =
      ordering.kind === 'semver'
        ? `semver ${JSON.stringify(ordering.range)}`
        : `${ordering.kind} ${ordering.order}`;
    return this.filter ? `${base}, tags matching ${JSON.stringify(this.filter.source)}` : base;
  }

  private valueOf(tag: string): string | undefined {
    if (!this.filter) return tag;
    const match = this.filter.exec(tag);
    if (!match) return undefined;
    return this.spec.extract ? expandTemplate(this.spec.extract, match) : tag;
  }

  private keyOf(value: string): Key | undefined {
    switch (this.spec.ordering.kind) {
      case 'semver':
        return parseTagVersion(value);
      case 'numerical':
        return parseNumericTag(value);
      case 'alphabetical':
        return value;
    }
  }

  /** > 0 when key `a` is newer than `b`. */
  private compareKeys(a: Key, b: Key): number {
    const ordering = this.spec.ordering;
    switch (ordering.kind) {
      case 'semver':
        return compareVersions(a as SemVersion, b as SemVersion);
      case 'numerical': {
        const difference = Math.sign((a as number) - (b as number));
        return ordering.order === 'asc' ? difference : -difference;
      }
      case 'alphabetical': {
        const difference = byteOrder(a as string, b as string);
        return ordering.order === 'asc' ? difference : -difference;
      }
    }
  }

  /** Among equal keys, which tag Flux would elect first (positions are in lexical tag order). */
  private tieBreak(a: number, b: number): number {
    return this.spec.ordering.kind === 'semver' ? a - b : b - a;
  }
}
