/**
 * `vouch webhook` end to end: the built bin/vouch serving HTTPS, the real policy engine, a real
 * registry with cosign-key-signed and unsigned images, and AdmissionReview JSON as the API server
 * sends it for every kind and operation. Registry traffic is read from the process's own metrics.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cip } from '../../engine/helpers.js';
import { tempDir, waitFor } from '../../harness/index.js';
import { type AdmissionResponse, type RunningWebhook, startWebhookProcess } from '../../harness/webhook.js';
import { applyJsonPatch, decodePatch } from './json-patch.js';
import { createMount, updateMount } from './mounts.js';
import { KINDS, POD_SPEC_POINTER, podSpec, review, workload } from './reviews.js';
import { type SignedWorld, startSignedWorld, worldPolicies } from './signed-images.js';

let world: SignedWorld;
let policyDir: string;
/** Default flags, plus `--warn-namespaces dev,team-*` and `--enforce-namespaces prod`. */
let webhook: RunningWebhook;
/** `--digest-mutation all --audit`. */
let rewriting: RunningWebhook;

beforeAll(async () => {
  world = await startSignedWorld();
  policyDir = join(await tempDir('webhook-e2e'), 'policies');
  await createMount(policyDir, { 'policies.yaml': worldPolicies(world) });
  [webhook, rewriting] = await Promise.all([
    startWebhookProcess({
      policy: [policyDir],
      args: ['--warn-namespaces', 'dev,team-*', '--enforce-namespaces', 'prod'],
    }),
    startWebhookProcess({ policy: [policyDir], args: ['--digest-mutation', 'all', '--audit'] }),
  ]);
});

afterAll(async () => {
  await webhook?.stop();
  await rewriting?.stop();
  await world?.stop();
});

const message = (response: AdmissionResponse) => response.status?.message ?? '';
const patchOf = (response: AdmissionResponse) => (response.patch ? decodePatch(response.patch) : undefined);

/** Posts to both endpoints: the same decision, and only /mutate may carry a patch. */
async function admitBoth(target: RunningWebhook, body: Record<string, unknown>) {
  const validate = await target.admit(body, 'validate');
  const mutate = await target.admit(body, 'mutate');
  const { patch: _patch, patchType: _type, ...decision } = mutate;
  expect(validate).toEqual(decision);
  expect(validate.uid).toBe((body.request as { uid: string }).uid);
  expect(validate.patch).toBeUndefined();
  return { validate, mutate };
}

/** Runs `work` and returns how many registry requests the webhook made meanwhile. */
async function registryRequestsDuring(target: RunningWebhook, work: () => Promise<unknown>): Promise<number> {
  const before = await target.registryRequests();
  await work();
  return (await target.registryRequests()) - before;
}

describe('every workload kind', () => {
  it.each(Object.keys(KINDS))('%s: allowed when every image is signed, denied otherwise', async (kind) => {
    const good = workload(kind, podSpec({ containers: [world.signed.ref], init: [world.migrate.ref] }));
    const allowed = await admitBoth(webhook, review({ kind, operation: 'CREATE', object: good }));
    expect(allowed.validate.allowed).toBe(true);
    expect(allowed.validate.status).toBeUndefined();
    if (kind === 'Pod') expect(patchOf(allowed.mutate)).toHaveLength(2);
    else expect(allowed.mutate.patch).toBeUndefined();

    const bad = workload(kind, podSpec({ containers: [world.signed.ref, world.unsigned.ref] }));
    const denied = await admitBoth(webhook, review({ kind, operation: 'CREATE', object: bad }));
    expect(denied.validate.allowed).toBe(false);
    expect(denied.validate.status?.code).toBe(403);
    expect(message(denied.validate)).toBe(
      `image "${world.unsigned.ref}" in container "app-1": failed policy: release-signed: signature key validation failed for authority authority-0 for ${world.unsigned.byDigest}: no signatures found for ${world.unsigned.digest} (looked in ${world.registry.host}/team/app:sha256-${world.unsigned.digest.slice(7)}.sig and the referrers of ${world.unsigned.digest} (tag schema))`,
    );
    expect(denied.mutate.patch).toBeUndefined();
  });
});

describe('digest pinning', () => {
  it('pins every verified tag-only image of a Pod (containers, init containers, image volumes): the patch applies', async () => {
    const object = workload(
      'Pod',
      podSpec({
        containers: [world.signed.ref, world.staticImage],
        init: [world.migrate.ref],
        volumes: [world.models.ref],
      }),
    );
    const { mutate } = await admitBoth(webhook, review({ kind: 'Pod', operation: 'CREATE', object }));
    expect(mutate.allowed).toBe(true);
    expect(mutate.patchType).toBe('JSONPatch');
    const patched = applyJsonPatch(object, patchOf(mutate) ?? []);
    const expected = structuredClone(object) as { spec: Record<string, Array<Record<string, unknown>>> };
    (expected.spec.containers as Array<Record<string, unknown>>)[0]!.image =
      `${world.signed.ref}@${world.signed.digest}`;
    (expected.spec.initContainers as Array<Record<string, unknown>>)[0]!.image =
      `${world.migrate.ref}@${world.migrate.digest}`;
    (
      (expected.spec.volumes as Array<Record<string, unknown>>)[1]!.image as Record<string, unknown>
    ).reference = `${world.models.ref}@${world.models.digest}`;
    // The static-pass image names no verified digest: it is left as written.
    expect(patched).toEqual(expected);
  });

  it('leaves controllers as Git wrote them by default, and pins them with --digest-mutation all', async () => {
    for (const kind of Object.keys(KINDS).filter((name) => name !== 'Pod')) {
      const object = workload(kind, podSpec({ containers: [world.signed.ref], init: [world.migrate.ref] }));
      const body = review({ kind, operation: 'CREATE', object });
      const byDefault = await webhook.admit(body, 'mutate');
      expect(byDefault.allowed).toBe(true);
      expect(byDefault.patch).toBeUndefined();

      const all = await rewriting.admit(body, 'mutate');
      expect(all.allowed).toBe(true);
      const spec = POD_SPEC_POINTER[kind] as string;
      expect(patchOf(all)).toEqual([
        {
          op: 'replace',
          path: `${spec}/initContainers/0/image`,
          value: `${world.migrate.ref}@${world.migrate.digest}`,
        },
        {
          op: 'replace',
          path: `${spec}/containers/0/image`,
          value: `${world.signed.ref}@${world.signed.digest}`,
        },
      ]);
      expect(() => applyJsonPatch(object, patchOf(all) ?? [])).not.toThrow();
    }
  });

  it('checks repo:tag@sha256: images by their digest, never looks the tag up and never rewrites them', async () => {
    // The tag says "signed", the digest is the unsigned image: the digest decides.
    const lying = `${world.signed.ref}@${world.unsigned.digest}`;
    const denied = await webhook.admit(
      review({ kind: 'Pod', operation: 'CREATE', object: workload('Pod', podSpec({ containers: [lying] })) }),
      'mutate',
    );
    expect(denied.allowed).toBe(false);
    expect(message(denied)).toContain(`no signatures found for ${world.unsigned.digest}`);

    // A tag that does not exist in the registry: a lookup would fail; the digest is signed.
    const pinned = `${world.registry.host}/team/app:no-such-tag@${world.signed.digest}`;
    const object = workload('Pod', podSpec({ containers: [pinned] }));
    const allowed = await webhook.admit(review({ kind: 'Pod', operation: 'CREATE', object }), 'mutate');
    expect(allowed.allowed).toBe(true);
    expect(allowed.patch).toBeUndefined();
  });
});

describe('no registry work where none is needed', () => {
  it('an image covered only by a static pass policy: zero registry requests, not rewritten', async () => {
    const object = workload('Pod', podSpec({ containers: [world.staticImage] }));
    let response: AdmissionResponse | undefined;
    const requests = await registryRequestsDuring(webhook, async () => {
      response = await webhook.admit(review({ kind: 'Pod', operation: 'CREATE', object }), 'mutate');
    });
    expect(response?.allowed).toBe(true);
    expect(response?.patch).toBeUndefined();
    expect(requests).toBe(0);
  });

  it('an UPDATE that keeps its images: zero registry requests, answered from the cache (dry-run alike)', async () => {
    const images = {
      containers: [world.signed.ref, `${world.registry.host}/team/debug@${world.debug.digest}`],
      init: [world.migrate.ref],
      volumes: [world.models.ref],
    };
    const before = workload('Deployment', podSpec(images), { name: 'storefront' });
    await webhook.admit(review({ kind: 'Deployment', operation: 'CREATE', object: before }));
    const after = structuredClone(before) as { spec: { replicas: number } };
    after.spec.replicas = 5;
    const hitsBefore = await webhook.counter('vouch_cache_hits_total', { source: 'unchanged-update' });
    const answers: AdmissionResponse[] = [];
    const requests = await registryRequestsDuring(webhook, async () => {
      for (const dryRun of [false, true])
        for (const endpoint of ['validate', 'mutate'] as const)
          answers.push(
            await webhook.admit(
              review({ kind: 'Deployment', operation: 'UPDATE', object: after, oldObject: before, dryRun }),
              endpoint,
            ),
          );
    });
    expect(answers.map((answer) => answer.allowed)).toEqual([true, true, true, true]);
    expect(requests).toBe(0);
    // Four distinct images, four requests: every one answered by the UPDATE shortcut.
    expect(
      (await webhook.counter('vouch_cache_hits_total', { source: 'unchanged-update' })) - hitsBefore,
    ).toBe(16);
  });

  it('DELETE, status and scale: allowed without a registry request', async () => {
    const object = workload('Deployment', podSpec({ containers: [world.unsigned.ref] }));
    const requests = await registryRequestsDuring(webhook, async () => {
      const cases = [
        review({ kind: 'Deployment', operation: 'DELETE', object: null, oldObject: object }),
        review({ kind: 'Deployment', operation: 'UPDATE', object, oldObject: object, subResource: 'status' }),
        review({ kind: 'Deployment', operation: 'UPDATE', object, oldObject: object, subResource: 'scale' }),
      ];
      for (const body of cases) {
        const { validate, mutate } = await admitBoth(webhook, body);
        expect(validate).toEqual({ uid: (body.request as { uid: string }).uid, allowed: true });
        expect(mutate.patch).toBeUndefined();
      }
    });
    expect(requests).toBe(0);
  });
});

describe('operations', () => {
  it('answers a server-side dry-run exactly like the real request', async () => {
    const object = workload('Pod', podSpec({ containers: [world.signed.ref, world.unsigned.ref] }));
    const signedOnly = workload('Pod', podSpec({ containers: [world.signed.ref] }));
    for (const candidate of [object, signedOnly]) {
      const real = await admitBoth(
        webhook,
        review({ kind: 'Pod', operation: 'CREATE', object: candidate, uid: 'u1' }),
      );
      const dry = await admitBoth(
        webhook,
        review({ kind: 'Pod', operation: 'CREATE', object: candidate, uid: 'u1', dryRun: true }),
      );
      expect(dry).toEqual(real);
    }
  });

  it('checks only what an UPDATE changed and pins only that on a Pod', async () => {
    const before = workload('Pod', podSpec({ containers: [world.signed.ref] }));
    const after = workload('Pod', podSpec({ containers: [world.signed.ref], init: [world.migrate.ref] }));
    const { mutate } = await admitBoth(
      webhook,
      review({ kind: 'Pod', operation: 'UPDATE', object: after, oldObject: before }),
    );
    expect(mutate.allowed).toBe(true);
    expect(patchOf(mutate)).toEqual([
      {
        op: 'replace',
        path: '/spec/initContainers/0/image',
        value: `${world.migrate.ref}@${world.migrate.digest}`,
      },
    ]);
    const worse = workload('Pod', podSpec({ containers: [world.signed.ref], init: [world.unsigned.ref] }));
    const { validate } = await admitBoth(
      webhook,
      review({ kind: 'Pod', operation: 'UPDATE', object: worse, oldObject: before }),
    );
    expect(validate.allowed).toBe(false);
    expect(message(validate)).toMatch(
      new RegExp(`^image "${world.unsigned.ref}" in init container "init-0": failed policy: release-signed`),
    );
  });

  it('checks ephemeral containers added through the pods/ephemeralcontainers subresource', async () => {
    const before = workload('Pod', podSpec({ containers: [world.signed.ref] }));
    const withDebugger = (image: string) => {
      const after = structuredClone(before) as { spec: Record<string, unknown> };
      after.spec.ephemeralContainers = [{ name: 'debugger', image, targetContainerName: 'app-0' }];
      return after;
    };
    const body = (image: string) =>
      review({
        kind: 'Pod',
        operation: 'UPDATE',
        object: withDebugger(image),
        oldObject: before,
        subResource: 'ephemeralcontainers',
      });
    const { mutate } = await admitBoth(webhook, body(world.debug.ref));
    expect(mutate.allowed).toBe(true);
    expect(applyJsonPatch(withDebugger(world.debug.ref), patchOf(mutate) ?? [])).toEqual(
      withDebugger(`${world.debug.ref}@${world.debug.digest}`),
    );
    const { validate } = await admitBoth(webhook, body(world.unsigned.ref));
    expect(validate.allowed).toBe(false);
    expect(message(validate)).toMatch(
      new RegExp(
        `^image "${world.unsigned.ref}" in ephemeral container "debugger": failed policy: release-signed`,
      ),
    );
  });
});

describe('enforcement', () => {
  const pod = (image: string, namespace: string) =>
    review({
      kind: 'Pod',
      operation: 'CREATE',
      namespace,
      object: workload('Pod', podSpec({ containers: [image] }), { namespace }),
    });

  it('a mode: warn policy allows with a warning, and --enforce-namespaces makes it deny', async () => {
    const warned = await webhook.admit(pod(world.experimental.ref, 'shop'), 'mutate');
    expect(warned.allowed).toBe(true);
    expect(warned.patch).toBeUndefined();
    expect(warned.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^image "${world.experimental.ref}": failed policy: experimental: signature key validation failed`,
        ),
      ),
    ]);
    const enforced = await webhook.admit(pod(world.experimental.ref, 'prod'));
    expect(enforced.allowed).toBe(false);
    expect(message(enforced)).toMatch(/failed policy: experimental: /);
    expect(await webhook.counter('vouch_warned_admissions_total', { namespace: 'shop' })).toBeGreaterThan(0);
  });

  it('--warn-namespaces (names and globs) turn policy failures into warnings', async () => {
    for (const namespace of ['dev', 'team-blue']) {
      const answer = await webhook.admit(pod(world.unsigned.ref, namespace), 'mutate');
      expect(answer.allowed).toBe(true);
      expect(answer.patch).toBeUndefined();
      expect(answer.warnings?.[0]).toMatch(
        new RegExp(`^image "${world.unsigned.ref}": failed policy: release-signed: `),
      );
    }
    expect((await webhook.admit(pod(world.unsigned.ref, 'shop'))).allowed).toBe(false);
    expect((await webhook.admit(pod(world.unsigned.ref, 'prod'))).allowed).toBe(false);
  });

  it('--audit warns everywhere but never pins what it did not verify', async () => {
    const answer = await rewriting.admit(pod(world.unsigned.ref, 'shop'), 'mutate');
    expect(answer.allowed).toBe(true);
    expect(answer.patch).toBeUndefined();
    expect(answer.warnings?.[0]).toMatch(/failed policy: release-signed: /);
    expect(await rewriting.counter('vouch_warned_admissions_total')).toBeGreaterThan(0);
  });

  it('denies images no policy covers (no-match-policy deny)', async () => {
    const other = `${world.registry.host}/elsewhere/app:v1`;
    const answer = await webhook.admit(pod(other, 'shop'));
    expect(answer.allowed).toBe(false);
    expect(message(answer)).toContain(`image "${other}" in container "app-0": `);
    expect(message(answer)).toMatch(/no matching policies/);
  });
});

describe('bad requests', () => {
  it('answers malformed and oversized reviews with 400 and a reason, and keeps serving', async () => {
    const valid = review({
      kind: 'Pod',
      operation: 'CREATE',
      object: workload('Pod', podSpec({ containers: [world.signed.ref] })),
    });
    const noUid = structuredClone(valid);
    delete (noUid.request as Record<string, unknown>).uid;
    const badSpec = structuredClone(valid);
    ((badSpec.request as Record<string, unknown>).object as Record<string, unknown>).spec = {
      containers: 'nginx',
    };
    const huge = structuredClone(valid);
    (
      ((huge.request as Record<string, unknown>).object as Record<string, unknown>).metadata as Record<
        string,
        unknown
      >
    ).annotations = {
      padding: 'x'.repeat(3 * 1024 * 1024),
    };
    const cases: Array<[unknown, string, RegExp]> = [
      ['{"apiVersion": ', 'application/json', /JSON/i],
      [JSON.stringify(valid), 'text/plain', /content-type|media type/i],
      [
        { ...valid, apiVersion: 'admission.k8s.io/v1beta1' },
        'application/json',
        /apiVersion must be admission\.k8s\.io\/v1/,
      ],
      [noUid, 'application/json', /request\.uid/],
      [badSpec, 'application/json', /Pod spec is malformed: containers/],
      [huge, 'application/json', /larger than 3145728 bytes/],
    ];
    for (const [body, contentType, reason] of cases)
      for (const path of ['/validate', '/mutate']) {
        const answer = await webhook.post(path, body, contentType);
        expect(answer.status).toBe(400);
        expect(String((answer.body as { message: string }).message)).toMatch(reason);
      }
    expect((await webhook.admit(valid)).allowed).toBe(true);
  });
});

describe('policy reload', () => {
  it('picks up a ConfigMap update (..data swap) and changes the verdict, without a restart', async () => {
    const body = () =>
      review({
        kind: 'Pod',
        operation: 'CREATE',
        object: workload('Pod', podSpec({ containers: [world.unsigned.ref] })),
      });
    expect((await webhook.admit(body())).allowed).toBe(false);
    const fingerprint = async () =>
      (JSON.parse((await webhook.get('/readyz')).text) as { policies: string }).policies;
    const first = await fingerprint();

    // Only team/app:v1… needs the key now, and team/app:v2 passes statically.
    const host = world.registry.host;
    const exemption = cip('app-v2-exempt', {
      images: [{ glob: `${host}/team/app:v2` }],
      authorities: [{ static: { action: 'pass' } }],
    });
    await updateMount(policyDir, {
      'policies.yaml': worldPolicies(world, { teamGlob: `${host}/team/app:v1*`, extra: [exemption] }),
    });
    await waitFor('policy reload', async () => (await fingerprint()) !== first);
    const allowed = await webhook.admit(body());
    expect(allowed.allowed).toBe(true);

    await updateMount(policyDir, { 'policies.yaml': worldPolicies(world) });
    await waitFor('policy reload back', async () => (await fingerprint()) === first);
    expect((await webhook.admit(body())).allowed).toBe(false);
    expect(await webhook.counter('vouch_policy_reloads_total', { result: 'success' })).toBeGreaterThanOrEqual(
      3,
    );
  });
});
