/** `vouch policy lint` as a user runs it (bin/vouch over the built dist/; `npm test` builds first). */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../harness/index.js';
import { cip, GLOBS, KEY_AUTHORITY, keyPolicy, PUBLIC_KEY, yamlDocuments } from './helpers.js';

const VOUCH = new URL('../../bin/vouch', import.meta.url).pathname;

function vouch(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [VOUCH, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir('lint');
  await mkdir(join(dir, 'good'));
  await mkdir(join(dir, 'bad'));
  await mkdir(join(dir, 'secrets/release-key'), { recursive: true });
  await writeFile(
    join(dir, 'good/policies.yaml'),
    yamlDocuments(
      keyPolicy('release', ['ghcr.io/org/**']),
      cip('base-images', {
        images: [{ glob: 'index.docker.io/library/*' }, { glob: 'alpine' }],
        authorities: [{ static: { action: 'pass' } }],
      }),
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: {} },
    ),
  );
  await writeFile(
    join(dir, 'bad/policies.yaml'),
    yamlDocuments(
      keyPolicy('fine'),
      cip('broken', {
        images: GLOBS,
        authorities: [{ ...KEY_AUTHORITY, static: { action: 'pass' } }],
        mode: 'audit',
      }),
    ),
  );
  await writeFile(
    join(dir, 'secret-policy.yaml'),
    yamlDocuments(
      cip('from-secret', { images: GLOBS, authorities: [{ key: { secretRef: { name: 'release-key' } } }] }),
    ),
  );
  await writeFile(join(dir, 'secrets/release-key/cosign.pub'), PUBLIC_KEY);
});

describe('vouch policy lint', () => {
  it('prints one line per policy and exits 0 when everything is valid', async () => {
    const { code, stdout, stderr } = await vouch('policy', 'lint', join(dir, 'good'));
    const file = join(dir, 'good/policies.yaml');
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toEqual([
      `base-images: enforce; images index.docker.io/library/*, alpine; authorities authority-0 (static pass); from ${file}: document 2 (ClusterImagePolicy "base-images")`,
      `release: enforce; images ghcr.io/org/**; authorities authority-0 (key); from ${file}: document 1 (ClusterImagePolicy "release")`,
    ]);
    expect(stderr).toContain(
      `vouch: warning: ${file}: document 2 (ClusterImagePolicy "base-images"): spec.images[1].glob: glob "alpine" never matches`,
    );
    expect(stderr).toContain(
      `vouch: note: ignored ${file}: document 3 (Deployment "web"): apps/v1 Deployment is not a policy document`,
    );
  });

  it('exits 2 with every located error, and prints no summary', async () => {
    const { code, stdout, stderr } = await vouch('policy', 'lint', join(dir, 'bad'));
    const where = `${join(dir, 'bad/policies.yaml')}: document 2 (ClusterImagePolicy "broken")`;
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toEqual([
      `vouch: ${where}: spec.mode: must be one of "enforce", "warn" (got "audit")`,
      `vouch: ${where}: spec.authorities[0]: expected exactly one of key, keyless and static, got key and static`,
    ]);
  });

  it('reports errors as JSON with --output json', async () => {
    const { code, stdout } = await vouch('policy', 'lint', '-o', 'json', join(dir, 'bad'));
    expect(code).toBe(2);
    const report = JSON.parse(stdout) as { valid: boolean; errors: { code: string; message: string }[] };
    expect(report.valid).toBe(false);
    expect(report.errors.map((error) => error.code)).toEqual(['INVALID', 'INVALID']);
  });

  it('needs the Secret a secretRef names, and finds it in --secrets', async () => {
    const without = await vouch('policy', 'lint', join(dir, 'secret-policy.yaml'));
    expect(without.code).toBe(2);
    expect(without.stderr).toContain(
      'spec.authorities[0].key.secretRef: Secret cosign-system/release-key was not supplied',
    );
    const withSecrets = await vouch(
      'policy',
      'lint',
      '--secrets',
      join(dir, 'secrets'),
      join(dir, 'secret-policy.yaml'),
    );
    expect(withSecrets.code).toBe(0);
    expect(withSecrets.stdout).toContain(
      'from-secret: enforce; images ghcr.io/org/**; authorities authority-0 (key)',
    );
  });

  it('says what an empty verification config means', async () => {
    const config = join(dir, 'empty-config.yaml');
    await writeFile(config, yamlDocuments({ 'no-match-policy': 'warn', policies: [] }));
    const { code, stdout } = await vouch('policy', 'lint', config);
    expect(code).toBe(0);
    expect(stdout).toBe('no policies: every image gets no-match-policy warn\n');
  });

  it('exits 2 for a path that does not exist', async () => {
    const { code, stderr } = await vouch('policy', 'lint', join(dir, 'nowhere'));
    expect(code).toBe(2);
    expect(stderr).toBe(`vouch: ${join(dir, 'nowhere')}: cannot read: no such file or directory\n`);
  });
});
