import { describe, expect, it } from 'vitest';
import { decide, type EnforcementConfig, NamespaceRules } from '../../../src/gates/admission/enforcement.js';
import {
  changedLocations,
  combineDecisions,
  deletionSkipReason,
  denialReason,
  type EvaluatedImage,
  skipReason,
  unchangedImages,
} from '../../../src/gates/admission/gate.js';
import { mutatesKind, pinImage, planPatch } from '../../../src/gates/admission/mutation.js';
import { parseAdmissionReview } from '../../../src/gates/admission/review.js';
import { extractImages, type ImageLocation, workloadKind } from '../../../src/gates/admission/workloads.js';
import type { Verdict } from '../../../src/policy/verdict.js';
import { applyJsonPatch } from './json-patch.js';
import { DIGEST_A, DIGEST_B, DIGEST_C, KINDS, podSpec, review, workload } from './reviews.js';
import { denied, noMatch, staticPass, verified, warnModeFailed } from './verdicts.js';

const config = (overrides: Partial<EnforcementConfig> = {}): EnforcementConfig => ({
  audit: false,
  enforceNamespaces: [],
  warnNamespaces: [],
  excludeNamespaces: ['kube-system', 'vouch-system'],
  ...overrides,
});

describe('objects being deleted', () => {
  const reason = (body: Record<string, unknown>) => {
    const request = parseAdmissionReview(body);
    const kind = workloadKind('', 'Pod');
    if (!kind) throw new Error('Pod is a workload kind');
    const locations = extractImages(kind, request.object);
    const changed = changedLocations(
      locations,
      request.operation === 'UPDATE' ? request.oldObject : undefined,
    );
    return deletionSkipReason(request, locations, changed);
  };
  const deleting = (image: string) => workload('Pod', podSpec({ containers: [image] }), { deleting: true });

  it('admits unchecked an UPDATE that changes no image (finalizer removal)', () => {
    const object = deleting('unsigned:1');
    const old = workload('Pod', podSpec({ containers: ['unsigned:1'] }));
    expect(reason(review({ kind: 'Pod', operation: 'UPDATE', object, oldObject: old }))).toBe(
      'object is being deleted and the update changes no image',
    );
  });

  it('checks a CREATE that carries deletionTimestamp (the API server clears it only after mutation)', () => {
    expect(
      reason(review({ kind: 'Pod', operation: 'CREATE', object: deleting('unsigned:1') })),
    ).toBeUndefined();
  });

  it('checks an UPDATE of an object being deleted that changes an image', () => {
    const old = deleting('signed:1');
    expect(
      reason(review({ kind: 'Pod', operation: 'UPDATE', object: deleting('unsigned:1'), oldObject: old })),
    ).toBeUndefined();
  });
});

describe('skip rules', () => {
  const rules = new NamespaceRules(config());
  const pod = workload('Pod', podSpec({ containers: ['nginx:1.27'] }));
  const skip = (body: Record<string, unknown>) => skipReason(parseAdmissionReview(body), rules);

  it('checks CREATE and UPDATE of every workload kind', () => {
    for (const kind of Object.keys(KINDS)) {
      const object = workload(kind, podSpec({ containers: ['nginx:1.27'] }));
      expect(skip(review({ kind, operation: 'CREATE', object }))).toBeUndefined();
      expect(skip(review({ kind, operation: 'UPDATE', object, oldObject: object }))).toBeUndefined();
    }
  });

  it('checks the ephemeralcontainers subresource of Pods', () => {
    expect(
      skip(
        review({
          kind: 'Pod',
          operation: 'UPDATE',
          object: pod,
          oldObject: pod,
          subResource: 'ephemeralcontainers',
        }),
      ),
    ).toBeUndefined();
  });

  it('admits DELETE, CONNECT, status and scale without checks', () => {
    expect(skip(review({ kind: 'Pod', operation: 'DELETE', object: null, oldObject: pod }))).toBe(
      'DELETE brings no new image',
    );
    expect(
      skip(
        review({
          kind: 'Pod',
          operation: 'CONNECT',
          object: { kind: 'PodExecOptions' },
          subResource: 'exec',
        }),
      ),
    ).toBe('CONNECT brings no new image');
    const deployment = workload('Deployment', podSpec({ containers: ['nginx'] }));
    expect(
      skip(
        review({
          kind: 'Deployment',
          operation: 'UPDATE',
          object: deployment,
          oldObject: deployment,
          subResource: 'status',
        }),
      ),
    ).toBe('subresource status carries no images');
    expect(
      skip(
        review({
          kind: 'Deployment',
          operation: 'UPDATE',
          object: deployment,
          oldObject: deployment,
          subResource: 'scale',
        }),
      ),
    ).toBe('subresource scale carries no images');
  });

  it('never skips an object being deleted before its images are looked at', () => {
    const deleting = workload('Pod', podSpec({ containers: ['unsigned:1'] }), { deleting: true });
    expect(skip(review({ kind: 'Pod', operation: 'CREATE', object: deleting }))).toBeUndefined();
    expect(
      skip(review({ kind: 'Pod', operation: 'UPDATE', object: deleting, oldObject: deleting })),
    ).toBeUndefined();
  });

  it('admits excluded namespaces and kinds without a pod template', () => {
    expect(skip(review({ kind: 'Pod', operation: 'CREATE', object: pod, namespace: 'kube-system' }))).toBe(
      'namespace kube-system is excluded',
    );
    expect(
      skip(
        review({
          kind: 'ConfigMap',
          operation: 'CREATE',
          object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
        }),
      ),
    ).toBe('kind v1/ConfigMap carries no pod template vouch knows');
    expect(
      skip(
        review({
          kind: 'Deployment',
          group: 'extensions',
          version: 'v1beta1',
          operation: 'CREATE',
          object: pod,
        }),
      ),
    ).toMatch(/extensions\/v1beta1\/Deployment carries no pod template/);
  });
});

describe('namespace rules', () => {
  it('matches names and globs', () => {
    const rules = new NamespaceRules(
      config({ enforceNamespaces: ['prod', 'prod-*'], warnNamespaces: ['team-?', '*-sandbox'] }),
    );
    expect(rules.modeFor('prod')).toBe('enforce');
    expect(rules.modeFor('prod-eu')).toBe('enforce');
    expect(rules.modeFor('production')).toBe('policy');
    expect(rules.modeFor('team-a')).toBe('warn');
    expect(rules.modeFor('team-ab')).toBe('policy');
    expect(rules.modeFor('joe-sandbox')).toBe('warn');
    expect(rules.modeFor(undefined)).toBe('policy');
  });

  it('lets enforce lists win over warn lists, and both over --audit', () => {
    const rules = new NamespaceRules(
      config({ audit: true, enforceNamespaces: ['prod*'], warnNamespaces: ['prod-test'] }),
    );
    expect(rules.modeFor('prod-test')).toBe('enforce');
    expect(rules.modeFor('dev')).toBe('warn');
    expect(rules.modeFor(undefined)).toBe('warn');
  });

  it('treats glob metacharacters of regular expressions literally', () => {
    const rules = new NamespaceRules(config({ excludeNamespaces: ['a.b*'] }));
    expect(rules.isExcluded('a.bc')).toBe(true);
    expect(rules.isExcluded('axbc')).toBe(false);
    expect(rules.isExcluded(undefined)).toBe(false);
  });
});

describe('decisions per enforcement mode', () => {
  const image = 'ghcr.io/acme/web:1.0';

  it('follows the verdict by default', () => {
    expect(decide(verified(image, DIGEST_A), 'policy')).toEqual({
      allowed: true,
      denials: [],
      warnings: [],
      warned: false,
      verified: true,
    });
    const no = decide(denied(image), 'policy');
    expect(no.allowed).toBe(false);
    expect(no.denials).toEqual(['failed policy: release-signed: no matching signatures']);
    const warned = decide(warnModeFailed(image, DIGEST_A), 'policy');
    expect(warned).toMatchObject({ allowed: true, warned: true, verified: false });
    expect(warned.warnings).toEqual(['failed policy: team-signed: no matching signatures']);
  });

  it('--warn-namespaces and --audit turn policy failures into warnings', () => {
    for (const verdict of [
      denied(image, 'signature'),
      denied(image, 'static'),
      denied(image, 'policy'),
      noMatch(image),
    ]) {
      const decision = decide(verdict, 'warn');
      expect(decision.allowed).toBe(true);
      expect(decision.warned).toBe(true);
      expect(decision.verified).toBe(false);
      expect(decision.warnings).toEqual(verdict.errors);
    }
  });

  it('never admits on error, whatever the mode', () => {
    const failures: Verdict[] = [
      denied(image, 'registry'),
      denied(image, 'timeout'),
      denied(image, 'invalid'),
      { image, allowed: false, errors: ['verification of x failed: boom'], warnings: [], policies: [] },
    ];
    for (const verdict of failures) {
      for (const mode of ['policy', 'warn', 'enforce'] as const) {
        const decision = decide(verdict, mode);
        expect(decision.allowed, `${verdict.failure} in ${mode}`).toBe(false);
        expect(decision.denials.length).toBeGreaterThan(0);
      }
    }
  });

  it('--enforce-namespaces makes warn-mode policies deny', () => {
    const decision = decide(warnModeFailed(image, DIGEST_A), 'enforce');
    expect(decision.allowed).toBe(false);
    expect(decision.denials).toEqual(['failed policy: team-signed: no matching signatures']);
    expect(decision.warnings).toEqual([]);
    expect(decide(verified(image, DIGEST_A), 'enforce').allowed).toBe(true);
  });

  it('keeps no-match warnings as warnings and gives a reason even without messages', () => {
    expect(decide(noMatch(image, true), 'enforce')).toMatchObject({ allowed: true, warned: true });
    const bare: Verdict = {
      image,
      allowed: false,
      errors: [],
      warnings: [],
      policies: [],
      failure: 'registry',
    };
    expect(decide(bare, 'policy').denials).toEqual(['not allowed (registry)']);
  });

  it('calls only a digest every policy passed "verified"', () => {
    expect(decide(staticPass(image), 'policy').verified).toBe(false);
    expect(decide(noMatch(image, true), 'policy').verified).toBe(false);
    expect(decide(warnModeFailed(image, DIGEST_A), 'warn').verified).toBe(false);
    expect(decide(verified(image, DIGEST_A), 'warn').verified).toBe(true);
  });
});

describe('digest pinning', () => {
  it('appends the digest to the text as written', () => {
    expect(pinImage('nginx:1.27', DIGEST_A)).toBe(`nginx:1.27@${DIGEST_A}`);
    expect(pinImage('nginx', DIGEST_A)).toBe(`nginx@${DIGEST_A}`);
    expect(pinImage('127.0.0.1:5000/team/app:v2', DIGEST_A)).toBe(`127.0.0.1:5000/team/app:v2@${DIGEST_A}`);
    expect(pinImage(`nginx:1.27@${DIGEST_B}`, DIGEST_A)).toBeUndefined();
    expect(pinImage('nginx:1.27', 'sha256:short')).toBeUndefined();
  });

  it('rewrites Pods by default and controllers only with --digest-mutation all', () => {
    const pod = workloadKind('', 'Pod') as never;
    const deployment = workloadKind('apps', 'Deployment') as never;
    expect(mutatesKind('pods', pod)).toBe(true);
    expect(mutatesKind('pods', deployment)).toBe(false);
    expect(mutatesKind('all', deployment)).toBe(true);
    expect(mutatesKind('none', pod)).toBe(false);
  });

  /** Runs extraction, decisions and planning over a real object and applies the patch as the API server would. */
  function patched(
    kind: string,
    mode: 'pods' | 'all' | 'none',
    object: Record<string, unknown>,
    verdicts: Record<string, Verdict>,
    oldObject?: Record<string, unknown>,
  ) {
    const workloadType = workloadKind(KINDS[kind]?.group ?? '', kind) as never;
    const locations = extractImages(workloadType, object);
    const changed = changedLocations(locations, oldObject);
    const candidates = locations.map((location) => {
      const verdict = verdicts[location.image] as Verdict;
      return {
        location,
        changed: changed.get(location) !== false,
        decision: decide(verdict, 'policy'),
        ...(verdict.digest !== undefined && { digest: verdict.digest }),
      };
    });
    const patch = planPatch(workloadType, mode, candidates);
    return { patch, result: applyJsonPatch(object, patch) };
  }

  it('pins every verified tag-only image of a Pod, everywhere it appears, and nothing else', () => {
    const images = {
      containers: [
        'ghcr.io/acme/web:1.0',
        `ghcr.io/acme/pinned:2.0@${DIGEST_C}`,
        'docker.io/library/redis:7',
      ],
      init: ['ghcr.io/acme/migrate:1.0'],
      ephemeral: ['busybox:1.36'],
      volumes: ['ghcr.io/acme/models:v3'],
    };
    const object = workload('Pod', podSpec(images));
    const { patch, result } = patched('Pod', 'pods', object, {
      'ghcr.io/acme/web:1.0': verified('ghcr.io/acme/web:1.0', DIGEST_A),
      [`ghcr.io/acme/pinned:2.0@${DIGEST_C}`]: verified(`ghcr.io/acme/pinned:2.0@${DIGEST_C}`, DIGEST_C),
      'docker.io/library/redis:7': staticPass('docker.io/library/redis:7'),
      'ghcr.io/acme/migrate:1.0': verified('ghcr.io/acme/migrate:1.0', DIGEST_B),
      'busybox:1.36': warnModeFailed('busybox:1.36', DIGEST_B),
      'ghcr.io/acme/models:v3': verified('ghcr.io/acme/models:v3', DIGEST_C),
    });
    const expected = JSON.parse(
      JSON.stringify(object)
        .replace('"ghcr.io/acme/web:1.0"', `"ghcr.io/acme/web:1.0@${DIGEST_A}"`)
        .replace('"ghcr.io/acme/migrate:1.0"', `"ghcr.io/acme/migrate:1.0@${DIGEST_B}"`)
        .replace('"ghcr.io/acme/models:v3"', `"ghcr.io/acme/models:v3@${DIGEST_C}"`),
    );
    expect(result).toEqual(expected);
    expect(patch).toHaveLength(3);
    expect(patch.every((operation) => operation.op === 'replace')).toBe(true);
  });

  it.each([
    'Deployment',
    'ReplicaSet',
    'StatefulSet',
    'DaemonSet',
    'Job',
    'CronJob',
    'ReplicationController',
  ])('leaves a %s untouched by default and pins it with --digest-mutation all', (kind) => {
    const object = workload(kind, podSpec({ containers: ['ghcr.io/acme/web:1.0'] }));
    const verdicts = { 'ghcr.io/acme/web:1.0': verified('ghcr.io/acme/web:1.0', DIGEST_A) };
    expect(patched(kind, 'pods', object, verdicts).patch).toEqual([]);
    expect(patched(kind, 'none', object, verdicts).patch).toEqual([]);
    const all = patched(kind, 'all', object, verdicts);
    expect(all.patch).toHaveLength(1);
    expect(JSON.stringify(all.result)).toContain(`"ghcr.io/acme/web:1.0@${DIGEST_A}"`);
  });

  it('never rewrites an image an UPDATE kept (that would restart the container)', () => {
    const old = workload('Pod', podSpec({ containers: ['ghcr.io/acme/web:1.0', 'ghcr.io/acme/side:1'] }));
    const next = structuredClone(old) as Record<string, unknown>;
    ((next.spec as Record<string, unknown[]>).containers?.[1] as Record<string, unknown>).image =
      'ghcr.io/acme/side:2';
    const { patch } = patched(
      'Pod',
      'pods',
      next,
      {
        'ghcr.io/acme/web:1.0': verified('ghcr.io/acme/web:1.0', DIGEST_A),
        'ghcr.io/acme/side:2': verified('ghcr.io/acme/side:2', DIGEST_B),
      },
      old,
    );
    expect(patch).toEqual([
      { op: 'replace', path: '/spec/containers/1/image', value: `ghcr.io/acme/side:2@${DIGEST_B}` },
    ]);
  });
});

describe('UPDATE: what is unchanged', () => {
  const kind = workloadKind('apps', 'Deployment') as never;

  it('compares each image with the old object at the same place', () => {
    const old = workload('Deployment', podSpec({ containers: ['a:1', 'b:1'], init: ['c:1'] }));
    const next = workload('Deployment', podSpec({ containers: ['a:1', 'b:2'], init: ['c:1'] }));
    const locations = extractImages(kind, next);
    const changed = changedLocations(locations, old);
    expect(locations.map((location) => changed.get(location))).toEqual([false, false, true]);
    expect([...unchangedImages(locations, changed)].sort()).toEqual(['a:1', 'c:1']);
  });

  it('counts an image moved to another place, or repeated in a new place, as changed', () => {
    const old = workload('Deployment', podSpec({ containers: ['a:1', 'b:1'] }));
    const swapped = workload('Deployment', podSpec({ containers: ['b:1', 'a:1'] }));
    const locations = extractImages(kind, swapped);
    expect(unchangedImages(locations, changedLocations(locations, old)).size).toBe(0);
    const repeated = workload('Deployment', podSpec({ containers: ['a:1', 'b:1'], init: ['a:1'] }));
    const more = extractImages(kind, repeated);
    expect([...unchangedImages(more, changedLocations(more, old))]).toEqual(['b:1']);
  });

  it('ignores annotations claiming earlier verification', () => {
    const claims = { 'kyverno.io/verify-images': '{"evil:1":"pass"}', 'vouch.dev/verified': 'true' };
    const old = workload('Deployment', podSpec({ containers: ['good:1'] }), { annotations: claims });
    const next = workload('Deployment', podSpec({ containers: ['evil:1'] }), { annotations: claims });
    const locations = extractImages(kind, next);
    expect(unchangedImages(locations, changedLocations(locations, old)).size).toBe(0);
  });

  it('treats everything as new on CREATE', () => {
    const locations = extractImages(kind, workload('Deployment', podSpec({ containers: ['a:1'] })));
    expect(unchangedImages(locations, changedLocations(locations, undefined)).size).toBe(0);
  });
});

describe('request decision', () => {
  const location = (image: string, name: string): ImageLocation => ({
    image,
    pointer: `/spec/containers/0/image`,
    field: 'containers',
    index: 0,
    name,
  });
  const evaluated = (
    verdict: Verdict,
    origin: EvaluatedImage['origin'] = 'check',
    mode = 'policy' as const,
  ) => ({
    image: verdict.image,
    locations: [location(verdict.image, 'app'), location(verdict.image, 'sidecar')],
    verdict,
    origin,
    decision: decide(verdict, mode),
    shared: false,
    durationMs: 1,
  });

  it('denies when any image is denied, naming image, place and reason', () => {
    const combined = combineDecisions([
      evaluated(verified('ghcr.io/acme/web:1.0', DIGEST_A)),
      evaluated(denied('ghcr.io/evil/app:1')),
    ]);
    expect(combined.allowed).toBe(false);
    expect(combined.message).toBe(
      'image "ghcr.io/evil/app:1" in container "app" (and 1 more): failed policy: release-signed: no matching signatures',
    );
  });

  it('allows with warnings that name the image', () => {
    const combined = combineDecisions([evaluated(warnModeFailed('busybox:1', DIGEST_A))]);
    expect(combined).toEqual({
      allowed: true,
      warnings: ['image "busybox:1": failed policy: team-signed: no matching signatures'],
      warned: true,
    });
  });

  it('reports stable denial reasons', () => {
    expect(denialReason(evaluated(denied('x', 'signature')))).toBe('signature');
    expect(denialReason(evaluated(denied('x', 'registry')))).toBe('registry');
    expect(denialReason(evaluated(denied('x', 'timeout'), 'timeout'))).toBe('timeout');
    expect(denialReason(evaluated(denied('x'), 'invalid-reference'))).toBe('invalid-reference');
  });
});
