import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, StaticCredentials } from '../../src/registry/index.js';
import {
  type BuiltImage,
  buildImage,
  buildIndex,
  pushArtifact,
  startRegistry,
  type TestRegistry,
  tempDir,
} from '../harness/index.js';
import { FIXTURES } from '../signature/cosign-fixtures.js';
import { placeFixture } from '../signature/helpers.js';
import { vouch, vouchOnTerminal } from './run.js';

const PASSWORD = { VOUCH_PASSWORD: 'correct password' };
const OK_LINE = /^✔ (\S+@sha256:[0-9a-f]{64}) verified \((\d+) signature\(s\), key (sha256:[0-9a-f]{16})\)$/;

describe('vouch generate-key-pair, sign, verify, attest, verify-attestation (CLI)', () => {
  let registry: TestRegistry;
  let basic: TestRegistry;
  let client: RegistryClient;
  let dir: string;
  let key: string;
  let pub: string;
  let otherPub: string;

  beforeAll(async () => {
    [registry, basic] = await Promise.all([startRegistry(), startRegistry({ auth: 'basic' })]);
    client = new RegistryClient({
      credentials: new StaticCredentials({
        [basic.host]: { username: basic.username, password: basic.password },
      }),
    });
    dir = await tempDir('cli-keys');
    key = join(dir, 'cosign.key');
    pub = join(dir, 'cosign.pub');
    otherPub = join(dir, 'other.pub');
    const generated = await vouch(
      ['generate-key-pair', '--output-key-prefix', join(dir, 'cosign')],
      PASSWORD,
    );
    expect(generated).toMatchObject({ code: 0 });
    const other = await vouch(['generate-key-pair', '--output-key-prefix', join(dir, 'other')], {
      COSIGN_PASSWORD: '',
    });
    expect(other.code).toBe(0);
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
    await basic?.stop();
  });

  async function push(seed: string, repository = 'team/app', target = registry): Promise<BuiltImage> {
    const image = buildImage({ seed });
    await pushArtifact(client, { registry: target.host, repository }, image, seed);
    return image;
  }

  it('generate-key-pair writes a 0600 cosign key and a public key, and refuses to overwrite them', async () => {
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    const again = await vouch(['generate-key-pair', '--output-key-prefix', join(dir, 'cosign')], PASSWORD);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; use --force to overwrite it');
    const forced = await vouch(
      ['generate-key-pair', '--output-key-prefix', join(dir, 'forced'), '--force'],
      PASSWORD,
    );
    expect(forced.code).toBe(0);
    const noPassword = await vouch(['generate-key-pair', '--output-key-prefix', join(dir, 'none')]);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('a password is needed: set VOUCH_PASSWORD');
  });

  it('on a terminal the password is asked for (twice when generating); a mismatch is refused', async () => {
    const prefix = join(dir, 'typed');
    const typed = await vouchOnTerminal(
      ['generate-key-pair', '--output-key-prefix', prefix],
      ['typed pw', 'typed pw'],
    );
    expect(typed.code).toBe(0);
    expect(typed.stdout).toContain('Enter password again');
    await push('cli-typed');
    const ref = `${registry.host}/team/app:cli-typed`;
    // The key decrypts with what was typed.
    expect((await vouch(['sign', '--key', `${prefix}.key`, ref], { VOUCH_PASSWORD: 'typed pw' })).code).toBe(
      0,
    );
    const asked = await vouchOnTerminal(['sign', '--key', `${prefix}.key`, ref], ['typed pw']);
    expect(asked.code).toBe(0);
    expect(asked.stdout).toContain(`Enter password for private key ${prefix}.key`);
    const mismatch = await vouchOnTerminal(
      ['generate-key-pair', '--output-key-prefix', join(dir, 'mismatch')],
      ['a', 'b'],
    );
    expect(mismatch.code).toBe(2);
    expect(mismatch.stdout).toContain('the two passwords differ');
  });

  it('sign prints the signed reference; verify prints the ✔ line and exits 0', async () => {
    const image = await push('cli-legacy');
    const ref = `${registry.host}/team/app:cli-legacy`;
    const signed = await vouch(['sign', '--key', key, ref], PASSWORD);
    expect(signed).toMatchObject({ code: 0, stdout: `${ref}@${image.digest}\n` });
    const verified = await vouch(['verify', '--key', pub, ref]);
    expect(verified.code).toBe(0);
    const match = OK_LINE.exec(verified.stdout.trim());
    expect(match?.[1]).toBe(`${ref}@${image.digest}`);
    expect(match?.[2]).toBe('1');
    const wrong = await vouch(['verify', '--key', otherPub, ref]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(
      new RegExp(
        `^✘ ${ref.replace(/[.]/g, '\\.')}: no signature of ${image.digest} verified: legacy sha256:[0-9a-f]{12}: the signature does not verify`,
      ),
    );
  });

  it('bundle format: signed as a referrer, verified', async () => {
    await push('cli-bundle');
    const ref = `${registry.host}/team/app:cli-bundle`;
    expect((await vouch(['sign', '--key', key, '--format', 'bundle', ref], PASSWORD)).code).toBe(0);
    const verified = await vouch(['verify', '--key', pub, '-o', 'json', ref]);
    expect(verified.code).toBe(0);
    const [result] = JSON.parse(verified.stdout);
    expect(Object.keys(result)).toEqual(['image', 'digest', 'verified', 'signatures', 'tlog']);
    expect(result).toMatchObject({
      image: ref,
      verified: true,
      signatures: [
        { verified: true, format: 'bundle', reason: expect.stringMatching(/^signed by key sha256:/) },
      ],
      tlog: { status: 'not-checked' },
    });
    expect(Object.keys(result.signatures[0])).toEqual(['verified', 'reason', 'format']);
  });

  it('--recursive signs every manifest of an index; without it only the index is signed', async () => {
    const index = buildIndex({ seed: 'cli-multi' });
    const repo = { registry: registry.host, repository: 'team/multi' };
    await pushArtifact(client, repo, index, 'v1');
    const child = index.images[0]?.digest as string;
    const ref = `${registry.host}/team/multi:v1`;
    const flat = await vouch(['sign', '--key', key, ref], PASSWORD);
    expect(flat.stdout.trim().split('\n')).toEqual([`${ref}@${index.digest}`]);
    expect((await vouch(['verify', '--key', pub, `${registry.host}/team/multi@${child}`])).code).toBe(1);
    const recursive = await vouch(['sign', '--key', key, '--recursive', ref], PASSWORD);
    expect(recursive.stdout.trim().split('\n')).toEqual([
      `${ref}@${index.digest}`,
      ...index.images.map((image) => `${registry.host}/team/multi@${image.digest}`),
    ]);
    const children = await vouch([
      'verify',
      '--key',
      pub,
      ...index.images.map((i) => `${registry.host}/team/multi@${i.digest}`),
    ]);
    expect(children.code).toBe(0);
    expect(children.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('annotations: -a is signed and must match', async () => {
    await push('cli-annotated');
    const ref = `${registry.host}/team/app:cli-annotated`;
    expect((await vouch(['sign', '--key', key, '-a', 'env=prod', '-a', 'run=7', ref], PASSWORD)).code).toBe(
      0,
    );
    expect((await vouch(['verify', '--key', pub, '-a', 'env=prod', ref])).code).toBe(0);
    const mismatch = await vouch(['verify', '--key', pub, '-a', 'env=dev', ref]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toContain('annotation mismatch: wanted env=dev (signed env=prod)');
    expect((await vouch(['verify', '--key', pub, '-a', 'novalue', ref])).code).toBe(2);
    // cosign's long name, and vouch's earlier spelling, mean the same.
    const both = ['--annotations', 'env=prod', '--annotation', 'run=7'];
    expect((await vouch(['verify', '--key', pub, ...both, ref])).code).toBe(0);
    expect((await vouch(['verify', '--key', pub, '--annotations', 'run=8', ref])).code).toBe(1);
    // Scripts written for cosign pass --insecure-ignore-tlog with --key; with no --rekor-key it changes nothing.
    const ignored = await vouch(['verify', '--key', pub, '--insecure-ignore-tlog', ref]);
    expect(ignored.code).toBe(0);
    expect(ignored.stdout.trim()).toMatch(OK_LINE);
  });

  it('the signature repository: --signature-repository and COSIGN_REPOSITORY', async () => {
    await push('cli-elsewhere');
    const ref = `${registry.host}/team/app:cli-elsewhere`;
    const store = `${registry.host}/sigstore/signatures`;
    expect((await vouch(['sign', '--key', key, '--signature-repository', store, ref], PASSWORD)).code).toBe(
      0,
    );
    expect((await vouch(['verify', '--key', pub, ref])).code).toBe(1);
    expect((await vouch(['verify', '--key', pub, '--signature-repository', store, ref])).code).toBe(0);
    expect((await vouch(['verify', '--key', pub, ref], { COSIGN_REPOSITORY: store })).code).toBe(0);
    await push('cli-env');
    const envRef = `${registry.host}/team/app:cli-env`;
    expect(
      (await vouch(['sign', '--key', key, envRef], { ...PASSWORD, COSIGN_REPOSITORY: store })).code,
    ).toBe(0);
    expect((await vouch(['verify', '--key', pub, '--signature-repository', store, envRef])).code).toBe(0);
    const tagged = await vouch(['verify', '--key', pub, '--signature-repository', `${store}:v1`, envRef]);
    expect(tagged.code).toBe(2);
  });

  it('Basic auth through a docker config.json', async () => {
    await push('cli-basic', 'private/app', basic);
    const config = join(dir, 'config.json');
    const auth = Buffer.from(`${basic.username}:${basic.password}`).toString('base64');
    await writeFile(config, JSON.stringify({ auths: { [basic.host]: { auth } } }));
    const ref = `${basic.host}/private/app:cli-basic`;
    expect((await vouch(['--registry-config', config, 'sign', '--key', key, ref], PASSWORD)).code).toBe(0);
    expect((await vouch(['--registry-config', config, 'verify', '--key', pub, ref])).code).toBe(0);
    const noCredentials = join(dir, 'empty-config.json');
    await writeFile(noCredentials, '{}');
    const anonymous = await vouch(['--registry-config', noCredentials, 'verify', '--key', pub, ref]);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stdout).toMatch(/^✘ .*: registry failure: .*(401|authentication)/);
  });

  it('several images: one line each, exit 1 when any is not verified, JSON reasons on stderr', async () => {
    const signedImage = await push('cli-many-signed');
    await push('cli-many-unsigned');
    const signedRef = `${registry.host}/team/app:cli-many-signed`;
    const unsignedRef = `${registry.host}/team/app:cli-many-unsigned`;
    await vouch(['sign', '--key', key, signedRef], PASSWORD);
    const text = await vouch(['verify', '--key', pub, signedRef, unsignedRef]);
    expect(text.code).toBe(1);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(OK_LINE);
    expect(lines[0]).toContain(signedImage.digest);
    expect(lines[1]).toMatch(
      new RegExp(`^✘ ${unsignedRef.replace(/[.]/g, '\\.')}: no signatures found for sha256:`),
    );
    const json = await vouch(['verify', '--key', pub, '--output', 'json', signedRef, unsignedRef]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).map((r: { verified: boolean }) => r.verified)).toEqual([true, false]);
    expect(json.stderr).toContain(`✘ ${unsignedRef}: no signatures found`);
  });

  it('attest and verify-attestation, with a CEL condition', async () => {
    await push('cli-attest');
    const ref = `${registry.host}/team/app:cli-attest`;
    const predicate = join(dir, 'sbom.json');
    await writeFile(predicate, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5' }));
    expect(
      (await vouch(['attest', '--key', key, '--predicate', predicate, '--type', 'cyclonedx', ref], PASSWORD))
        .code,
    ).toBe(0);
    const ok = await vouch([
      'verify-attestation',
      '--key',
      pub,
      '--type',
      'cyclonedx',
      '--condition',
      'statement.predicate.specVersion == "1.5"',
      ref,
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^✔ .* verified \(1 attestation\(s\), key sha256:[0-9a-f]{16}\)\n$/);
    const no = await vouch([
      'verify-attestation',
      '--key',
      pub,
      '--type',
      'cyclonedx',
      '--condition',
      'statement.predicate.specVersion == "1.4"',
      ref,
    ]);
    expect(no.code).toBe(1);
    expect(no.stdout).toContain('is false for this attestation');
    const badCel = await vouch([
      'verify-attestation',
      '--key',
      pub,
      '--type',
      'cyclonedx',
      '--condition',
      'statement.(',
      ref,
    ]);
    expect(badCel.code).toBe(2);
    expect(badCel.stderr).toContain('CEL condition does not compile');
    expect((await vouch(['verify-attestation', '--key', pub, '--type', 'sbom', ref])).code).toBe(2);
    await push('cli-attest-bundle');
    const bundleRef = `${registry.host}/team/app:cli-attest-bundle`;
    expect(
      (
        await vouch(
          [
            'attest',
            '--key',
            key,
            '--predicate',
            predicate,
            '--type',
            'https://cyclonedx.org/bom',
            '--format',
            'bundle',
            bundleRef,
          ],
          PASSWORD,
        )
      ).code,
    ).toBe(0);
    expect((await vouch(['verify-attestation', '--key', pub, '--type', 'cyclonedx', bundleRef])).code).toBe(
      0,
    );
  });

  it('a real cosign signature with a Rekor bundle: verified with --rekor-key, the SET checked', async () => {
    const repository = 'cosign/real';
    await placeFixture(registry, client, 'dir-img-cosign-key-rekor-valid', repository, 'v1');
    const ref = `${registry.host}/${repository}:v1`;
    const signer = join(FIXTURES, 'cosign2.pub');
    const rekor = join(FIXTURES, 'rekor.pub');
    const logged = await vouch(['verify', '--key', signer, '--rekor-key', rekor, '-o', 'json', ref]);
    expect(logged.code).toBe(0);
    expect(JSON.parse(logged.stdout)[0].tlog).toMatchObject({
      status: 'verified',
      detail: expect.stringContaining('11608800'),
    });
    const text = await vouch(['verify', '--key', signer, '--rekor-key', rekor, ref]);
    expect(text.stdout.trim()).toMatch(OK_LINE);
    expect(text.stderr).toBe('');
    const keyOnly = await vouch(['verify', '--key', signer, ref]);
    expect(keyOnly.code).toBe(0);
    expect(keyOnly.stderr).toContain('no transparency log was checked');
    const wrongLog = await vouch([
      'verify',
      '--key',
      signer,
      '--rekor-key',
      join(FIXTURES, 'cosign.pub'),
      ref,
    ]);
    expect(wrongLog.code).toBe(1);
    expect(wrongLog.stdout).toContain('which is not a trusted Rekor key');
  });

  it('--rekor-key requires a Rekor entry', async () => {
    await push('cli-rekor');
    const ref = `${registry.host}/team/app:cli-rekor`;
    await vouch(['sign', '--key', key, ref], PASSWORD);
    const result = await vouch(['verify', '--key', pub, '--rekor-key', otherPub, ref]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('a Rekor entry is required, but the signature carries no Rekor bundle');
  });

  it('bad input exits 2 with a clear message, a wrong password exits 1', async () => {
    const ref = `${registry.host}/team/app:whatever`;
    const empty = join(dir, 'empty.pub');
    const notKey = join(dir, 'not-a-key.pub');
    await writeFile(empty, '');
    await writeFile(notKey, 'hello, I am not a key\n');
    const cases: Array<[string[], RegExp]> = [
      [
        ['verify', '--key', join(dir, 'missing.pub'), ref],
        /cannot read public key file .*missing\.pub: ENOENT/,
      ],
      [['verify', '--key', empty, ref], /public key file .*empty\.pub is empty/],
      [['verify', '--key', notKey, ref], /not-a-key\.pub holds no PEM block/],
      [['verify', '--key', key, ref], /is a private key/],
      [['verify', '--key', pub, 'UPPER/Case:tag'], /invalid reference/],
      [['sign', '--key', pub, ref], /is a public key; signing needs the private key/],
      [['sign', '--key', empty, ref], /is empty/],
    ];
    for (const [args, message] of cases) {
      const result = await vouch(args, PASSWORD);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    await push('cli-password');
    const wrong = await vouch(['sign', '--key', key, `${registry.host}/team/app:cli-password`], {
      VOUCH_PASSWORD: 'wrong',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('the password is wrong');
  });

  it('an unreachable registry is a registry failure, exit 1', async () => {
    const result = await vouch(['--timeout', '5', 'verify', '--key', pub, '127.0.0.1:9/team/app:v1']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^✘ 127\.0\.0\.1:9\/team\/app:v1: registry failure: cannot reach registry/);
  });
});
