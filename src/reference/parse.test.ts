import { describe, expect, it } from 'vitest';
import { InvalidReferenceError } from './errors.js';
import { formatReference, parseReference, withDigest } from './parse.js';

const D = `sha256:${'a'.repeat(64)}`;
const D512 = `sha512:${'b'.repeat(128)}`;
const D384 = `sha384:${'c'.repeat(96)}`;

/** [input, canonical form] */
const valid: Array<[string, string]> = [
  ['alpine', 'index.docker.io/library/alpine:latest'],
  ['alpine:3.20', 'index.docker.io/library/alpine:3.20'],
  ['library/alpine', 'index.docker.io/library/alpine:latest'],
  ['docker.io/alpine', 'index.docker.io/library/alpine:latest'],
  ['docker.io/library/alpine:edge', 'index.docker.io/library/alpine:edge'],
  ['index.docker.io/alpine', 'index.docker.io/library/alpine:latest'],
  ['registry-1.docker.io/bitnami/redis', 'index.docker.io/bitnami/redis:latest'],
  ['fluxcd/flux-cli:v2.4.0', 'index.docker.io/fluxcd/flux-cli:v2.4.0'],
  ['ghcr.io/fluxcd/source-controller:v1.4.1', 'ghcr.io/fluxcd/source-controller:v1.4.1'],
  ['gcr.io/distroless/static-debian12:nonroot', 'gcr.io/distroless/static-debian12:nonroot'],
  ['cgr.dev/chainguard/static', 'cgr.dev/chainguard/static:latest'],
  ['localhost/app', 'localhost/app:latest'],
  ['localhost:5000/app', 'localhost:5000/app:latest'],
  ['localhost:5000/team/app:v1', 'localhost:5000/team/app:v1'],
  ['127.0.0.1:5000/demo/app:v1', '127.0.0.1:5000/demo/app:v1'],
  ['[::1]:5000/demo/app', '[::1]:5000/demo/app:latest'],
  ['[::1]/demo/app:v2', '[::1]/demo/app:v2'],
  ['[2001:db8::1]:443/x/y', '[2001:db8::1]:443/x/y:latest'],
  ['my-registry.example.com:8443/a/b/c/d:1.0', 'my-registry.example.com:8443/a/b/c/d:1.0'],
  ['Registry.Example.com/app', 'Registry.Example.com/app:latest'],
  ['UPPERHOST/app', 'UPPERHOST/app:latest'],
  ['example.com/a_b/c__d/e-f/g.h/i---j', 'example.com/a_b/c__d/e-f/g.h/i---j:latest'],
  [`alpine@${D}`, `index.docker.io/library/alpine@${D}`],
  [`alpine:3.20@${D}`, `index.docker.io/library/alpine:3.20@${D}`],
  [`ghcr.io/org/app:v1@${D}`, `ghcr.io/org/app:v1@${D}`],
  [`localhost:5000/app@${D}`, `localhost:5000/app@${D}`],
  [`example.com/app@${D512}`, `example.com/app@${D512}`],
  [`example.com/app@${D384}`, `example.com/app@${D384}`],
  ['app:_private', 'index.docker.io/library/app:_private'],
  ['app:UPPER.case-Tag_1', 'index.docker.io/library/app:UPPER.case-Tag_1'],
  [`app:${'t'.repeat(128)}`, `index.docker.io/library/app:${'t'.repeat(128)}`],
  ['localhost', 'index.docker.io/library/localhost:latest'],
  ['localhost:5000', 'index.docker.io/library/localhost:5000'],
  ['a', 'index.docker.io/library/a:latest'],
  ['0', 'index.docker.io/library/0:latest'],
  ['example.com:1/x', 'example.com:1/x:latest'],
  ['example.com:65535/x', 'example.com:65535/x:latest'],
  ['sub-domain.example-host.io/x', 'sub-domain.example-host.io/x:latest'],
  ['x.y/sha256', 'x.y/sha256:latest'],
  // The longest Docker Hub names whose canonical form still fits in 255 characters.
  ['a'.repeat(231), `index.docker.io/library/${'a'.repeat(231)}:latest`],
  [`me/${'a'.repeat(236)}`, `index.docker.io/me/${'a'.repeat(236)}:latest`],
  ['quay.io/prometheus/node-exporter:v1.8.2', 'quay.io/prometheus/node-exporter:v1.8.2'],
];

/** [input, code, exact message] */
const invalid: Array<[string, string, string]> = [
  ['', 'EMPTY', 'invalid reference "": reference is empty'],
  ['   ', 'EMPTY', 'invalid reference "   ": reference is empty'],
  ['alp ine', 'INVALID_FORMAT', 'invalid reference "alp ine": reference contains white space'],
  ['Alpine', 'REPOSITORY_NOT_LOWERCASE', 'invalid reference "Alpine": repository "Alpine" must be lowercase'],
  [
    'example.com/Org/app',
    'REPOSITORY_NOT_LOWERCASE',
    'invalid reference "example.com/Org/app": repository "Org/app" must be lowercase',
  ],
  ['alpine:', 'INVALID_TAG', 'invalid reference "alpine:": tag after ":" is empty'],
  [
    'alpine:-x',
    'INVALID_TAG',
    'invalid reference "alpine:-x": tag "-x" may contain only letters, digits, "_", "." and "-" and must not start with "." or "-"',
  ],
  [
    'alpine:.x',
    'INVALID_TAG',
    'invalid reference "alpine:.x": tag ".x" may contain only letters, digits, "_", "." and "-" and must not start with "." or "-"',
  ],
  [
    'alpine:a+b',
    'INVALID_TAG',
    'invalid reference "alpine:a+b": tag "a+b" may contain only letters, digits, "_", "." and "-" and must not start with "." or "-"',
  ],
  [
    `app:${'t'.repeat(129)}`,
    'INVALID_TAG',
    `invalid reference "app:${'t'.repeat(129)}": tag is longer than 128 characters`,
  ],
  ['alpine@', 'INVALID_DIGEST', 'invalid reference "alpine@": digest after "@" is empty'],
  [
    'alpine@sha256',
    'INVALID_DIGEST',
    'invalid reference "alpine@sha256": digest "sha256" must be algorithm:hex',
  ],
  [
    'alpine@sha256:abc',
    'INVALID_DIGEST',
    'invalid reference "alpine@sha256:abc": sha256 digest must have 64 hex characters, got 3',
  ],
  [
    `alpine@sha256:${'A'.repeat(64)}`,
    'INVALID_DIGEST',
    `invalid reference "alpine@sha256:${'A'.repeat(64)}": sha256 digest must be lowercase hexadecimal`,
  ],
  [
    `alpine@sha256:${'g'.repeat(64)}`,
    'INVALID_DIGEST',
    `invalid reference "alpine@sha256:${'g'.repeat(64)}": sha256 digest must be lowercase hexadecimal`,
  ],
  [
    `alpine@md5:${'a'.repeat(32)}`,
    'UNSUPPORTED_DIGEST_ALGORITHM',
    `invalid reference "alpine@md5:${'a'.repeat(32)}": unsupported digest algorithm "md5" (supported: sha256, sha384, sha512)`,
  ],
  [
    `alpine@SHA256:${'a'.repeat(64)}`,
    'INVALID_DIGEST',
    `invalid reference "alpine@SHA256:${'a'.repeat(64)}": digest algorithm "SHA256" is malformed`,
  ],
  [
    `alpine@sha512:${'a'.repeat(64)}`,
    'INVALID_DIGEST',
    `invalid reference "alpine@sha512:${'a'.repeat(64)}": sha512 digest must have 128 hex characters, got 64`,
  ],
  [`a@${D}@${D}`, 'INVALID_FORMAT', `invalid reference "a@${D}@${D}": more than one "@"`],
  [`@${D}`, 'INVALID_FORMAT', `invalid reference "@${D}": repository name is empty`],
  [':tag', 'INVALID_FORMAT', 'invalid reference ":tag": repository name is empty'],
  ['example.com/', 'INVALID_REPOSITORY', 'invalid reference "example.com/": repository path is empty'],
  [
    'example.com//app',
    'INVALID_REPOSITORY',
    'invalid reference "example.com//app": repository "/app" has an empty path component',
  ],
  [
    'org//app',
    'INVALID_REPOSITORY',
    'invalid reference "org//app": repository "org//app" has an empty path component',
  ],
  [
    '-app',
    'INVALID_REPOSITORY',
    'invalid reference "-app": repository path component "-app" must be lowercase letters and digits separated by ".", "_", "__" or "-"',
  ],
  [
    'app-',
    'INVALID_REPOSITORY',
    'invalid reference "app-": repository path component "app-" must be lowercase letters and digits separated by ".", "_", "__" or "-"',
  ],
  [
    'a___b',
    'INVALID_REPOSITORY',
    'invalid reference "a___b": repository path component "a___b" must be lowercase letters and digits separated by ".", "_", "__" or "-"',
  ],
  ['a..b/c', 'INVALID_REGISTRY', 'invalid reference "a..b/c": registry host "a..b" is not a valid host name'],
  [
    '-bad.example.com/app',
    'INVALID_REGISTRY',
    'invalid reference "-bad.example.com/app": registry host "-bad.example.com" is not a valid host name',
  ],
  [
    'example.com:port/app',
    'INVALID_REGISTRY',
    'invalid reference "example.com:port/app": registry port "port" is not a number from 1 to 65535',
  ],
  [
    'example.com:0/app',
    'INVALID_REGISTRY',
    'invalid reference "example.com:0/app": registry port "0" is not a number from 1 to 65535',
  ],
  [
    'example.com:70000/app',
    'INVALID_REGISTRY',
    'invalid reference "example.com:70000/app": registry port "70000" is not a number from 1 to 65535',
  ],
  ['[::1/app', 'INVALID_REGISTRY', 'invalid reference "[::1/app": registry "[::1" has an unclosed "["'],
  [
    '[zz::1]:5000/app',
    'INVALID_REGISTRY',
    'invalid reference "[zz::1]:5000/app": "zz::1" is not an IPv6 address',
  ],
  ['[::1]x/app', 'INVALID_REGISTRY', 'invalid reference "[::1]x/app": registry "[::1]x" is malformed'],
  [
    `example.com/${'a'.repeat(250)}`,
    'NAME_TOO_LONG',
    `invalid reference "example.com/${'a'.repeat(250)}": repository name must not be longer than 255 characters`,
  ],
  // Short enough as written, too long once canonical (issue 15): refused here, not by the registry.
  [
    'a'.repeat(241),
    'NAME_TOO_LONG',
    `invalid reference "${'a'.repeat(241)}": repository name index.docker.io/library/${'a'.repeat(16)}… is 265 characters in canonical form, longer than 255`,
  ],
  [
    `docker.io/${'a'.repeat(235)}`,
    'NAME_TOO_LONG',
    `invalid reference "docker.io/${'a'.repeat(235)}": repository name index.docker.io/library/${'a'.repeat(16)}… is 259 characters in canonical form, longer than 255`,
  ],
  [
    'app!',
    'INVALID_REPOSITORY',
    'invalid reference "app!": repository path component "app!" must be lowercase letters and digits separated by ".", "_", "__" or "-"',
  ],
];

describe('parseReference', () => {
  it('has a large table', () => {
    expect(valid.length + invalid.length).toBeGreaterThanOrEqual(60);
    expect(invalid.length).toBeGreaterThanOrEqual(20);
  });

  it.each(valid)('parses %j as %s', (input, canonical) => {
    expect(formatReference(parseReference(input))).toBe(canonical);
  });

  it.each(invalid)('rejects %j with %s', (input, code, message) => {
    let caught: unknown;
    try {
      parseReference(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidReferenceError);
    expect((caught as InvalidReferenceError).code).toBe(code);
    expect((caught as InvalidReferenceError).message).toBe(message);
  });

  it('splits the parts of a tag-and-digest reference', () => {
    expect(parseReference(`localhost:5000/team/app:v1@${D}`)).toEqual({
      registry: 'localhost:5000',
      repository: 'team/app',
      tag: 'v1',
      digest: D,
    });
  });

  it('keeps the tag when pinning a digest', () => {
    expect(formatReference(withDigest(parseReference('ghcr.io/o/a:v2'), D))).toBe(`ghcr.io/o/a:v2@${D}`);
  });

  it('is idempotent on its own output', () => {
    for (const [, canonical] of valid) expect(formatReference(parseReference(canonical))).toBe(canonical);
  });
});
