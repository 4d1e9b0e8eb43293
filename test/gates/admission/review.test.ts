import { describe, expect, it } from 'vitest';
import { AdmissionError } from '../../../src/gates/admission/errors.js';
import {
  admissionRequestOf,
  buildAdmissionReview,
  MAX_WARNING_LENGTH,
  parseAdmissionReview,
  parseStrictly,
} from '../../../src/gates/admission/review.js';
import {
  describeLocation,
  extractImages,
  isPodSpec,
  PodSpec,
  valueAtPointer,
  WORKLOAD_KINDS,
  workloadKind,
} from '../../../src/gates/admission/workloads.js';
import { decodePatch } from './json-patch.js';
import { DIGEST_A, KINDS, POD_SPEC_POINTER, podSpec, review, workload } from './reviews.js';

function malformed(body: unknown): string {
  try {
    parseAdmissionReview(body);
  } catch (error) {
    expect(error).toBeInstanceOf(AdmissionError);
    expect((error as AdmissionError).code).toBe('MALFORMED_REVIEW');
    return (error as Error).message;
  }
  throw new Error('expected a MALFORMED_REVIEW error');
}

describe('AdmissionReview parsing', () => {
  it.each(Object.keys(KINDS))('parses a %s CREATE as the API server sends it', (kind) => {
    const body = review({
      kind,
      operation: 'CREATE',
      object: workload(kind, podSpec({ containers: ['nginx:1.27'] })),
    });
    const request = parseAdmissionReview(body);
    const sent = body.request as Record<string, unknown>;
    expect(request.uid).toBe(sent.uid);
    expect(request.kind.kind).toBe(kind);
    expect(request.kind.group).toBe(KINDS[kind]?.group);
    expect(request.operation).toBe('CREATE');
    expect(request.namespace).toBe('shop');
    expect(request.dryRun).toBe(false);
    expect(request.object?.metadata?.name).toBe('web');
    expect(request.username).toBe('system:serviceaccount:flux-system:kustomize-controller');
  });

  it('tolerates fields Kubernetes may add in later versions', () => {
    const body = review({
      kind: 'Pod',
      operation: 'CREATE',
      object: workload('Pod', podSpec({ containers: ['a'] })),
    });
    const request = body.request as Record<string, unknown>;
    request.someFutureField = { nested: true };
    (request.kind as Record<string, unknown>).extra = 'x';
    (body as Record<string, unknown>).futureTopLevel = 1;
    expect(parseAdmissionReview(body).kind.kind).toBe('Pod');
  });

  it('reads dryRun, subResource, oldObject and DELETE without object', () => {
    const pod = workload('Pod', podSpec({ containers: ['a'], ephemeral: ['busybox'] }));
    const update = parseAdmissionReview(
      review({
        kind: 'Pod',
        operation: 'UPDATE',
        object: pod,
        oldObject: pod,
        subResource: 'ephemeralcontainers',
        dryRun: true,
      }),
    );
    expect(update.dryRun).toBe(true);
    expect(update.subResource).toBe('ephemeralcontainers');
    expect(update.oldObject?.metadata?.name).toBe('web');
    const deletion = parseAdmissionReview(
      review({ kind: 'Pod', operation: 'DELETE', object: null, oldObject: pod }),
    );
    expect(deletion.operation).toBe('DELETE');
    expect(deletion.object).toBeUndefined();
  });

  it('rejects v1beta1 reviews, saying which version to configure', () => {
    const body = review({
      kind: 'Pod',
      operation: 'CREATE',
      object: workload('Pod', podSpec({ containers: ['a'] })),
    });
    (body as Record<string, unknown>).apiVersion = 'admission.k8s.io/v1beta1';
    expect(malformed(body)).toMatch(
      /apiVersion must be admission\.k8s\.io\/v1 .*admissionReviewVersions.*v1beta1/,
    );
  });

  it.each([
    ['a string body', 'hello', /\(body\)/],
    ['null', null, /\(body\)/],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /request/],
    ['wrong kind', { apiVersion: 'admission.k8s.io/v1', kind: 'Pod', request: {} }, /kind/],
  ])('rejects %s', (_name, body, reason) => {
    expect(malformed(body)).toMatch(reason);
  });

  it('names the field that is wrong', () => {
    const object = workload('Pod', podSpec({ containers: ['a'] }));
    const cases: Array<[(request: Record<string, unknown>) => void, RegExp]> = [
      [(request) => delete request.uid, /request\.uid/],
      [(request) => (request.uid = ''), /request\.uid/],
      [(request) => (request.operation = 'PATCH'), /request\.operation/],
      [(request) => (request.kind = 'Pod'), /request\.kind/],
      [(request) => (request.object = 'not an object'), /request\.object/],
      [(request) => (request.object = null), /request\.object is required for CREATE/],
      [(request) => (request.dryRun = 'yes'), /request\.dryRun/],
      [
        (request) => ((request.object as Record<string, unknown>).metadata = { name: 5 }),
        /request\.object\.metadata\.name/,
      ],
    ];
    for (const [mutate, reason] of cases) {
      const body = review({ kind: 'Pod', operation: 'CREATE', object: structuredClone(object) });
      mutate(body.request as Record<string, unknown>);
      expect(malformed(body)).toMatch(reason);
    }
  });
});

/** Every field of `root` (objects and arrays, recursively) replaced in turn by each odd value. */
function* mutations(root: unknown): Generator<unknown> {
  const odd: unknown[] = [null, undefined, 0, true, '', 'x', [], {}, [1], 'x'.repeat(257)];
  function* walk(path: (string | number)[], value: unknown): Generator<(string | number)[]> {
    yield path;
    if (typeof value === 'object' && value !== null)
      for (const [key, child] of Object.entries(value))
        yield* walk([...path, Array.isArray(value) ? Number(key) : key], child);
  }
  for (const path of walk([], root)) {
    for (const replacement of odd) {
      const copy = structuredClone(root) as Record<string | number, unknown>;
      if (path.length === 0) {
        yield replacement;
        continue;
      }
      let parent: Record<string | number, unknown> = copy;
      for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
      const last = path[path.length - 1] as string | number;
      if (replacement === undefined) delete parent[last];
      else parent[last] = replacement;
      yield copy;
    }
  }
}

describe('the in-place checks on the hot path', () => {
  const pod = review({
    kind: 'Pod',
    operation: 'UPDATE',
    subResource: 'ephemeralcontainers',
    object: workload(
      'Pod',
      podSpec({ containers: ['a:1'], init: ['b:1'], ephemeral: ['c:1'], volumes: ['d:1'] }),
      { deleting: true },
    ),
    oldObject: workload('Pod', podSpec({ containers: ['a:1'] })),
    dryRun: true,
  });

  it('accept exactly the reviews the schema accepts, and read them the same way', () => {
    let accepted = 0;
    let refused = 0;
    for (const body of mutations(pod)) {
      let strict: ReturnType<typeof parseStrictly> | Error;
      try {
        strict = parseStrictly(body);
      } catch (error) {
        strict = error as Error;
      }
      const fast = (() => {
        try {
          return admissionRequestOf(body);
        } catch (error) {
          return error as Error;
        }
      })();
      if (strict instanceof Error) {
        // The fast check refuses it (the schema then says why), or refuses it the same way.
        if (fast !== undefined) expect(fast).toEqual(strict);
        refused++;
      } else {
        expect(fast).toEqual(strict);
        accepted++;
      }
    }
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });

  it('isPodSpec agrees with the pod spec schema', () => {
    const spec = (pod.request as { object: { spec: unknown } }).object.spec;
    let agreed = 0;
    for (const candidate of mutations(spec)) {
      expect(isPodSpec(candidate), JSON.stringify(candidate)?.slice(0, 200)).toBe(
        PodSpec.safeParse(candidate).success,
      );
      agreed++;
    }
    expect(agreed).toBeGreaterThan(100);
  });
});

describe('AdmissionReview response', () => {
  it('echoes the uid and allows without status or patch', () => {
    expect(buildAdmissionReview({ uid: 'u-1', allowed: true })).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u-1', allowed: true },
    });
  });

  it('denies with a 403 status and the message', () => {
    const { response } = buildAdmissionReview({ uid: 'u-2', allowed: false, message: 'image "x": bad' });
    expect(response.allowed).toBe(false);
    expect(response.status).toEqual({
      status: 'Failure',
      code: 403,
      reason: 'Forbidden',
      message: 'image "x": bad',
    });
    expect(response.patch).toBeUndefined();
  });

  it('carries a base64 JSONPatch only when allowed', () => {
    const patch = [
      { op: 'replace' as const, path: '/spec/containers/0/image', value: `nginx:1.27@${DIGEST_A}` },
    ];
    const allowed = buildAdmissionReview({ uid: 'u', allowed: true, patch }).response;
    expect(allowed.patchType).toBe('JSONPatch');
    expect(decodePatch(allowed.patch as string)).toEqual(patch);
    const deniedResponse = buildAdmissionReview({ uid: 'u', allowed: false, message: 'no', patch }).response;
    expect(deniedResponse.patch).toBeUndefined();
    expect(deniedResponse.patchType).toBeUndefined();
    expect(buildAdmissionReview({ uid: 'u', allowed: true, patch: [] }).response.patchType).toBeUndefined();
  });

  it('keeps warnings within what the API server shows', () => {
    const long = `image "x": ${'w'.repeat(400)}`;
    const warnings = buildAdmissionReview({ uid: 'u', allowed: true, warnings: [long, 'line\nbreak'] })
      .response.warnings as string[];
    expect(warnings[0]?.length).toBe(MAX_WARNING_LENGTH);
    expect(warnings[0]?.endsWith('…')).toBe(true);
    expect(warnings[1]).toBe('line break');
    const many = Array.from({ length: 40 }, (_, index) => `${index}:${'x'.repeat(200)}`);
    const kept = buildAdmissionReview({ uid: 'u', allowed: true, warnings: many }).response
      .warnings as string[];
    expect(kept.join('').length).toBeLessThanOrEqual(4096);
    expect(kept.length).toBeLessThan(40);
  });
});

describe('image extraction', () => {
  it('knows the eight workload kinds and nothing else', () => {
    expect(WORKLOAD_KINDS.map((kind) => kind.kind).sort()).toEqual(Object.keys(KINDS).sort());
    expect(workloadKind('apps', 'Deployment')?.isPod).toBe(false);
    expect(workloadKind('', 'Pod')?.isPod).toBe(true);
    expect(workloadKind('', 'Deployment')).toBeUndefined();
    expect(workloadKind('', 'ConfigMap')).toBeUndefined();
  });

  it.each(Object.keys(KINDS))('finds every image of a %s with a pointer to its string', (kind) => {
    const object = workload(
      kind,
      podSpec({
        containers: ['ghcr.io/acme/web:1.0', 'ghcr.io/acme/sidecar:2.0'],
        init: ['ghcr.io/acme/migrate:1.0'],
        ephemeral: ['busybox:1.36'],
        volumes: ['ghcr.io/acme/models:v3'],
      }),
    );
    const info = KINDS[kind];
    const locations = extractImages(workloadKind(info?.group ?? '', kind) as never, object);
    const base = POD_SPEC_POINTER[kind];
    expect(locations.map((location) => [location.field, location.pointer, location.image])).toEqual([
      ['initContainers', `${base}/initContainers/0/image`, 'ghcr.io/acme/migrate:1.0'],
      ['containers', `${base}/containers/0/image`, 'ghcr.io/acme/web:1.0'],
      ['containers', `${base}/containers/1/image`, 'ghcr.io/acme/sidecar:2.0'],
      ['ephemeralContainers', `${base}/ephemeralContainers/0/image`, 'busybox:1.36'],
      ['volumes', `${base}/volumes/1/image/reference`, 'ghcr.io/acme/models:v3'],
    ]);
    for (const location of locations) expect(valueAtPointer(object, location.pointer)).toBe(location.image);
    expect(locations.map(describeLocation)).toEqual([
      'init container "init-0"',
      'container "app-0"',
      'container "app-1"',
      'ephemeral container "debugger-0"',
      'image volume "models-0"',
    ]);
  });

  it('treats a missing template or image as nothing to check', () => {
    const deployment = workloadKind('apps', 'Deployment') as never;
    expect(extractImages(deployment, { apiVersion: 'apps/v1', kind: 'Deployment', spec: {} })).toEqual([]);
    expect(
      extractImages(workloadKind('', 'Pod') as never, { spec: { containers: [{ name: 'x' }] } }),
    ).toEqual([]);
  });

  it('rejects a pod template of the wrong shape', () => {
    const pod = workloadKind('', 'Pod') as never;
    expect(() => extractImages(pod, { spec: { containers: 'nginx' } })).toThrow(
      /Pod spec is malformed: containers/,
    );
    expect(() => extractImages(pod, { spec: { containers: [{ image: 42 }] } })).toThrow(
      /containers\.0\.image/,
    );
    expect(() => extractImages(pod, { spec: 'x' })).toThrow(AdmissionError);
  });

  it('resolves RFC 6901 pointers, escapes included', () => {
    const document = { a: { 'b/c': [{ '~d': 'x' }] } };
    expect(valueAtPointer(document, '/a/b~1c/0/~0d')).toBe('x');
    expect(valueAtPointer(document, '/a/missing')).toBeUndefined();
    expect(valueAtPointer(document, '/a/b~1c/01')).toBeUndefined();
    expect(valueAtPointer(document, '')).toBe(document);
  });
});
