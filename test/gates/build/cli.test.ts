/**
 * `vouch bases` as a user runs it (bin/vouch on the compiled code: `npm run build` first, which
 * `npm test` does): what is decided before any registry is asked — argument validation, input and
 * configuration errors, a build that pulls no image. Runs that verify are in registry.test.ts.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text writes ${NAME} literally
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey } from '../../engine/helpers.js';
import { runVouch, tempDir } from '../../harness/index.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

const vouch = (args: string[]) => runVouch(args);

describe('vouch bases (CLI)', () => {
  let dir: string;
  let keyFile: string;
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/src/cli/main.js')))
      throw new Error('the CLI is not built: run `npm run build` (npm test does) before these tests');
    dir = await tempDir('bases-cli');
    keyFile = join(dir, 'cosign.pub');
    await writeFile(keyFile, (await newKey()).publicKey.pem);
    await writeFile(join(dir, 'Dockerfile'), 'FROM alpine:3.20\n');
    await writeFile(join(dir, 'Broken.Dockerfile'), 'ARG TAG=1\nFROM --platform alpine:${TAG}\nFROM\n');
    await writeFile(join(dir, 'bad.ko.yaml'), 'defaultBaseImage: Not/Valid\n');
    await mkdir(join(dir, 'scratch-only'));
    await writeFile(join(dir, 'scratch-only', 'Dockerfile'), 'FROM scratch\nCOPY app /app\n');
    await mkdir(join(dir, 'nothing'));
    await writeFile(join(dir, 'nothing', 'README.md'), 'no build files\n');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is listed by vouch --help with an example', async () => {
    const run = await vouch(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ {2}bases .*verify the base images/m);
    expect(run.stdout).toContain('vouch bases --policy policy.yaml --strict --pin .');
  });

  it.each([
    [['--key', 'k.pub', '--build-arg', '1TAG=x'], /--build-arg "1TAG=x": expected NAME=VALUE/],
    [['--key', 'k.pub', '--build-arg', '=x'], /--build-arg "=x": expected NAME=VALUE/],
    [['--key', 'k.pub', '--build-arg', 'A-B=x'], /--build-arg "A-B=x"/],
    [[], /say what to verify against: --policy PATH, --key PUB, or --certificate-identity/],
    [['--key', 'k.pub', '--policy', 'p.yaml'], /--policy replaces --key, the keyless flags and -a/],
    [['--policy', 'p.yaml', '-a', 'env=prod'], /--policy replaces --key, the keyless flags and -a/],
    [['--key', 'k.pub', '--no-match-policy', 'allow'], /--no-match-policy applies only with --policy/],
    [
      ['--certificate-identity', 'me@example.com'],
      /--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required for keyless verification/,
    ],
    [
      ['--certificate-identity', 'a', '--certificate-identity-regexp', 'b', '--certificate-oidc-issuer', 'c'],
      /give --certificate-identity or --certificate-identity-regexp, not both/,
    ],
    [['--key', 'k.pub', '--certificate-identity', 'me@example.com'], /--key cannot be combined with/],
    [['--key', 'k.pub', '--no-match-policy', 'maybe'], /argument 'maybe' is invalid/],
    [['--key', 'k.pub', '--output', 'yaml'], /argument 'yaml' is invalid/],
  ])('exits 2 on bad usage: %j', async (flags, message) => {
    const run = await vouch(['bases', ...flags, join(dir, 'Dockerfile')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('exits 2 with located messages for every syntax error, before any verification', async () => {
    const broken = join(dir, 'Broken.Dockerfile');
    const ko = join(dir, 'bad.ko.yaml');
    const run = await vouch(['bases', '--key', 'k.pub', broken, ko]);
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `${broken}:2: --platform needs a value: --platform=<os>/<arch>[/<variant>]`,
      `${broken}:3: FROM names no image`,
      `${ko}:1: defaultBaseImage: invalid reference "Not/Valid": repository "Valid" must be lowercase`,
    ]);
  });

  it('exits 2 when a path does not exist or a directory holds no build file', async () => {
    const missing = await vouch(['bases', '--key', 'k.pub', join(dir, 'missing')]);
    expect([missing.code, missing.stderr]).toEqual([
      2,
      `vouch: cannot read ${join(dir, 'missing')}: no such file or directory\n`,
    ]);
    const nothing = await vouch(['bases', '--key', 'k.pub', join(dir, 'nothing')]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(
      /holds no Dockerfile, \*\.Dockerfile, Dockerfile\.\*, Containerfile or \.ko\.yaml/,
    );
  });

  it('passes a build that pulls no image, and says so', async () => {
    const run = await vouch(['bases', '--key', keyFile, '--strict', join(dir, 'scratch-only')]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`vouch: no base images in ${join(dir, 'scratch-only', 'Dockerfile')}\n`);
    const json = await vouch(['bases', '--key', keyFile, '-o', 'json', join(dir, 'scratch-only')]);
    expect(JSON.parse(json.stdout)).toMatchObject({ exitCode: 0, references: [] });
  });

  it('reports a key or policy it cannot use even when the build pulls no image (exit 2)', async () => {
    const scratch = join(dir, 'scratch-only');
    const key = await vouch(['bases', '--key', join(dir, 'missing.pub'), scratch]);
    expect(key.code).toBe(2);
    expect(key.stderr).toContain(join(dir, 'missing.pub'));
    const policy = await vouch(['bases', '--policy', join(dir, 'missing.yaml'), scratch]);
    expect(policy.code).toBe(2);
    expect(policy.stderr).toContain(join(dir, 'missing.yaml'));
    expect([key.stdout, policy.stdout]).toEqual(['', '']);
  });
});
