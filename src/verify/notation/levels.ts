/** The five checks of the Notary Project's signature verification, in the specification's words. */
export type NotationCheck = 'integrity' | 'authenticity' | 'authenticTimestamp' | 'expiry' | 'revocation';

export const NOTATION_CHECKS: readonly NotationCheck[] = [
  'integrity',
  'authenticity',
  'authenticTimestamp',
  'expiry',
  'revocation',
];

/** What a failure of a check does: fails verification, is reported as a warning, or is not checked. */
export type CheckAction = 'enforce' | 'log' | 'skip';

export const CHECK_ACTIONS: readonly CheckAction[] = ['enforce', 'log', 'skip'];

export type VerificationLevel = 'strict' | 'permissive' | 'audit' | 'skip';

export const VERIFICATION_LEVELS: readonly VerificationLevel[] = ['strict', 'permissive', 'audit', 'skip'];

export type CheckActions = Readonly<Record<NotationCheck, CheckAction>>;

/** The specification's table of levels (trust-store-trust-policy.md, "Signature Verification details"). */
export const LEVEL_ACTIONS: Readonly<Record<VerificationLevel, CheckActions>> = {
  strict: {
    integrity: 'enforce',
    authenticity: 'enforce',
    authenticTimestamp: 'enforce',
    expiry: 'enforce',
    revocation: 'enforce',
  },
  permissive: {
    integrity: 'enforce',
    authenticity: 'enforce',
    authenticTimestamp: 'log',
    expiry: 'log',
    revocation: 'log',
  },
  audit: {
    integrity: 'enforce',
    authenticity: 'log',
    authenticTimestamp: 'log',
    expiry: 'log',
    revocation: 'log',
  },
  skip: {
    integrity: 'skip',
    authenticity: 'skip',
    authenticTimestamp: 'skip',
    expiry: 'skip',
    revocation: 'skip',
  },
};

/**
 * Why an `override` entry is not allowed, or undefined: integrity can never be overridden, only
 * revocation may be skipped, and the other checks take `enforce` or `log`.
 */
export function overrideProblem(check: string, action: string): string | undefined {
  if (!(NOTATION_CHECKS as readonly string[]).includes(check))
    return `override names ${JSON.stringify(check)}, which is not a check (${NOTATION_CHECKS.slice(1).join(', ')})`;
  if (!(CHECK_ACTIONS as readonly string[]).includes(action))
    return `override sets ${check} to ${JSON.stringify(action)}; expected enforce, log or skip`;
  if (check === 'integrity') return 'override cannot change integrity, which every level enforces';
  if (action === 'skip' && check !== 'revocation')
    return `override cannot skip ${check}; only revocation may be skipped`;
  return undefined;
}

/** The action of each check for a level and its (already validated) overrides. */
export function checkActions(
  level: VerificationLevel,
  override: Readonly<Partial<Record<NotationCheck, CheckAction>>> = {},
): CheckActions {
  return { ...LEVEL_ACTIONS[level], ...override };
}
