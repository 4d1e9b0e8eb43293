/**
 * `vouch policy import` as users run it (bin/vouch over dist/): the output on stdout or in --out, the
 * report on stderr, and the exit codes the issue fixes — 0 exact, 1 approximated or dropped (written,
 * marked), 2 for input the source tool itself would refuse (nothing written).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runVouch, tempDir } from '../harness/index.js';
import { FIXTURES } from './helpers.js';

const KEY = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8nXRh950IZbRj8Ra/N9sbqOPZrfM
5/KAQN0/KjHcorm/J5yctVd7iEcnessRQjU917hmKO6JWVGHpDguIyakZA==
-----END PUBLIC KEY-----`;

function kyvernoPolicy(entry: string, extraRule = ''): string {
  return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: release-signed
spec:
  rules:
    # Release images are signed by the release key.
    - name: check-release
      match:
        any:
          - resources:
              kinds: [Pod]
${extraRule}      verifyImages:
        - imageReferences: ["registry.example.com/release/*"]
          failureAction: Enforce
${entry}`;
}

const EXACT_ENTRY = `          attestors:
            - entries:
                - keys:
                    publicKeys: |-
${KEY.split('\n')
  .map((line) => `                      ${line}`)
  .join('\n')}
                    rekor:
                      ignoreTlog: true
`;

async function source(text: string): Promise<string> {
  const dir = await tempDir('import-cli');
  const path = join(dir, 'policy.yaml');
  await writeFile(path, text);
  return path;
}

describe('vouch policy import', () => {
  it('exit 0: writes the ClusterImagePolicy with a comment naming the source document and rule, the report on stderr', async () => {
    const path = await source(kyvernoPolicy(EXACT_ENTRY));
    const result = await runVouch(['policy', 'import', '--from', 'kyverno', path]);
    expect(result.stderr).toContain('everything translated exactly');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `# Imported by \`vouch policy import --from kyverno\` from ${path}: document 1 (ClusterPolicy "release-signed"), rule "check-release"`,
    );
    // The source's comment on the rule travels with it.
    expect(result.stdout).toContain('# source comment: Release images are signed by the release key.');
    const documents = parseAllDocuments(result.stdout).map((doc) => doc.toJS() as Record<string, unknown>);
    expect(documents).toContainEqual(
      expect.objectContaining({
        kind: 'ClusterImagePolicy',
        metadata: { name: 'release-signed-check-release' },
        spec: {
          images: [{ glob: 'registry.example.com/release/**' }],
          authorities: [{ name: 'key-0', key: { data: `${KEY}\n` }, signatureFormat: 'legacy' }],
        },
      }),
    );
    expect(result.stderr).toMatch(
      /translated +spec\.rules\[0\]\.verifyImages\[0\]\.attestors\[0\]\.entries\[0\]\.keys\.publicKeys: → key\.data/,
    );
  });

  it('exit 1: names every field it does not understand, and still writes the rest, marked', async () => {
    const path = await source(
      kyvernoPolicy(`${EXACT_ENTRY}          verifyHarder: true\n`, '      colour: blue\n'),
    );
    const out = await tempDir('import-out');
    const result = await runVouch(['policy', 'import', '--from', 'kyverno', path, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not translated +spec\.rules\[0\]\.colour: unknown field/);
    expect(result.stderr).toMatch(
      /not translated +spec\.rules\[0\]\.verifyImages\[0\]\.verifyHarder: unknown field/,
    );
    expect(result.stderr).toContain('the output is written, marked where it differs (exit 1)');
    const written = await readFile(join(out, 'release-signed-check-release.yaml'), 'utf8');
    expect(written).toContain('# NOT TRANSLATED: spec.rules[0].verifyImages[0].verifyHarder: unknown field');
    expect(written).toContain('registry.example.com/release/**');
  });

  it('--out: one file per document, which vouch policy lint accepts', async () => {
    const out = await tempDir('import-out');
    const result = await runVouch([
      'policy',
      'import',
      '--from',
      'kyverno',
      join(FIXTURES, 'kyverno/verify-images/multiple-attestors.yaml'),
      '--out',
      out,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect((await readdir(out)).sort()).toEqual([
      'validate-signatures-check-1.yaml',
      'validate-signatures-check-2.yaml',
      'verification.config.yaml',
    ]);
    const lint = await runVouch(['policy', 'lint', out]);
    expect(lint.stderr).toBe('');
    expect(lint.code).toBe(0);
    expect(lint.stdout).toContain(
      'validate-signatures-check-1: enforce; images ghcr.io/kyverno/test-verify-image:**',
    );
  });

  it('reads - from stdin (Connaisseur Helm values here)', async () => {
    const values = await readFile(join(FIXTURES, 'connaisseur/integration/deployment.yaml'), 'utf8');
    const result = await runVouch(['policy', 'import', '--from', 'connaisseur', '-'], { input: values });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('kind: ClusterImagePolicy');
    expect(result.stderr).toContain('-: document 1');
  });

  it('exit 2: input the source tool refuses is named, and nothing is written', async () => {
    const path = await source(
      kyvernoPolicy(`          attestors:
            - count: 3
              entries:
                - keys: {publicKeys: "${KEY.replace(/\n/g, '\\n')}"}
`),
    );
    const out = await tempDir('import-out');
    const result = await runVouch(['policy', 'import', '--from', 'kyverno', path, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'spec.rules[0].verifyImages[0].attestors[0]: Count cannot exceed length of entries',
    );
    expect(result.stderr).toContain('kyverno itself would refuse this input; nothing was written');
    expect(await readdir(out)).toEqual([]);
  });

  it('exit 2 for usage and unreadable input; a kms key fails closed with its reason', async () => {
    expect(
      (await runVouch(['policy', 'import', join(FIXTURES, 'kyverno/verify-images/keyed-basic.yaml')])).code,
    ).toBe(2);
    expect((await runVouch(['policy', 'import', '--from', 'gatekeeper', '-'])).code).toBe(2);
    const missing = await runVouch(['policy', 'import', '--from', 'ratify', '/nonexistent/ratify']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/ratify: cannot read: no such file or directory');
    const kms = await runVouch([
      'policy',
      'import',
      '--from',
      'kyverno',
      await source(
        kyvernoPolicy(
          '          attestors:\n            - entries:\n                - keys: {kms: "awskms:///alias/release"}\n',
        ),
      ),
    ]);
    expect(kms.code).toBe(1);
    expect(kms.stderr).toMatch(
      /not translated +spec\.rules\[0\]\.verifyImages\[0\]\.attestors\[0\]\.entries\[0\]\.keys\.kms: kms keys are not supported by vouch/,
    );
    expect(kms.stdout).toContain('action: fail');
  });

  it('hostile input: alias bombs, duplicate keys, oversized files and endless nesting are refused, not followed', async () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      ...Array.from(
        { length: 12 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(',')}]`,
      ),
    ].join('\n');
    const aliases = await runVouch(['policy', 'import', '--from', 'connaisseur', await source(bomb)]);
    expect(aliases.code).toBe(2);
    const duplicate = await runVouch([
      'policy',
      'import',
      '--from',
      'kyverno',
      await source('apiVersion: kyverno.io/v1\napiVersion: kyverno.io/v1\nkind: ClusterPolicy\n'),
    ]);
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toMatch(/Map keys must be unique/);
    const big = await runVouch([
      'policy',
      'import',
      '--from',
      'kyverno',
      await source(`# ${'x'.repeat(5 * 1024 * 1024)}\n`),
    ]);
    expect(big.code).toBe(2);
    expect(big.stderr).toContain('larger than 4 MiB');
    let nested = `attestor: {entries: [{keys: {publicKeys: "${KEY.replace(/\n/g, '\\n')}"}}]}`;
    for (let i = 0; i < 6; i++) nested = `attestor: {entries: [{${nested}}]}`;
    const deep = await runVouch([
      'policy',
      'import',
      '--from',
      'kyverno',
      await source(
        kyvernoPolicy(`          attestors:\n            - entries:\n                - {${nested}}\n`),
      ),
    ]);
    expect(deep.code).toBe(2);
    expect(deep.stderr).toContain('nested attestor sets deeper than 4 levels are not imported');
    const brackets = await runVouch([
      'policy',
      'import',
      '--from',
      'kyverno',
      await source(`${'['.repeat(200_000)}${']'.repeat(200_000)}\n`),
    ]);
    expect(brackets.code).toBe(2);
    expect(brackets.stderr).toMatch(/^vouch: .*document 1/);
  });

  it('hostile input: PEM text built to make a pattern backtrack, and thousands of overlapping patterns, stay bounded', async () => {
    const pem = await runVouch([
      'policy',
      'import',
      '--from',
      'kyverno',
      await source(
        kyvernoPolicy(
          `          attestors:\n            - entries:\n                - keys: {publicKeys: "${'-----BEGIN A-----'.repeat(200_000)}", rekor: {ignoreTlog: true}}\n`,
        ),
      ),
    ]);
    expect(pem.code).toBe(1);
    expect(pem.stderr).toContain(
      'publicKeys: holds no PEM public key: this entry never verifies (static fail)',
    );
    const patterns = Array.from(
      { length: 1500 },
      (_, i) => `    - pattern: "*${'a*'.repeat(30)}${i}*"\n      validator: ${i % 2 ? 'allow' : 'deny'}`,
    );
    const values = `application:\n  validators:\n    - {name: allow, type: static, approve: true}\n    - {name: deny, type: static, approve: false}\n  policy:\n${patterns.join('\n')}\n`;
    const many = await runVouch(['policy', 'import', '--from', 'connaisseur', await source(values)]);
    expect(many.code).toBe(1);
    expect(many.stderr).toContain('some overlaps were assumed: the analysis stopped at its bound');
  });
});
