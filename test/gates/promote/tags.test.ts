import { describe, expect, it } from 'vitest';
import { PromoteError } from '../../../src/gates/promote/errors.js';
import { checkTemplate, compileGoRegexp, expandTemplate } from '../../../src/gates/promote/tags/go-regexp.js';
import { isArtefactTag, TagPolicy, type TagPolicySpec } from '../../../src/gates/promote/tags/policy.js';
import { parseTagVersion, SemverRange } from '../../../src/gates/promote/tags/semver.js';

const DIGEST_HEX = 'a'.repeat(64);

function ranked(spec: TagPolicySpec, tags: string[]): string[] {
  return new TagPolicy(spec).rank(tags).candidates.map((candidate) => candidate.tag);
}

function semver(range: string, tags: string[]): string[] {
  return ranked({ ordering: { kind: 'semver', range } }, tags);
}

function satisfies(range: string, version: string): boolean {
  const parsed = parseTagVersion(version);
  if (!parsed) throw new Error(`test vector ${version} is not a strict version`);
  return SemverRange.parse(range).test(parsed);
}

describe('tag versions (fluxcd/pkg ParseVersion: strict semver, optional leading v)', () => {
  it.each([
    ['v1.2.3', true],
    ['1.2.3', true],
    ['v1.0', false],
    ['v1', false],
    ['v1.2.beta', false],
    ['v1.2-5', false],
    ['v1.2-beta.5', false],
    ['\nv1.2', false],
    ['v1.2.0-x.Y.0+metadata', true],
    ['v1.2.0-x.Y.0+metadata-width-hypen', true],
    ['v1.2.3-rc1-with-hypen', true],
    ['v1.2.3.4', false],
    ['01.2.3', false],
    ['1.2.3-01', false],
    ['vv1.2.3', false],
    ['1.2.3-', false],
    ['1.2.3+', false],
    ['latest', false],
    ['18446744073709551616.0.0', false],
    ['18446744073709551615.0.0', true],
  ])('%j parses: %s', (tag, valid) => {
    expect(parseTagVersion(tag) !== undefined).toBe(valid);
  });
});

describe('semver ranges (Masterminds/semver v3 constraints)', () => {
  it.each([
    '1.0.x',
    '^1.0',
    '=1.0.0',
    '~1.0',
    '>=1.0',
    '>0,<2.0',
    '>= 1.2.3 < 2.0 || => 3.0 < 4',
    '1 - 2',
    '*',
  ])('accepts %j', (range) => {
    expect(() => SemverRange.parse(range)).not.toThrow();
  });

  it.each([
    '1.0.0p',
    '1x',
    'x1',
    '-1',
    'a',
    '',
    '>= bar',
    'BAR >= 1.2.3',
    '12.3.4.1234',
    '12.3.34~ 1.2.3',
    '>=1,,<2',
  ])('rejects %j', (range) => {
    expect(() => SemverRange.parse(range)).toThrow(PromoteError);
    expect(() => SemverRange.parse(range)).toThrow(expect.objectContaining({ code: 'INVALID_SEMVER_RANGE' }));
  });

  it('rejects ranges over the length and group limits', () => {
    expect(() => SemverRange.parse(`>=${'1'.repeat(520)}`)).toThrow(/longer than 512/);
    expect(() => SemverRange.parse(Array.from({ length: 33 }, () => '1.0.0').join(' || '))).toThrow(/32/);
  });

  // Vectors from Masterminds' own constraint tests (versions written out in full).
  it.each([
    ['*', '1.2.3', true],
    ['~0.0.0', '1.2.3', true],
    ['0.x.x', '1.2.3', false],
    ['0.0.x', '1.2.3', false],
    ['0.0.0', '1.2.3', false],
    ['^0.0.0', '1.2.3', false],
    ['= 2.0', '1.2.3', false],
    ['= 2.0', '2.0.0', true],
    ['=2.0', '2.0.1', true],
    ['4.1', '4.1.0', true],
    ['4.1.x', '4.1.3', true],
    ['1.x', '1.4.0', true],
    ['!=4.1', '4.1.0', false],
    ['!=4.1', '4.1.1', false],
    ['!=4.1-alpha', '4.1.0-alpha', false],
    ['!=4.1-alpha', '4.1.1-alpha', false],
    ['!=4.1-alpha', '4.1.0', true],
    ['!=4.1', '5.1.0', true],
    ['!=4.x', '5.1.0', true],
    ['!=4.x', '4.1.0', false],
    ['!=4.1.x', '4.2.0', true],
    ['!=4.2.x', '4.2.3', false],
    ['>1.1', '4.1.0', true],
    ['>1.1', '1.1.0', false],
    ['>11', '11.1.0', false],
    ['>11.1', '11.1.1', false],
    ['>11.1', '11.2.1', true],
    ['<1.1', '0.1.0', true],
    ['<1.1', '1.1.0', false],
    ['<1.x', '1.1.1', false],
    ['<1.x', '0.1.1', true],
    ['<1.1.x', '1.1.500', false],
    ['<1.2.x', '1.1.1', true],
    ['>=1.1', '4.1.0-beta', false],
    ['>=1.1', '0.0.9', false],
    ['<=1.1', '0.1.0-alpha', false],
    ['<=1.1-a', '0.1.0-alpha', true],
    ['<=1.x', '1.1.0', true],
    ['<=2.x', '3.0.0', false],
    ['<=1.1', '1.1.1', true],
    ['<=1.1.x', '1.2.500', false],
    ['<=4.5', '4.6.3', false],
    ['>1.1, <2', '1.1.1', false],
    ['>1.1, <2', '1.2.1', true],
    ['>=1.1, <2, !=1.2.3', '1.2.3', false],
    ['>=1.1    <2    !=1.2.3', '1.2.3', false],
    ['>=1.1, <2, !=1.2.3 || > 3', '4.1.2', true],
    ['>=1.1, <2, !=1.2.3 || > 3', '3.1.2', false],
    ['>=1.1, <2, !=1.2.3 || >= 3', '3.0.0', true],
    ['> 1.1, <     2', '1.1.1', false],
    ['1.1 - 2', '1.1.1', true],
    ['1.5.0 - 4.5', '3.7.0', true],
    ['1.1-3', '4.3.2', false],
    ['1.0.0 - 2.0.0 <=2.0.0', '1.5.0', true],
    ['^1.1', '1.1.1', true],
    ['^1.1', '4.3.2', false],
    ['^1.x', '1.1.1-beta1', false],
    ['^1.1.2-alpha', '1.2.1-beta1', true],
    ['^1.2.x-alpha', '1.1.1-beta1', false],
    ['^0.2.3', '0.2.5', true],
    ['^0.2.3', '0.5.6', false],
    ['^0.0.3', '0.0.4', false],
    ['^0.0', '0.0.3', true],
    ['^0.0', '0.1.4', false],
    ['^0', '0.2.3', true],
    ['^0', '1.1.4', false],
    ['~*', '2.1.1', true],
    ['~1', '2.1.1', false],
    ['~1', '1.3.5', true],
    ['~1', '1.3.5-beta', false],
    ['~1.1', '1.1.1-alpha', false],
    ['~1.1-alpha', '1.1.1-beta', true],
    ['~1.1.1-beta', '1.1.1-alpha', false],
    ['~1.1.1-beta', '1.1.1', true],
    ['~1.2.3', '1.2.2', false],
    ['~1.2.3', '1.3.2', false],
    ['>0.0.0-0', '0.0.0-alpha', true],
    ['>0-0', '0.0.0-alpha', false],
    ['>=0-0', '0.0.1-alpha', true],
    ['<0-z', '0.0.0-alpha', true],
    ['*', '1.2.3-alpha.1', false],
    ['*-0', '1.2.3-alpha.1', true],
  ])('%j satisfied by %s: %s', (range, version, expected) => {
    expect(satisfies(range, version)).toBe(expected);
  });

  // Where Masterminds (and so Flux) and the npm `semver` package disagree.
  it.each([
    // A pre-release anywhere in the AND group admits pre-releases of every version, not only of 1.0.0.
    ['>=1.0.0-0 <2.0.0', '1.5.0-rc.1', true],
    ['>=1.0.0-0, <2.0.0', '2.0.0-rc.1', true],
    ['>=1.2.0-alpha <1.3.0', '1.3.0-alpha', true],
    ['>1.2.3-alpha.1', '1.3.3-alpha.2', true],
    ['~1.2.3-beta.2', '1.2.4-beta.2', true],
    ['^0.2.3-beta.2', '0.2.4-beta.2', true],
    // Without a pre-release in its own group, a group admits none.
    ['>=1.0.0 <2.0.0 || >=3.0.0-0', '1.5.0-rc.1', false],
    ['>=1.0.0 <2.0.0 || >=3.0.0-0', '3.1.0-rc.1', true],
  ])('%j satisfied by %s: %s (npm semver differs)', (range, version, expected) => {
    expect(satisfies(range, version)).toBe(expected);
  });
});

describe('semver policy ordering', () => {
  it('elects as Flux does and orders the rest newest first (invalid versions skipped)', () => {
    expect(semver('1.0.x', ['1.0.0', '1.0.0.1', '1.0.0p', '1.0.1', '1.2.0', '0.1.0'])).toEqual([
      '1.0.1',
      '1.0.0',
    ]);
    expect(semver('1.0.x', ['v1.2.3', 'v1.0.0', 'v0.1.0'])).toEqual(['v1.0.0']);
    expect(semver('1.0.x', ['b1.2.3', 'b1.0.0', 'b0.1.0'])).toEqual([]);
    expect(semver('>=1.0.0', ['1.9.0', '1.10.0', 'v1.2.0', 'latest', 'main'])).toEqual([
      '1.10.0',
      '1.9.0',
      'v1.2.0',
    ]);
  });

  it('admits pre-releases only when the range carries a pre-release (-0)', () => {
    const tags = ['1.0.0', '1.1.0-rc.1', '1.1.0-rc.2', '1.0.1', '2.0.0-beta.1'];
    expect(semver('>=1.0.0', tags)).toEqual(['1.0.1', '1.0.0']);
    expect(semver('>=1.0.0-0', tags)).toEqual(['2.0.0-beta.1', '1.1.0-rc.2', '1.1.0-rc.1', '1.0.1', '1.0.0']);
    // 1.1.0-rc.N precede 1.1.0, so `<1.1.0` admits them (and 2.0.0-beta.1 is out of range).
    expect(semver('>=1.0.0-0 <1.1.0', tags)).toEqual(['1.1.0-rc.2', '1.1.0-rc.1', '1.0.1', '1.0.0']);
  });

  it('breaks ties between equal versions the way Flux elects (first in lexical order)', () => {
    expect(semver('*', ['v1.0.0', '1.0.0+build.2', '1.0.0', '0.9.0'])).toEqual([
      '1.0.0',
      '1.0.0+build.2',
      'v1.0.0',
      '0.9.0',
    ]);
  });

  it('compares a pinned tag with a candidate under the policy', () => {
    const policy = new TagPolicy({ ordering: { kind: 'semver', range: '>=1.0.0' } });
    expect(policy.compareTags('1.10.0', 'v1.9.0')).toBeGreaterThan(0);
    expect(policy.compareTags('1.0.0', 'v1.0.0')).toBe(0);
    expect(policy.compareTags('0.5.0', '1.0.0')).toBeLessThan(0); // outside the range, still comparable
    expect(policy.compareTags('latest', '1.0.0')).toBeUndefined();
  });
});

describe('alphabetical and numerical ordering', () => {
  const letters = 'abcdefghij'.split('');

  it('alphabetical asc elects the last string, desc the first', () => {
    expect(ranked({ ordering: { kind: 'alphabetical', order: 'asc' } }, letters)[0]).toBe('j');
    expect(ranked({ ordering: { kind: 'alphabetical', order: 'desc' } }, letters)[0]).toBe('a');
    expect(
      ranked({ ordering: { kind: 'alphabetical', order: 'asc' } }, [
        'RELEASE.2024-01-02',
        'RELEASE.2023-12-31',
        'RELEASE.2024-01-10',
      ]),
    ).toEqual(['RELEASE.2024-01-10', 'RELEASE.2024-01-02', 'RELEASE.2023-12-31']);
  });

  it('numerical compares numbers, not strings, and skips tags that are not numbers', () => {
    const tags = ['1.5', '1.10', '9', '10', 'latest', '0x10p0', 'inf', '3e2'];
    expect(ranked({ ordering: { kind: 'numerical', order: 'asc' } }, tags)).toEqual([
      '3e2',
      '10',
      '9',
      '1.5',
      '1.10',
    ]);
    expect(ranked({ ordering: { kind: 'numerical', order: 'desc' } }, tags)).toEqual([
      '1.10',
      '1.5',
      '9',
      '10',
      '3e2',
    ]);
    const policy = new TagPolicy({ ordering: { kind: 'numerical', order: 'asc' } });
    expect(policy.rank(tags).counts.notCandidates).toBe(3);
  });

  it('numerical ties go to the later tag, as in Flux', () => {
    expect(ranked({ ordering: { kind: 'numerical', order: 'asc' } }, ['1', '1.0', '0'])).toEqual([
      '1.0',
      '1',
      '0',
    ]);
  });
});

describe('filterTags and extract', () => {
  const tags = [
    'main-0f3a1c2-1700000100',
    'main-9b8e7d6-1700000050',
    'main-abc1234-1700000200',
    'feature-x-1800000000',
    'main-zzzzzzz-1900000000',
    'main-abc1234-1700000200.sig',
  ];

  it('filters with an RE2 pattern and orders by the extracted value', () => {
    const spec: TagPolicySpec = {
      ordering: { kind: 'numerical', order: 'asc' },
      pattern: '^main-[a-fA-F0-9]+-(?P<ts>[0-9]+)',
      extract: '$ts',
    };
    const result = new TagPolicy(spec).rank(tags);
    expect(result.candidates).toEqual([
      { tag: 'main-abc1234-1700000200', value: '1700000200' },
      { tag: 'main-0f3a1c2-1700000100', value: '1700000100' },
      { tag: 'main-9b8e7d6-1700000050', value: '1700000050' },
    ]);
    expect(result.counts).toMatchObject({ listed: 6, artefacts: 1, filteredOut: 2 });
  });

  it('accepts braced and numbered group references, and semver on the extracted value', () => {
    const semverTags = ['app-v1.2.0-linux', 'app-v1.10.0-linux', 'app-v2.0.0-windows', 'app-latest-linux'];
    const spec = (extract: string): TagPolicySpec => ({
      ordering: { kind: 'semver', range: '^1' },
      pattern: '^app-(?P<version>v[0-9.]+)-linux$',
      extract,
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go template syntax, not a JavaScript template
    expect(ranked(spec('${version}'), semverTags)).toEqual(['app-v1.10.0-linux', 'app-v1.2.0-linux']);
    expect(ranked(spec('$1'), semverTags)).toEqual(['app-v1.10.0-linux', 'app-v1.2.0-linux']);
  });

  it('collapses tags extracting the same value to the later one', () => {
    const spec: TagPolicySpec = {
      ordering: { kind: 'alphabetical', order: 'asc' },
      pattern: '^build-(?P<n>[0-9]+)-',
      extract: '$n',
    };
    expect(ranked(spec, ['build-7-a', 'build-7-b', 'build-6-c'])).toEqual(['build-7-b', 'build-6-c']);
  });

  it('expands templates with Go Regexp.Expand rules', () => {
    const re = compileGoRegexp('(?P<first>a+)(b+)?(?P<third>c)');
    const match = re.exec('xaacz');
    if (!match) throw new Error('no match');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go template syntax, not a JavaScript template
    expect(expandTemplate('$first-$2-${third}', match)).toBe('aa--c');
    expect(expandTemplate('$$first', match)).toBe('$first');
    expect(expandTemplate('$1x', match)).toBe(''); // `$1x` names a group "1x", which does not exist
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go template syntax, not a JavaScript template
    expect(expandTemplate('${1}x', match)).toBe('aax');
    expect(expandTemplate('cost: $-', match)).toBe('cost: $-');
  });

  it('uses RE2 syntax, not JavaScript RegExp', () => {
    expect(compileGoRegexp('^(?P<v>[0-9]+)$').exec('42')?.groups[1]).toBe('42');
    for (const pattern of ['(?=lookahead)', '(a)\\1'])
      expect(() => compileGoRegexp(pattern)).toThrow(expect.objectContaining({ code: 'INVALID_REGEXP' }));
  });

  it('rejects extract templates naming groups the pattern lacks', () => {
    const re = compileGoRegexp('^v(?P<version>.*)$');
    expect(() => checkTemplate('$version', re)).not.toThrow();
    expect(() => checkTemplate('$1', re)).not.toThrow();
    expect(() => checkTemplate('$ts', re)).toThrow(/does not name/);
    expect(() => checkTemplate('$2', re)).toThrow(/1 group/);
    expect(() => checkTemplate('${unclosed', re)).toThrow(/must start/);
  });
});

describe('tags that are never versions', () => {
  it.each([
    [`sha256-${DIGEST_HEX}`, true],
    [`sha256-${DIGEST_HEX}.sig`, true],
    [`sha256-${DIGEST_HEX}.att`, true],
    [`sha256-${DIGEST_HEX}.sbom`, true],
    ['v1.0.0.sig', true],
    ['anything.sbom', true],
    [`sha256-${'a'.repeat(63)}`, false],
    ['v1.0.0', false],
    ['signature', false],
  ])('%s is an artefact tag: %s', (tag, expected) => {
    expect(isArtefactTag(tag)).toBe(expected);
  });

  it('are skipped whatever the exclusion list and filter say', () => {
    const tags = [`sha256-${DIGEST_HEX}`, `sha256-${'f'.repeat(64)}.att`, 'v1.0.0.sbom', 'v0.9.0'];
    const spec: TagPolicySpec = {
      ordering: { kind: 'alphabetical', order: 'asc' },
      pattern: '.*',
      exclusionList: ['^never$'],
    };
    expect(ranked(spec, tags)).toEqual(['v0.9.0']);
  });

  it('applies the exclusion list, defaulting to Flux`s when empty', () => {
    const alphabetical = { kind: 'alphabetical', order: 'asc' } as const;
    const tags = ['dev-1', 'v1', 'v2.sig-not'];
    expect(ranked({ ordering: alphabetical, exclusionList: ['^dev-'] }, tags)).toEqual(['v2.sig-not', 'v1']);
    expect(
      new TagPolicy({ ordering: alphabetical, exclusionList: [] }).rank(['a', 'b.sig']).counts,
    ).toMatchObject({
      artefacts: 1,
      excluded: 0,
    });
    expect(
      new TagPolicy({ ordering: alphabetical, exclusionList: ['^a$'] }).rank(['a', 'b']).counts.excluded,
    ).toBe(1);
  });
});
