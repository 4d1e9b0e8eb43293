import { describe, expect, it } from 'vitest';
import { compileCondition } from './cel.js';

const statement = {
  predicateType: 'p',
  predicate: { bomFormat: 'CycloneDX', components: [{ name: 'a' }, { name: 'b' }] },
};

describe('CEL conditions', () => {
  it('evaluate against the bound statement', () => {
    expect(
      compileCondition('statement.predicate.bomFormat == "CycloneDX"', ['statement']).evaluate({ statement }),
    ).toBe(true);
    expect(
      compileCondition('statement.predicate.components.exists(c, c.name == "b")', ['statement']).evaluate({
        statement,
      }),
    ).toBe(true);
    expect(
      compileCondition('statement.predicate.components.size() > 5', ['statement']).evaluate({ statement }),
    ).toBe(false);
  });

  it('report syntax errors and unknown variables when compiled', () => {
    expect(() => compileCondition('statement.(', ['statement'])).toThrow(/does not compile/);
    expect(() => compileCondition('predicate.x == 1', ['statement'])).toThrow(/unknown variable predicate/);
  });

  it('report non-boolean results and evaluation errors when evaluated', () => {
    expect(() => compileCondition('statement.predicateType', ['statement']).evaluate({ statement })).toThrow(
      /not a boolean/,
    );
    expect(() =>
      compileCondition('statement.predicate.missing == 1', ['statement']).evaluate({ statement }),
    ).toThrow(/failed: .*missing/);
  });
});
