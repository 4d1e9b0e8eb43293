import { describe, expect, it } from 'vitest';
import { toSignatureOutcome } from './outcome.js';
import { failed } from './result.js';

describe('toSignatureOutcome', () => {
  it('carries the failure code and the skipped checks into the reason', () => {
    const result = failed('SCT_INVALID', 'an embedded SCT does not verify', {
      warnings: ['transparency log check skipped (--insecure-ignore-tlog)'],
    });
    expect(
      toSignatureOutcome(result, { source: 'sig-tag', format: 'legacy', artefact: 'sha256:abc' }),
    ).toEqual({
      source: 'sig-tag',
      format: 'legacy',
      artefact: 'sha256:abc',
      verified: false,
      reason:
        'an embedded SCT does not verify [SCT_INVALID] (transparency log check skipped (--insecure-ignore-tlog))',
    });
  });

  it('keeps a verified signer description as is', () => {
    const outcome = toSignatureOutcome(
      {
        verified: true,
        reason: 'signed by a@b (issuer c)',
        tlog: { status: 'verified' },
        judgedAt: [],
        warnings: [],
      },
      { source: 'referrers-api', format: 'bundle' },
    );
    expect(outcome).toEqual({
      source: 'referrers-api',
      format: 'bundle',
      verified: true,
      reason: 'signed by a@b (issuer c)',
    });
  });
});
