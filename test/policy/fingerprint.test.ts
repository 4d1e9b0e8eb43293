/** Fingerprints are stable across how policies are written and stored, and change with what verdicts depend on. */
import { describe, expect, it } from 'vitest';
import { type PolicySet, policyFingerprint } from '../../src/policy/index.js';
import { cip, KEY_AUTHORITY, load, OTHER_PUBLIC_KEY, yamlDocuments } from './helpers.js';

const fingerprintOf = (set: PolicySet) => policyFingerprint(set, set.policies);
const trustRoot = (json: string) => ({
  apiVersion: 'policy.sigstore.dev/v1alpha1',
  kind: 'TrustRoot',
  metadata: { name: 'corp' },
  spec: { trustedRootJSON: json },
});
const keyless = (name: string) =>
  cip(name, {
    images: [{ glob: 'ghcr.io/org/**' }],
    authorities: [
      {
        keyless: {
          trustRootRef: 'corp',
          identities: [{ issuer: 'https://i.example', subject: 's@example.com' }],
        },
      },
    ],
  });
const keyed = (name: string, key = KEY_AUTHORITY) =>
  cip(name, { images: [{ glob: 'ghcr.io/org/**' }], authorities: [key] });

describe('policyFingerprint', () => {
  it('does not depend on file layout, document order, key order, comments or defaults written out', async () => {
    const a = await load(yamlDocuments(keyed('one'), keyed('two')));
    const b = await load(
      `# reordered, with defaults spelled out\n${yamlDocuments(keyed('two'), {
        spec: {
          authorities: [{ name: 'authority-0', ...KEY_AUTHORITY }],
          mode: 'enforce',
          images: [{ glob: 'ghcr.io/org/**' }],
        },
        metadata: { name: 'one' },
        kind: 'ClusterImagePolicy',
        apiVersion: 'policy.sigstore.dev/v1alpha1',
      })}`,
    );
    expect(fingerprintOf(a.policySet)).toBe(fingerprintOf(b.policySet));
    expect(a.policySet.policies[0]?.origin).not.toBe(b.policySet.policies[0]?.origin);
    expect(policyFingerprint(a.policySet, [...a.policySet.policies].reverse())).toBe(
      fingerprintOf(a.policySet),
    );
  });

  it('changes with the key, the mode, the globs and the no-match-policy', async () => {
    const base = fingerprintOf((await load(yamlDocuments(keyed('one')))).policySet);
    const otherKey = fingerprintOf(
      (await load(yamlDocuments(keyed('one', { key: { data: OTHER_PUBLIC_KEY } })))).policySet,
    );
    const warn = fingerprintOf(
      (
        await load(
          yamlDocuments(
            cip('one', { images: [{ glob: 'ghcr.io/org/**' }], authorities: [KEY_AUTHORITY], mode: 'warn' }),
          ),
        )
      ).policySet,
    );
    const glob = fingerprintOf(
      (
        await load(
          yamlDocuments(cip('one', { images: [{ glob: 'ghcr.io/org/*' }], authorities: [KEY_AUTHORITY] })),
        )
      ).policySet,
    );
    const allow = fingerprintOf(
      (await load(yamlDocuments(keyed('one')), { noMatchPolicy: 'allow' })).policySet,
    );
    expect(new Set([base, otherKey, warn, glob, allow]).size).toBe(5);
  });

  it('covers the TrustRoots the matching policies refer to, and only those', async () => {
    const first = (await load(yamlDocuments(keyless('k'), keyed('plain'), trustRoot('{"a":1}')))).policySet;
    const second = (await load(yamlDocuments(keyless('k'), keyed('plain'), trustRoot('{"a":2}')))).policySet;
    const pick = (set: PolicySet, name: string) => set.policies.filter((p) => p.name === name);
    expect(policyFingerprint(first, pick(first, 'k'))).not.toBe(policyFingerprint(second, pick(second, 'k')));
    expect(policyFingerprint(first, pick(first, 'plain'))).toBe(
      policyFingerprint(second, pick(second, 'plain')),
    );
  });

  it('covers extra material the caller adds (e.g. the embedded Sigstore root)', async () => {
    const set = (await load(yamlDocuments(keyed('one')))).policySet;
    expect(policyFingerprint(set, set.policies, ['root-a'])).not.toBe(
      policyFingerprint(set, set.policies, ['root-b']),
    );
    expect(policyFingerprint(set, set.policies, ['x', 'y'])).toBe(
      policyFingerprint(set, set.policies, ['y', 'x']),
    );
  });

  it('distinguishes no matching policy from some', async () => {
    const set = (await load(yamlDocuments(keyed('one')))).policySet;
    expect(policyFingerprint(set, [])).not.toBe(fingerprintOf(set));
    expect(policyFingerprint(set, [])).toMatch(/^[0-9a-f]{64}$/);
  });
});
