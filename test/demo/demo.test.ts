/**
 * `npm run demo` is the main job: it must finish, show every gate doing its work, and leave nothing
 * behind. The demo runs compiled (dist/, which `npm test` builds first) with its own TMPDIR so what it
 * leaves there can be counted.
 */
import { spawn } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, VOUCH_BIN } from '../harness/index.js';

const DEMO = join(VOUCH_BIN, '..', '..', 'dist', 'scripts', 'demo.js');

function runDemo(tmp: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO], {
      env: { ...process.env, TMPDIR: tmp, DOCKER_CONFIG: '/nonexistent-vouch-test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run demo', () => {
  it('runs all three gates against a real registry and cleans up after itself', async () => {
    const tmp = await tempDir('demo-test');
    try {
      const { code, output } = await runDemo(tmp);
      expect(code, output).toBe(0);
      // Sign and verify, and the policy.
      expect(output).toMatch(/\$ vouch verify --key cosign\.pub \S+\/demo\/app:1\.0\.0\n[\s\S]*?\(exit 0\)/);
      // Build gate: --pin wrote the verified digest.
      expect(output).toMatch(/Dockerfile now:\nARG BASE=\S+\/demo\/app:1\.0\.0@sha256:[0-9a-f]{64}/);
      // Promotion gate: the unsigned newest tag skipped, the verified one committed and pushed.
      expect(output).toMatch(/→ wrote \S+\/demo\/app:1\.0\.0@sha256:[0-9a-f]{64}/);
      expect(output).toContain('pushed to origin/main');
      // Admission gate: Pod pinned, Deployment untouched, reconcile free, unsigned Pod denied.
      expect(output).toMatch(/JSONPatch: \[\{"op":"replace","path":"\/spec\/containers\/0\/image"/);
      expect(output).toContain('no patch: the object stays exactly as Git has it');
      expect(output).toContain('registry requests for it: 0');
      expect(output).toMatch(/POST \/validate → DENIED\n {2}message: image "\S+\/demo\/app:1\.1\.0"/);
      expect(output).toMatch(/demo finished in [\d.]+ s/);
      expect(await readdir(tmp)).toEqual([]);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});
