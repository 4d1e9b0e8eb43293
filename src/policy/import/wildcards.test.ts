import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { globMatches } from '../glob.js';
import { globsIntersect, gobwasToGlobs, wildcardToGlob, wildcardToRegex } from './wildcards.js';

describe('source wildcards as ClusterImagePolicy globs', () => {
  it('turns a source * (which crosses "/") into ** and keeps literals', () => {
    expect(wildcardToGlob('ghcr.io/acme/*')).toEqual({ ok: true, glob: 'ghcr.io/acme/**', widened: false });
    expect(wildcardToGlob('ghcr.io/kyverno/test-verify-image:*')).toMatchObject({
      glob: 'ghcr.io/kyverno/test-verify-image:**',
    });
    const glob = (wildcardToGlob('ghcr.io/acme/*') as { glob: string }).glob;
    // The source pattern matched nested repositories; so must the glob.
    expect(globMatches(glob, 'ghcr.io/acme/team/app:v1')).toBe(true);
    expect(globMatches(glob, 'ghcr.io/other/app:v1')).toBe(false);
  });

  it('says when a ? (one character) became ** and refuses characters a glob cannot hold', () => {
    expect(wildcardToGlob('ghcr.io/app:v?')).toEqual({ ok: true, glob: 'ghcr.io/app:v**', widened: true });
    expect(wildcardToGlob('ghcr.io/app:[ab]')).toMatchObject({ ok: false });
    expect(wildcardToGlob('')).toMatchObject({ ok: false });
  });

  it('expands {a,b} alternatives of gobwas patterns and refuses character classes', () => {
    expect(gobwasToGlobs('*ghcr.io/{acme,corp}/*')).toEqual({
      ok: true,
      globs: ['**ghcr.io/acme/**', '**ghcr.io/corp/**'],
      widened: false,
    });
    expect(gobwasToGlobs('ghcr.io/[a-z]*')).toMatchObject({ ok: false });
    expect(gobwasToGlobs('ghcr.io/{a,{b,c}}')).toMatchObject({ ok: false });
    expect(gobwasToGlobs('ghcr.io/\\*')).toMatchObject({ ok: false });
  });

  it('writes keyless wildcards as anchored RE2 with the same meaning', () => {
    const regex = RE2JS.compile(wildcardToRegex('https://github.com/fluxcd/*'));
    expect(
      regex
        .matcher('https://github.com/fluxcd/source-controller/.github/workflows/release.yml@refs/tags/v1')
        .find(),
    ).toBe(true);
    expect(regex.matcher('https://github.com/fluxcdx/a').find()).toBe(false);
    expect(regex.matcher('xhttps://github.com/fluxcd/a').find()).toBe(false);
    // Dots are literal, as in Kyverno's wildcard match.
    expect(RE2JS.compile(wildcardToRegex('a.b')).matcher('axb').find()).toBe(false);
  });

  it('finds overlapping image patterns only where a real image name matches both', () => {
    expect(globsIntersect('**:**', '**acme/app:v1**')).toBe(true);
    expect(globsIntersect('**acme/app:rsa-**', '**acme/app:keyless-**')).toBe(false);
    expect(globsIntersect('**acme/app:keyless-**', '**acme/app:keyless-multi-**')).toBe(true);
    expect(globsIntersect('ghcr.io/*', 'ghcr.io/a/b:v1')).toBe(false);
    expect(globsIntersect('ghcr.io/**', 'ghcr.io/a/b:v1')).toBe(true);
    expect(globsIntersect('registry.example.com/app:*', 'registry.example.com/app@*')).toBe(false);
  });
});
