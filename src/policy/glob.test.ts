import { describe, expect, it } from 'vitest';
import { parseReference } from '../reference/index.js';
import { globAdvice, globError, globMatches, globMayMatchDigestOf, globPattern } from './glob.js';
import { imageNames } from './match.js';

/** Whether a glob matches an image under vouch's rule (tag form or digest form of the canonical name). */
function matches(glob: string, image: string): boolean {
  const error = globError(glob);
  if (error) throw new Error(error);
  const pattern = globPattern(glob);
  return imageNames(parseReference(image)).some((name) => globMatches(pattern, name));
}

/**
 * policy-controller's own vectors (pkg/apis/glob/glob_test.go). `pc` is its answer; `vouch` differs
 * only where policy-controller relied on its deprecated fallback of matching the name as written
 * (`foo` against glob `foo`): its webhook and tester always pass the canonical name, so that fallback
 * is never reached there, and vouch does not have it.
 */
const VECTORS: { image: string; glob: string; pc: boolean; vouch?: boolean }[] = [
  { image: 'foo', glob: 'index.docker.io/library/foo:latest', pc: true },
  { image: 'foo', glob: 'index.docker.io/library/foo:*', pc: true },
  { image: 'foo', glob: 'index.docker.io/library/*', pc: true },
  { image: 'foo', glob: 'index.docker.io/library/*:latest', pc: true },
  { image: 'foo', glob: 'index.docker.io/*/*', pc: true },
  { image: 'foo', glob: 'index.docker.io/**', pc: true },
  { image: 'foo', glob: 'index.docker.**', pc: true },
  { image: 'foo', glob: 'inde**', pc: true },
  { image: 'foo', glob: '**', pc: true },
  { image: 'foo', glob: 'foo', pc: true, vouch: false },
  { image: 'foo', glob: 'foo*', pc: true, vouch: false },
  { image: 'foo', glob: 'foo**', pc: true, vouch: false },
  { image: 'myuser/myapp', glob: 'index.docker.io/myuser/myapp:latest', pc: true },
  { image: 'myuser/myapp', glob: 'index.docker.io/myuser/myapp:*', pc: true },
  { image: 'myuser/myapp', glob: 'index.docker.io/myuser/*', pc: true },
  { image: 'myuser/myapp', glob: 'index.docker.io/myuser/*:latest', pc: true },
  { image: 'myuser/myapp', glob: 'index.docker.io/*/*', pc: true },
  { image: 'myuser/myapp', glob: 'index.docker.io/**', pc: true },
  { image: 'myuser/myapp', glob: 'index.docker.**', pc: true },
  { image: 'myuser/myapp', glob: 'inde**', pc: true },
  { image: 'myuser/myapp', glob: '**', pc: true },
  { image: 'myuser/myapp', glob: 'myuser/myapp', pc: true, vouch: false },
  { image: 'myuser/myapp', glob: 'myuser/myapp*', pc: true, vouch: false },
  { image: 'myuser/myapp', glob: 'myuser/myapp**', pc: true, vouch: false },
  { image: 'ghcr.io/foo/bar', glob: 'ghcr.io/*/*', pc: true },
  { image: 'ghcr.io/foo/bar', glob: 'ghcr.io/**', pc: true },
  { image: 'ghcr.io/foo', glob: 'ghcr.io/*/*', pc: false },
  { image: 'ghcr.io/foo', glob: 'ghcr.io/**', pc: true },
  { image: 'ghcr.io/foo', glob: 'ghc**', pc: true },
  { image: 'ghcr.io/foo', glob: '**', pc: true },
  { image: 'ghcr.io/foo', glob: '*/**', pc: true },
  { image: 'ghcr.io/foo', glob: 'ghcr.io/foo*', pc: true },
  { image: 'ghcr.io/foo', glob: 'ghcr.io/foo**', pc: true },
  { image: 'prefix-ghcr.io/foo', glob: 'ghcr.io/foo', pc: false },
  { image: 'ghcr.io/foo-suffix', glob: 'ghcr.io/foo', pc: false },
  { image: 'ghcrxio/foo', glob: 'ghcr.io/**', pc: false },
  { image: 'foo', glob: '*', pc: true },
  { image: 'myuser/myapp', glob: '*/*', pc: true },
];

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('globs: policy-controller vectors', () => {
  it.each(VECTORS)('$image ~ $glob', ({ image, glob, pc, vouch }) => {
    expect(matches(glob, image)).toBe(vouch ?? pc);
  });

  it('rejects what policy-controller rejects: invalid references and invalid globs', () => {
    expect(() => parseReference('invalid&name')).toThrow(/invalid reference/);
    expect(globError('.+')).toBe('glob ".+" may contain only letters, digits and - _ : / * . @ (found "+")');
    expect(globError('[a-z]*')).toBe(
      'glob "[a-z]*" may contain only letters, digits and - _ : / * . @ (found "[", "]")',
    );
    expect(globError('$FOO*')).toBe(
      'glob "$FOO*" may contain only letters, digits and - _ : / * . @ (found "$")',
    );
    expect(globError('')).toBe('glob is empty');
    expect(globError(`ghcr.io/foo@sha256:${'5'.repeat(64)}`)).toBeUndefined();
  });
});

describe('globs: one rule for tags and digests', () => {
  it('tries the tag form and the digest form of the same image', () => {
    const both = `ghcr.io/org/app:v1@${DIGEST}`;
    expect(matches('ghcr.io/org/app:v1*', both)).toBe(true); // tag form
    expect(matches(`ghcr.io/org/app@${DIGEST}`, both)).toBe(true); // digest form
    expect(matches('ghcr.io/org/app@**', both)).toBe(true);
    expect(matches('ghcr.io/org/app:v2', both)).toBe(false);
  });

  it('matches a digest-only image only through globs that allow a digest', () => {
    const digestOnly = `ghcr.io/org/app@${DIGEST}`;
    expect(matches('ghcr.io/org/app:*', digestOnly)).toBe(false);
    expect(matches('ghcr.io/org/app*', digestOnly)).toBe(true);
    expect(matches('ghcr.io/org/**', digestOnly)).toBe(true);
    expect(matches('ghcr.io/org/app@*', digestOnly)).toBe(true);
  });

  it('keeps `*` inside one path segment and `.` literal', () => {
    expect(matches('ghcr.io/*', 'ghcr.io/org/app:v1')).toBe(false);
    expect(matches('ghcr.io/org/app:v1.0', 'ghcr.io/org/app:v1x0')).toBe(false);
    expect(matches('ghcr.io/org/app:v1.0', 'ghcr.io/org/app:v1.0')).toBe(true);
    expect(matches('ghcr.io/org/*:*', 'ghcr.io/org/app:v1')).toBe(true);
  });

  it('matches every spelling of a registry host: case and the :443 default (issue 15 item 4)', () => {
    expect(matches('ghcr.io/**', 'GHCR.IO/acme/app:v1')).toBe(true);
    expect(matches('ghcr.io/**', 'ghcr.io:443/acme/app:v1')).toBe(true);
    expect(matches('ghcr.io/acme/app@*', `Ghcr.Io:443/acme/app@${DIGEST}`)).toBe(true);
    expect(matches('index.docker.io/library/*', 'DOCKER.IO/alpine')).toBe(true);
    expect(matches('index.docker.io/library/*', 'docker.io:443/alpine')).toBe(true);
    expect(matches('*', 'Index.Docker.IO:443/alpine:3')).toBe(true);
    // The host of a glob is read the same way, and what matched before still matches.
    expect(globPattern('GHCR.IO:443/Acme/**')).toBe('ghcr.io/Acme/**');
    expect(matches('GHCR.IO/**', 'ghcr.io/acme/app:v1')).toBe(true);
    expect(matches('GHCR.IO/**', 'GHCR.IO/acme/app:v1')).toBe(true);
    expect(matches('ghcr.io:443/**', 'ghcr.io/acme/app:v1')).toBe(true);
    expect(matches('ghcr.io:443/**', 'ghcr.io:443/acme/app:v1')).toBe(true);
    expect(matches('Docker.io/library/*', 'alpine')).toBe(true);
    expect(globMayMatchDigestOf(globPattern('ghcr.io/acme/app@*'), 'ghcr.io/acme/app')).toBe(true);
  });

  it('keeps other ports, other hosts, repository paths and tags as written', () => {
    expect(matches('ghcr.io/**', 'ghcr.io:8443/acme/app')).toBe(false);
    expect(matches('ghcr.io/**', 'ghcr.io:4430/acme/app')).toBe(false);
    expect(matches('registry.example.com:5000/**', 'registry.example.com/acme/app')).toBe(false);
    expect(matches('ghcr.io/**', 'ghcr.io.evil.example/acme/app')).toBe(false);
    expect(matches('ghcr.io/acme/app:v1', 'ghcr.io/acme/app:V1')).toBe(false);
    expect(matches('127.0.0.1:5000/**', '127.1:5000/acme/app')).toBe(false);
  });

  it('reads docker.io globs as index.docker.io, where every Docker Hub name is canonical', () => {
    expect(globPattern('docker.io/library/alpine:*')).toBe('index.docker.io/library/alpine:*');
    expect(matches('docker.io/library/alpine:*', 'alpine:3.20')).toBe(true);
    expect(matches('registry-1.docker.io/myuser/**', 'docker.io/myuser/app')).toBe(true);
    expect(matches('index.docker.io/library/alpine:*', 'docker.io/alpine:3.20')).toBe(true);
  });

  it('stays fast with many wildcards', () => {
    const glob = `${'**a'.repeat(60)}**`;
    // 59 "a"s where the glob needs 60: a backtracking regular expression would explore every split.
    expect(matches(glob, `ghcr.io/${'a'.repeat(59)}/${'b'.repeat(150)}:v1`)).toBe(false);
    expect(matches(glob, `ghcr.io/${'a'.repeat(60)}/${'b'.repeat(150)}:v1`)).toBe(true);
  });
});

describe('globMayMatchDigestOf', () => {
  const repo = 'ghcr.io/org/app';
  it.each([
    ['ghcr.io/org/app@**', true],
    ['ghcr.io/org/app*', true],
    ['ghcr.io/org/**', true],
    ['**5', true],
    [`ghcr.io/org/app@${DIGEST}`, true],
    ['ghcr.io/org/app:*', false],
    ['**:v1', false],
    ['ghcr.io/org/app@sha256:abc', false],
    [`ghcr.io/org/app@sha256:${'g'.repeat(64)}`, false],
    ['ghcr.io/other/**', false],
    ['ghcr.io/*', false],
  ] as const)('%s → %s', (glob, expected) => {
    expect(globMayMatchDigestOf(glob, repo)).toBe(expected);
  });
});

describe('globAdvice', () => {
  it('explains globs that can never match a canonical name', () => {
    expect(globAdvice('alpine')).toMatch(/^glob "alpine" never matches: image names are canonical/);
    expect(globAdvice('foo*')).toMatch(/^glob "foo\*" never matches/);
    expect(globAdvice('myuser/*')).toMatch(/^glob "myuser\/\*" never matches/);
    expect(globAdvice('ghcr.io/org/app')).toBe(
      'glob "ghcr.io/org/app" names a repository without a tag or digest, so it never matches; list "ghcr.io/org/app:*" (any tag) and "ghcr.io/org/app@*" (any digest)',
    );
  });

  it('has nothing to say about globs that can match', () => {
    for (const glob of [
      '*',
      '*/*',
      '**',
      'ghcr.io/**',
      '*/**',
      'localhost:5000/app:*',
      'ghcr.io/org/app:v1',
      'index.docker.io/library/*',
    ])
      expect(globAdvice(glob), glob).toBeUndefined();
  });
});

describe('globMatches agrees with policy-controller’s glob-to-regexp translation', () => {
  /** policy-controller's translation: `.` literal, `**` any run, `*` any run without `/`, anchored. */
  function reference(pattern: string, name: string): boolean {
    const source = pattern
      .replaceAll('.', '\\.')
      .replaceAll('**', '#')
      .replaceAll('*', '[^/]*')
      .replaceAll('#', '.*');
    return new RegExp(`^${source}$`).test(name);
  }

  it('on the shortcut shapes and their edges', () => {
    expect(globMatches('ab*ba', 'aba')).toBe(false);
    expect(globMatches('ab*ba', 'abba')).toBe(true);
    expect(globMatches('ab**ba', 'ab/ba')).toBe(true);
    expect(globMatches('a*b', 'a/b')).toBe(false);
    expect(globMatches('a**', 'a')).toBe(true);
  });

  it('on 5 000 random patterns and names', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = (parts: string[], length: number) =>
      Array.from({ length }, () => parts[random(parts.length)]).join('');
    for (let i = 0; i < 5_000; i++) {
      const pattern = pick(['a', 'b', '/', '.', ':', '@', '*', '*', '**'], 1 + random(7));
      const name = pick(['a', 'b', '/', '.', ':', '@'], random(9));
      expect(globMatches(pattern, name), `${pattern} ~ ${name}`).toBe(reference(pattern, name));
    }
  });
});
