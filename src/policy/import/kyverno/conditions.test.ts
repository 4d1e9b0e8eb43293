import { describe, expect, it } from 'vitest';
import { compileCondition } from '../../../verify/cel.js';
import { ATTESTATION_CEL_VARIABLES } from '../../cel-variables.js';
import { translateCondition, translateConditions } from './conditions.js';

const provenance = {
  predicate: {
    builder: { id: 'https://github.com/slsa-framework/slsa-github-generator/x@refs/heads/main' },
    'build-type': 'ci',
  },
};

function holds(cel: string, statement: { predicate: unknown }): boolean {
  return compileCondition(cel, ATTESTATION_CEL_VARIABLES).evaluate({
    statement,
    predicate: statement.predicate,
  });
}

describe('Kyverno attestation conditions as CEL', () => {
  it('translates a plain field compared with Equals and NotEquals', () => {
    const equals = translateCondition({
      key: '{{ builder.id }}',
      operator: 'Equals',
      value: provenance.predicate.builder.id,
    });
    expect(equals).toEqual({ ok: true, cel: `predicate.builder.id == '${provenance.predicate.builder.id}'` });
    expect(holds((equals as { cel: string }).cel, provenance)).toBe(true);
    const notEquals = translateCondition({ key: '{{ builder.id }}', operator: 'NotEquals', value: 'x' });
    expect(holds((notEquals as { cel: string }).cel, provenance)).toBe(true);
  });

  it('reads quoted JMESPath names and Kyverno wildcards in values', () => {
    const quoted = translateCondition({ key: '{{ "build-type" }}', operator: 'Equals', value: 'ci' });
    expect(quoted).toEqual({ ok: true, cel: "predicate['build-type'] == 'ci'" });
    const wildcard = translateCondition({
      key: '{{ builder.id }}',
      operator: 'Equals',
      value: 'https://github.com/slsa-framework/*',
    });
    expect(holds((wildcard as { cel: string }).cel, provenance)).toBe(true);
    expect(
      holds((wildcard as { cel: string }).cel, {
        predicate: { builder: { id: 'https://github.com/evil/x' } },
      }),
    ).toBe(false);
  });

  it("translates regex_match(pattern, '{{ field }}') compared with true", () => {
    const key = "{{ regex_match('^https://github.com/slsa-framework/','{{ builder.id}}') }}";
    const translated = translateCondition({ key, operator: 'Equals', value: true });
    expect(translated).toMatchObject({ ok: true });
    expect(holds((translated as { cel: string }).cel, provenance)).toBe(true);
    const negated = translateCondition({ key, operator: 'Equals', value: false });
    expect(holds((negated as { cel: string }).cel, provenance)).toBe(false);
  });

  it('refuses what means something else in Kyverno: quantities, durations, JMESPath, other operators', () => {
    expect(translateCondition({ key: '{{ count }}', operator: 'Equals', value: '10' })).toMatchObject({
      ok: false,
    });
    expect(translateCondition({ key: '{{ age }}', operator: 'Equals', value: '5m' })).toMatchObject({
      ok: false,
    });
    expect(
      translateCondition({ key: '{{ components[].name }}', operator: 'Equals', value: 'x' }),
    ).toMatchObject({ ok: false });
    expect(
      translateCondition({ key: '{{ request.object.kind }}', operator: 'Equals', value: 'Pod' }),
    ).toMatchObject({ ok: false });
    expect(translateCondition({ key: '{{ a }}', operator: 'AnyIn', value: ['x'] })).toMatchObject({
      ok: false,
    });
  });

  it('combines blocks as Kyverno does: every block, every all, one any (an empty any is false)', () => {
    const result = translateConditions([
      { all: [{ key: '{{ a }}', operator: 'Equals', value: 'x' }] },
      {
        any: [
          { key: '{{ b }}', operator: 'Equals', value: 'y' },
          { key: '{{ b }}', operator: 'Equals', value: 'z' },
        ],
      },
    ]);
    expect(result.cel).toBeDefined();
    expect(holds(result.cel as string, { predicate: { a: 'x', b: 'z' } })).toBe(true);
    expect(holds(result.cel as string, { predicate: { a: 'x', b: 'q' } })).toBe(false);
    expect(translateConditions([{ any: [] }]).cel).toBe('false');
    expect(
      translateConditions([{ all: [{ key: '{{ a[0] }}', operator: 'Equals', value: 'x' }] }]).problems,
    ).toHaveLength(1);
  });
});
