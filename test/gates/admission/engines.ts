/**
 * Stand-ins for a policy engine that is broken: `check` rejects (the engine failed) or never answers,
 * so the server's fail-closed paths can be tested without arranging a real failure. `load` does what the gate relies on — it fails on
 * files that are not ClusterImagePolicy YAML and fingerprints the contents — so reloads can be tested.
 */
import { createHash } from 'node:crypto';
import { parseManifests, readManifestSources } from '../../../src/gates/admission/audit.js';
import type { CheckerFactory, LoadedPolicies } from '../../../src/gates/admission/policy-watcher.js';
import type { ImageChecker, Verdict } from '../../../src/policy/verdict.js';

export type EngineBehaviour = 'unavailable' | 'hang';

export class StandInEngine implements CheckerFactory {
  loads = 0;
  closed = false;
  checks = 0;

  constructor(private readonly behaviour: EngineBehaviour = 'unavailable') {}

  async load(paths: readonly string[]): Promise<LoadedPolicies> {
    const sources = await readManifestSources(paths, async () => '');
    const objects = sources.flatMap((source) => parseManifests(source));
    const policies = objects.filter(({ object }) => object.kind === 'ClusterImagePolicy');
    if (policies.length === 0) throw new Error(`no ClusterImagePolicy in ${paths.join(', ')}`);
    this.loads++;
    const hash = createHash('sha256');
    for (const source of sources) hash.update(source.text);
    return {
      checker: this.checker(),
      fingerprint: `sha256:${hash.digest('hex')}`,
      policyCount: policies.length,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checker(): ImageChecker {
    return {
      check: () => {
        this.checks++;
        if (this.behaviour === 'hang') return new Promise<Verdict>(() => undefined);
        return Promise.reject(new Error('policy engine failed (stand-in engine)'));
      },
    };
  }
}

export const POLICY_V1 = `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: release-signed
spec:
  images:
    - glob: "ghcr.io/acme/**"
  authorities:
    - keyless:
        identities:
          - issuer: https://token.actions.githubusercontent.com
            subjectRegExp: ^https://github\\.com/acme/.+$
`;

export const POLICY_V2 = `${POLICY_V1}---
apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: allow-everything-else
spec:
  images:
    - glob: "**"
  authorities:
    - static:
        action: pass
`;
