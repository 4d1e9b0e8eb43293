import { describe, expect, it } from 'vitest';
import { compileCondition } from '../../verify/cel.js';
import { type CountTree, countCondition } from './cip.js';

/** Evaluates a count condition with the authorities that passed, as the policy engine binds them. */
function passes(tree: CountTree, passed: string[]): boolean {
  const cel = countCondition(tree);
  if (cel === undefined) return passed.length > 0;
  const matches = Object.fromEntries(
    passed.map((name) => [name, { signatures: [], attestations: {}, static: false }]),
  );
  return compileCondition(cel, ['authorityMatches']).evaluate({ authorityMatches: matches });
}

describe('count conditions over authorities', () => {
  it('needs no condition for "any one", which a policy already means', () => {
    expect(countCondition({ count: 1, members: ['a', 'b'] })).toBeUndefined();
  });

  it('counts the authorities that passed: at least N of M', () => {
    const tree = { count: 2, members: ['a', 'b', 'c'] };
    expect(countCondition(tree)).toBe('size(authorityMatches) >= 2');
    expect(passes(tree, ['a'])).toBe(false);
    expect(passes(tree, ['a', 'c'])).toBe(true);
  });

  it('evaluates nested sets: all of (a, any of (b, c))', () => {
    const tree: CountTree = { count: 2, members: ['a', { count: 1, members: ['b', 'c'] }] };
    expect(passes(tree, ['a'])).toBe(false);
    expect(passes(tree, ['b', 'c'])).toBe(false);
    expect(passes(tree, ['a', 'c'])).toBe(true);
  });
});
