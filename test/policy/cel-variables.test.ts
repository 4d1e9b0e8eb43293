/** CEL policies are checked against the variables they will have when the policies are loaded. */
import { describe, expect, it } from 'vitest';
import { cip, GLOBS, KEY_AUTHORITY, load, specErrors, yamlDocuments } from './helpers.js';

const loads = async (spec: Record<string, unknown>) =>
  (await load(yamlDocuments(cip('p', spec)))).policySet.policies.length;

describe('CEL variables checked at load time', () => {
  it('a policy-level condition reads spec only with includeSpec (and metadata, typemeta, config likewise)', async () => {
    expect(
      await specErrors({
        images: GLOBS,
        authorities: [KEY_AUTHORITY],
        policy: { type: 'cel', data: 'spec.serviceAccountName == "x" && size(authorityMatches) > 0' },
      }),
    ).toEqual(['spec.policy.data: CEL condition uses unknown variable spec; available: authorityMatches']);
    expect(
      await loads({
        images: GLOBS,
        authorities: [KEY_AUTHORITY],
        policy: {
          type: 'cel',
          data: 'spec.a == metadata.name && typemeta.kind == "Pod" && size(config) > 0',
          includeSpec: true,
          includeObjectMeta: true,
          includeTypeMeta: true,
          fetchConfigFile: true,
        },
      }),
    ).toBe(1);
  });

  it('an attestation condition reads the statement and its top-level fields', async () => {
    const attestation = (data: string) => ({
      images: GLOBS,
      authorities: [
        {
          ...KEY_AUTHORITY,
          attestations: [{ name: 'a', predicateType: 'custom', policy: { type: 'cel', data } }],
        },
      ],
    });
    expect(await loads(attestation('predicate.x == 1 && statement.subject.size() == subject.size()'))).toBe(
      1,
    );
    expect(await specErrors(attestation('authorityMatches.x'))).toEqual([
      'spec.authorities[0].attestations[0].policy.data: CEL condition uses unknown variable authorityMatches; available: statement, predicateType, predicate, subject',
    ]);
  });
});
