/**
 * Cases of the sigstore conformance suite, run through `vouch verify-bundle` exactly as the suite's
 * client protocol runs a client (bin/vouch over dist/: `npm test` builds first).
 */
import { describe, expect, it } from 'vitest';
import { runVouch } from '../harness/index.js';

const ASSETS = new URL('../fixtures/sigstore-conformance/', import.meta.url).pathname;
const IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

function verifyCase(name: string) {
  return runVouch([
    'verify-bundle',
    '--bundle',
    `${ASSETS}${name}/bundle.sigstore.json`,
    '--certificate-identity',
    IDENTITY,
    '--certificate-oidc-issuer',
    ISSUER,
    '--trusted-root',
    `${ASSETS}${name}/trusted_root.json`,
    `${ASSETS}a.txt`,
  ]);
}

describe('sigstore-conformance bundle-verify cases', () => {
  it('trust-root-tlog-validity-end-inclusive: a trusted root with null fields is read, and the bundle verifies', async () => {
    const run = await verifyCase('trust-root-tlog-validity-end-inclusive');
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`verified ${ASSETS}a.txt: signed by ${IDENTITY}`);
    expect(run.code).toBe(0);
  });
});
