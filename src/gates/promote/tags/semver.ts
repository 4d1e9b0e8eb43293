/**
 * Semantic versions and ranges with the semantics Flux users know: Flux elects tags with
 * Masterminds/semver v3 (`NewConstraint` + `Check`) over tags parsed by fluxcd/pkg `ParseVersion`
 * (strict semver, one optional leading `v`). The npm `semver` package differs in ways that change
 * which tag is elected, so this module implements the Masterminds rules instead:
 *
 * - a pre-release version satisfies a range only when some comparator of the same AND group names a
 *   pre-release (`>=1.0.0-0` admits `1.5.0-rc.1`; npm would only admit pre-releases of 1.0.0);
 * - `~`, `^`, `x`/`X`/`*` wildcards, partial versions (`>1.1` means "1.2 or later"), hyphen ranges
 *   (`1.2 - 1.4`), `||` between groups, commas or spaces inside a group, at most 512 characters and
 *   32 groups;
 * - an empty range is an error (Flux rejects it too).
 */
import { PromoteError } from '../errors.js';

const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_RANGE_LENGTH = 512;
const MAX_GROUPS = 32;

export interface SemVersion {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  /** Without the leading `-`; empty for a release. */
  readonly prerelease: string;
  /** Without the leading `+`; ignored by every comparison. */
  readonly metadata: string;
}

const NUMERIC = /^(?:0|[1-9][0-9]*)$/;
const PRERELEASE_ID = /^(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)$/;
const METADATA_ID = /^[0-9A-Za-z-]+$/;

function uint64(text: string): bigint | undefined {
  const value = BigInt(text);
  return value <= MAX_UINT64 ? value : undefined;
}

function validIdentifiers(text: string, pattern: RegExp): boolean {
  return text.split('.').every((id) => pattern.test(id));
}

/**
 * A tag as Flux reads it for a semver policy: strict `MAJOR.MINOR.PATCH[-pre][+meta]` after removing
 * one leading `v`. Anything else (`1.2`, `v1`, `1.2.3.4`, `01.2.3`, `latest`) is not a version.
 */
export function parseTagVersion(tag: string): SemVersion | undefined {
  const text = tag.startsWith('v') ? tag.slice(1) : tag;
  const plus = text.indexOf('+');
  const core = plus >= 0 ? text.slice(0, plus) : text;
  const metadata = plus >= 0 ? text.slice(plus + 1) : '';
  if (plus >= 0 && !validIdentifiers(metadata, METADATA_ID)) return undefined;
  const dash = core.indexOf('-');
  const numbers = dash >= 0 ? core.slice(0, dash) : core;
  const prerelease = dash >= 0 ? core.slice(dash + 1) : '';
  if (dash >= 0 && !validIdentifiers(prerelease, PRERELEASE_ID)) return undefined;
  const parts = numbers.split('.');
  if (parts.length !== 3 || !parts.every((part) => NUMERIC.test(part))) return undefined;
  const [major, minor, patch] = parts.map(uint64);
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  return { major, minor, patch, prerelease, metadata };
}

/**
 * The lenient parser Masterminds uses for the versions inside a range: one to three numbers (leading
 * zeros tolerated), optional `v`, pre-release and metadata.
 */
function parseRangeVersion(text: string): SemVersion | undefined {
  const match =
    /^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/.exec(
      text,
    );
  if (!match) return undefined;
  const prerelease = match[4] ?? '';
  if (prerelease && !validIdentifiers(prerelease, PRERELEASE_ID)) return undefined;
  const major = uint64(match[1] as string);
  const minor = uint64(match[2] ?? '0');
  const patch = uint64(match[3] ?? '0');
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  return { major, minor, patch, prerelease, metadata: match[5] ?? '' };
}

function compareBig(a: bigint, b: bigint): number {
  return a === b ? 0 : a > b ? 1 : -1;
}

function isUnsignedDecimal(text: string): boolean {
  return /^[0-9]+$/.test(text) && BigInt(text) <= MAX_UINT64;
}

/** One dot-separated pre-release identifier against another; a missing identifier sorts first. */
function comparePrereleasePart(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return -1;
  if (b === '') return 1;
  const aNumeric = isUnsignedDecimal(a);
  const bNumeric = isUnsignedDecimal(b);
  if (aNumeric && bNumeric) return compareBig(BigInt(a), BigInt(b));
  if (aNumeric) return -1;
  if (bNumeric) return 1;
  return a > b ? 1 : -1;
}

function comparePrerelease(a: string, b: string): number {
  const aParts = a.split('.');
  const bParts = b.split('.');
  for (let i = 0; i < Math.max(aParts.length, bParts.length); i++) {
    const result = comparePrereleasePart(aParts[i] ?? '', bParts[i] ?? '');
    if (result !== 0) return result;
  }
  return 0;
}

/** Semantic-version precedence (metadata ignored), as Masterminds `Version.Compare`. */
export function compareVersions(a: SemVersion, b: SemVersion): number {
  const core = compareBig(a.major, b.major) || compareBig(a.minor, b.minor) || compareBig(a.patch, b.patch);
  if (core !== 0) return core;
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === '') return 1;
  if (b.prerelease === '') return -1;
  return comparePrerelease(a.prerelease, b.prerelease);
}

type Operator = '' | '=' | '!=' | '>' | '<' | '>=' | '=>' | '<=' | '=<' | '~' | '~>' | '^';

/** The order Masterminds tries operators in; the first that leaves a valid version wins. */
const OPERATORS: readonly Operator[] = ['=', '', '!=', '>', '<', '>=', '=>', '<=', '=<', '~', '~>', '^'];

interface Comparator {
  operator: Operator;
  version: SemVersion;
  /** Some part was a wildcard or missing: `1`, `1.x`, `1.2`, `*`. */
  dirty: boolean;
  /** The minor part was a wildcard or missing (`1`, `1.x`). */
  minorDirty: boolean;
  /** The patch part was a wildcard or missing (`1.2`, `1.2.x`). */
  patchDirty: boolean;
}

const WHITESPACE = /[ \t\n\f\r]/;
const SEGMENT_CHAR = /[0-9xX*]/;
const IDENT_CHAR = /[0-9A-Za-z-]/;

function isWildcard(segment: string): boolean {
  return segment === 'x' || segment === 'X' || segment === '*';
}

function skipWhitespace(text: string, index: number): number {
  let i = index;
  while (i < text.length && WHITESPACE.test(text[i] as string)) i++;
  return i;
}

function scanWhile(text: string, index: number, pattern: RegExp): number {
  let i = index;
  while (i < text.length && pattern.test(text[i] as string)) i++;
  return i;
}

/** Dot-separated identifiers of [0-9A-Za-z-] from `index`; returns the end, or `index` when there is none. */
function scanIdentifiers(text: string, index: number): number {
  let end = scanWhile(text, index, IDENT_CHAR);
  if (end === index) return index;
  while (text[end] === '.') {
    const next = scanWhile(text, end + 1, IDENT_CHAR);
    if (next === end + 1) break;
    end = next;
  }
  return end;
}

interface ScannedVersion {
  end: number;
  major: string;
  minor?: string;
  patch?: string;
  prerelease?: string;
}

/** The version part of one comparator: `v?SEG(.SEG)?(.SEG)?(-pre)?(+meta)?`, segments being digits or wildcards. */
function scanVersion(text: string, start: number): ScannedVersion | undefined {
  let i = start;
  if (text[i] === 'v') i++;
  const segments: string[] = [];
  for (let part = 0; part < 3; part++) {
    if (part > 0) {
      if (text[i] !== '.' || !SEGMENT_CHAR.test(text[i + 1] ?? '')) {
        if (text[i] === '.') return undefined;
        break;
      }
      i++;
    }
    const end = scanWhile(text, i, SEGMENT_CHAR);
    if (end === i) return undefined;
    segments.push(text.slice(i, end));
    i = end;
  }
  let prerelease: string | undefined;
  if (text[i] === '-') {
    const end = scanIdentifiers(text, i + 1);
    if (end === i + 1) return undefined;
    prerelease = text.slice(i + 1, end);
    i = end;
  }
  if (text[i] === '+') {
    const end = scanIdentifiers(text, i + 1);
    if (end === i + 1) return undefined;
    i = end;
  }
  return {
    end: i,
    major: segments[0] as string,
    ...(segments[1] !== undefined && { minor: segments[1] }),
    ...(segments[2] !== undefined && { patch: segments[2] }),
    ...(prerelease !== undefined && { prerelease }),
  };
}

/** One comparator (operator, optional spaces, version) starting at `start` after optional spaces. */
function scanComparator(
  text: string,
  start: number,
): { operator: Operator; version: ScannedVersion } | undefined {
  const at = skipWhitespace(text, start);
  for (const operator of OPERATORS) {
    if (!text.startsWith(operator, at)) continue;
    const version = scanVersion(text, skipWhitespace(text, at + operator.length));
    if (version) return { operator, version };
  }
  return undefined;
}

function toComparator(operator: Operator, scanned: ScannedVersion, source: string): Comparator {
  const pre = scanned.prerelease !== undefined ? `-${scanned.prerelease}` : '';
  let text: string;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isWildcard(scanned.major)) {
    text = `0.0.0${pre}`;
    dirty = true;
  } else if (scanned.minor === undefined || isWildcard(scanned.minor)) {
    text = `${scanned.major}.0.0${pre}`;
    dirty = minorDirty = true;
  } else if (scanned.patch === undefined || isWildcard(scanned.patch)) {
    text = `${scanned.major}.${scanned.minor}.0${pre}`;
    dirty = patchDirty = true;
  } else {
    text = `${scanned.major}.${scanned.minor}.${scanned.patch}${pre}`;
  }
  const version = parseRangeVersion(text);
  if (!version)
    throw new PromoteError('INVALID_SEMVER_RANGE', `improper constraint: ${JSON.stringify(source.trim())}`);
  return { operator, version, dirty, minorDirty, patchDirty };
}

/** Splits one `||` group into comparators separated by whitespace or a comma. */
function parseGroup(group: string): Comparator[] {
  const improper = () =>
    new PromoteError('INVALID_SEMVER_RANGE', `improper constraint: ${JSON.stringify(group.trim())}`);
  const comparators: Comparator[] = [];
  let position = 0;
  for (;;) {
    let start = position;
    if (comparators.length > 0) {
      const next = skipWhitespace(group, position);
      if (next === group.length) break;
      if (group[next] === ',') start = next + 1;
      else if (next === position) throw improper();
      else start = next;
    }
    const scanned = scanComparator(group, start);
    if (!scanned) throw improper();
    comparators.push(
      toComparator(scanned.operator, scanned.version, group.slice(start, scanned.version.end)),
    );
    position = scanned.version.end;
    if (position >= group.length) break;
  }
  return comparators;
}

const RANGE_VERSION =
  'v?[0-9xX*]+(?:\\.[0-9xX*]+)?(?:\\.[0-9xX*]+)?(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?';
const HYPHEN_RANGE = new RegExp(`\\s*(${RANGE_VERSION})\\s+-\\s+(${RANGE_VERSION})\\s*`, 'g');

/** A parsed range: `||` groups of comparators that must all hold. */
export class SemverRange {
  private constructor(
    readonly source: string,
    private readonly groups: readonly (readonly Comparator[])[],
    /** Per group: some comparator names a pre-release, so pre-release versions may match that group. */
    private readonly groupAdmitsPrereleases: readonly boolean[],
  ) {}

  /** Parses a Masterminds constraint; throws PromoteError INVALID_SEMVER_RANGE with the reason. */
  static parse(source: string): SemverRange {
    if (source.length > MAX_RANGE_LENGTH)
      throw new PromoteError('INVALID_SEMVER_RANGE', `range is longer than ${MAX_RANGE_LENGTH} characters`);
    const rewritten = source.replace(
      HYPHEN_RANGE,
      (_all, low: string, high: string) => `>= ${low}, <= ${high} `,
    );
    const parts = rewritten.split('||');
    if (parts.length > MAX_GROUPS)
      throw new PromoteError('INVALID_SEMVER_RANGE', `range has more than ${MAX_GROUPS} "||" groups`);
    const groups = parts.map(parseGroup);
    return new SemverRange(
      source,
      groups,
      groups.map((group) => group.some((comparator) => comparator.version.prerelease !== '')),
    );
  }

  /** Whether `version` satisfies the range (Masterminds `Constraints.Check`). */
  test(version: SemVersion): boolean {
    return this.groups.some((group, index) =>
      group.every((comparator) =>
        satisfies(version, comparator, this.groupAdmitsPrereleases[index] === true),
      ),
    );
  }
}

function satisfies(v: SemVersion, c: Comparator, admitPrereleases: boolean): boolean {
  if (v.prerelease !== '' && !admitPrereleases) return false;
  const con = c.version;
  switch (c.operator) {
    case '':
    case '=':
      return c.dirty ? tilde(v, c) : compareVersions(v, con) === 0;
    case '!=':
      return notEqual(v, c);
    case '>':
      return greaterThan(v, c);
    case '<':
      return compareVersions(v, con) < 0;
    case '>=':
    case '=>':
      return compareVersions(v, con) >= 0;
    case '<=':
    case '=<':
      return lessThanOrEqual(v, c);
    case '~':
    case '~>':
      return tilde(v, c);
    case '^':
      return caret(v, c);
  }
}

function notEqual(v: SemVersion, c: Comparator): boolean {
  const con = c.version;
  if (c.dirty) {
    if (con.major !== v.major) return true;
    if (con.minor !== v.minor && !c.minorDirty) return true;
    if (c.minorDirty) return false;
    if (con.patch !== v.patch && !c.patchDirty) return true;
    if (c.patchDirty) {
      if (v.prerelease !== '' || con.prerelease !== '')
        return comparePrerelease(v.prerelease, con.prerelease) !== 0;
      return false;
    }
  }
  return compareVersions(v, con) !== 0;
}

function greaterThan(v: SemVersion, c: Comparator): boolean {
  const con = c.version;
  if (!c.dirty) return compareVersions(v, con) > 0;
  if (v.major > con.major) return true;
  if (v.major < con.major) return false;
  // `>11` needs 12 or later; `>11.1` needs 11.2 or later.
  if (c.minorDirty) return false;
  if (c.patchDirty) return v.minor > con.minor;
  return compareVersions(v, con) > 0;
}

function lessThanOrEqual(v: SemVersion, c: Comparator): boolean {
  const con = c.version;
  if (!c.dirty) return compareVersions(v, con) <= 0;
  if (v.major > con.major) return false;
  if (v.major === con.major && v.minor > con.minor && !c.minorDirty) return false;
  return true;
}

function tilde(v: SemVersion, c: Comparator): boolean {
  const con = c.version;
  if (compareVersions(v, con) < 0) return false;
  if (con.major === 0n && con.minor === 0n && con.patch === 0n && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== con.major) return false;
  if (v.minor !== con.minor && !c.minorDirty) return false;
  return true;
}

function caret(v: SemVersion, c: Comparator): boolean {
  const con = c.version;
  if (compareVersions(v, con) < 0) return false;
  if (con.major > 0n || c.minorDirty) return v.major === con.major;
  if (v.major > 0n) return false;
  if (con.minor > 0n || c.patchDirty) return v.minor === con.minor;
  if (v.minor > 0n) return false;
  return v.patch === con.patch;
}
