import { describe, expect, it } from 'vitest';
import {
  type BasesOptions,
  checkVerificationFlags,
  parseBuildArgs,
} from '../../../src/cli/commands/bases.js';
import { CliError } from '../../../src/cli/errors.js';

describe('parseBuildArgs', () => {
  it('takes NAME=VALUE, later values winning, values may hold = and be empty', () => {
    expect(parseBuildArgs(['A=1', 'B=x=y', 'A=2', 'C='], {})).toEqual({ A: '2', B: 'x=y', C: '' });
  });

  it('takes a bare NAME from the environment, and ignores it when the environment has none (as docker does)', () => {
    expect(parseBuildArgs(['TAG', 'MISSING'], { TAG: '3.20' })).toEqual({ TAG: '3.20' });
  });

  it.each(['', '=1', '1A=x', 'A-B=1', 'A B=1'])('rejects %j', (raw) => {
    expect(() => parseBuildArgs([raw], {})).toThrow(CliError);
  });
});

describe('checkVerificationFlags', () => {
  const base: BasesOptions = { strict: false, pin: false, output: 'text' };
  it('accepts exactly one way to verify', () => {
    expect(() => checkVerificationFlags({ ...base, policy: ['p.yaml', 'q.yaml'] })).not.toThrow();
    expect(() => checkVerificationFlags({ ...base, key: 'k.pub' })).not.toThrow();
    expect(() =>
      checkVerificationFlags({
        ...base,
        certificateIdentityRegexp: '^https://github.com/example/',
        certificateOidcIssuer: 'https://token.actions.githubusercontent.com',
      }),
    ).not.toThrow();
  });

  it('rejects none, and --policy together with any verification flag', () => {
    expect(() => checkVerificationFlags(base)).toThrow(/say what to verify against/);
    expect(() => checkVerificationFlags({ ...base, policy: [] })).toThrow(/say what to verify against/);
    for (const flags of [
      { key: 'k.pub' },
      { certificateIdentity: 'i' },
      { trustedRoot: 'root.json' },
      { rekorKey: ['rekor.pub'] },
      { insecureIgnoreTlog: true },
      { annotations: ['env=prod'] },
    ])
      expect(() => checkVerificationFlags({ ...base, policy: ['p.yaml'], ...flags })).toThrow(
        /--policy replaces --key, the keyless flags and -a/,
      );
  });

  it('takes --no-match-policy only with --policy', () => {
    expect(() =>
      checkVerificationFlags({ ...base, policy: ['p.yaml'], noMatchPolicy: 'deny' }),
    ).not.toThrow();
    expect(() => checkVerificationFlags({ ...base, key: 'k.pub', noMatchPolicy: 'allow' })).toThrow(
      /--no-match-policy applies only with --policy/,
    );
  });
});
