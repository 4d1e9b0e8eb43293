/**
 * `vouch webhook`'s server over real HTTPS with real AdmissionReview JSON: every kind, operation and
 * skip rule, malformed and oversized bodies, readiness, metrics, policy and certificate reloads.
 * The engine is a stand-in that cannot verify (see engines.ts), so every checked image is denied:
 * these tests prove the plumbing and the fail-closed behaviour when the engine breaks or hangs. The
 * real engine's verdicts over the same server: webhook-e2e.test.ts and webhook-shared.test.ts.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookCertificates, type WebhookCertificates } from '../../../src/gates/admission/certs.js';
import { AdmissionError } from '../../../src/gates/admission/errors.js';
import { startWebhookServer, type WebhookServer } from '../../../src/gates/admission/server.js';
import { tempDir, waitFor } from '../../harness/index.js';
import { POLICY_V1, POLICY_V2, StandInEngine } from './engines.js';
import { createMount, updateMount } from './mounts.js';
import { KINDS, podSpec, review, workload } from './reviews.js';

const SERVICE = 'vouch-webhook';
const NAMESPACE = 'vouch-system';
const SERVER_NAME = `${SERVICE}.${NAMESPACE}.svc`;

interface Fixture {
  server: WebhookServer;
  engine: StandInEngine;
  agent: Agent;
  logs: string[];
  policyDir: string;
  tlsDir: string;
}

async function writeCertificates(dir: string, certificates: WebhookCertificates): Promise<void> {
  await writeFile(join(dir, 'tls.crt.tmp'), certificates.tlsCert);
  await writeFile(join(dir, 'tls.key.tmp'), certificates.tlsKey);
  const { rename } = await import('node:fs/promises');
  await rename(join(dir, 'tls.key.tmp'), join(dir, 'tls.key'));
  await rename(join(dir, 'tls.crt.tmp'), join(dir, 'tls.crt'));
}

async function startFixture(
  options: { behaviour?: 'unavailable' | 'hang'; budgetMs?: number } = {},
): Promise<Fixture> {
  const root = await tempDir('webhook');
  const policyDir = join(root, 'policies');
  await createMount(policyDir, { 'policies.yaml': POLICY_V1 });
  const tlsDir = join(root, 'tls');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(tlsDir);
  const certificates = await generateWebhookCertificates({ service: SERVICE, namespace: NAMESPACE });
  await writeCertificates(tlsDir, certificates);
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const engine = new StandInEngine(options.behaviour ?? 'unavailable');
  const server = await startWebhookServer({
    policyPaths: [policyDir],
    factory: engine,
    tlsCertFile: join(tlsDir, 'tls.crt'),
    tlsKeyFile: join(tlsDir, 'tls.key'),
    port: 0,
    host: '127.0.0.1',
    gate: {
      budgetMs: options.budgetMs ?? 9000,
      digestMutation: 'pods',
      enforcement: {
        audit: false,
        enforceNamespaces: [],
        warnNamespaces: [],
        excludeNamespaces: ['kube-system', NAMESPACE],
      },
    },
    logger: pino({ level: 'debug' }, stream),
    policyDebounceMs: 50,
    policyPollIntervalMs: 0,
  });
  const agent = new Agent({ connect: { ca: certificates.caCert, servername: SERVER_NAME } });
  return { server, engine, agent, logs, policyDir, tlsDir };
}

async function post(
  fixture: Fixture,
  path: string,
  body: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await request(`${fixture.server.url}${path}`, {
    method: 'POST',
    dispatcher: fixture.agent,
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
}

async function get(fixture: Fixture, path: string): Promise<{ status: number; text: string }> {
  const response = await request(`${fixture.server.url}${path}`, { dispatcher: fixture.agent });
  return { status: response.statusCode, text: await response.body.text() };
}

/** Posts to both endpoints and returns the two responses. */
async function admitBoth(fixture: Fixture, body: Record<string, unknown>) {
  const validate = await post(fixture, '/validate', body);
  const mutate = await post(fixture, '/mutate', body);
  expect(validate.status).toBe(200);
  expect(mutate.status).toBe(200);
  return {
    validate: (validate.body as { response: Record<string, unknown> }).response,
    mutate: (mutate.body as { response: Record<string, unknown> }).response,
  };
}

const uidOf = (body: Record<string, unknown>) => (body.request as { uid: string }).uid;

describe('webhook server over HTTPS', () => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await startFixture();
  });
  afterAll(async () => {
    await fixture?.server.close();
    await fixture?.agent.close();
  });

  it('is healthy, ready once policies are loaded, and exposes vouch_ metrics', async () => {
    expect(await get(fixture, '/healthz')).toEqual({ status: 200, text: '{"status":"ok"}' });
    const ready = await get(fixture, '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({ status: 'ready', stalePolicies: false });
    const metrics = await get(fixture, '/metrics');
    expect(metrics.status).toBe(200);
    for (const name of [
      'vouch_admission_duration_seconds',
      'vouch_verification_duration_seconds',
      'vouch_registry_requests_total',
      'vouch_cache_hits_total',
      'vouch_cache_misses_total',
      'vouch_timeouts_total',
      'vouch_denials_total',
      'vouch_policy_reloads_total',
      'vouch_process_cpu_seconds_total',
    ]) {
      expect(metrics.text).toContain(`# TYPE ${name}`);
    }
    expect(metrics.text).toContain('vouch_policy_reloads_total{result="success"} 1');
  });

  it.each(Object.keys(KINDS))(
    'denies a %s CREATE it cannot verify, identically on both endpoints',
    async (kind) => {
      const body = review({
        kind,
        operation: 'CREATE',
        object: workload(
          kind,
          podSpec({ containers: ['ghcr.io/acme/web:1.0'], init: ['ghcr.io/acme/migrate:1.0'] }),
        ),
      });
      const { validate, mutate } = await admitBoth(fixture, body);
      expect(validate).toEqual(mutate);
      expect(validate.uid).toBe(uidOf(body));
      expect(validate.allowed).toBe(false);
      expect(validate.patch).toBeUndefined();
      const status = validate.status as { code: number; message: string };
      expect(status.code).toBe(403);
      expect(status.message).toContain(
        'image "ghcr.io/acme/migrate:1.0" in init container "init-0": verification of',
      );
      expect(status.message).toContain('image "ghcr.io/acme/web:1.0" in container "app-0": verification of');
      expect(status.message).toContain('policy engine failed (stand-in engine)');
    },
  );

  it('answers a server-side dry-run exactly like the real request', async () => {
    const object = workload('Deployment', podSpec({ containers: ['ghcr.io/acme/web:1.0'] }));
    const real = await admitBoth(
      fixture,
      review({ kind: 'Deployment', operation: 'UPDATE', object, oldObject: object, uid: 'same' }),
    );
    const dry = await admitBoth(
      fixture,
      review({
        kind: 'Deployment',
        operation: 'UPDATE',
        object,
        oldObject: object,
        uid: 'same',
        dryRun: true,
      }),
    );
    expect(dry).toEqual(real);
  });

  it('checks new ephemeral containers through the pods/ephemeralcontainers subresource', async () => {
    const before = workload('Pod', podSpec({ containers: ['ghcr.io/acme/web:1.0'] }));
    const after = structuredClone(before);
    (after.spec as Record<string, unknown>).ephemeralContainers = [
      { name: 'debugger', image: 'docker.io/library/busybox:1.36', targetContainerName: 'app-0' },
    ];
    const { validate } = await admitBoth(
      fixture,
      review({
        kind: 'Pod',
        operation: 'UPDATE',
        object: after,
        oldObject: before,
        subResource: 'ephemeralcontainers',
      }),
    );
    expect(validate.allowed).toBe(false);
    expect((validate.status as { message: string }).message).toMatch(
      /image "docker\.io\/library\/busybox:1\.36" in ephemeral container "debugger"/,
    );
  });

  it('checks image volumes', async () => {
    const object = workload('Pod', podSpec({ containers: [], volumes: ['ghcr.io/acme/models:v3'] }));
    const { validate } = await admitBoth(fixture, review({ kind: 'Pod', operation: 'CREATE', object }));
    expect((validate.status as { message: string }).message).toMatch(
      /^image "ghcr\.io\/acme\/models:v3" in image volume "models-0"/,
    );
  });

  it('checks objects carrying deletionTimestamp unless an UPDATE changes no image', async () => {
    const deleting = (image: string) => workload('Pod', podSpec({ containers: [image] }), { deleting: true });
    const checksBefore = fixture.engine.checks;
    const created = await admitBoth(
      fixture,
      review({ kind: 'Pod', operation: 'CREATE', object: deleting('unsigned.example/evil:1') }),
    );
    expect(created.validate.allowed).toBe(false);
    expect(created.mutate.allowed).toBe(false);
    expect((created.validate.status as { message: string }).message).toMatch(/unsigned\.example\/evil:1/);
    const changed = await admitBoth(
      fixture,
      review({
        kind: 'Pod',
        operation: 'UPDATE',
        object: deleting('unsigned.example/evil:2'),
        oldObject: deleting('unsigned.example/evil:1'),
      }),
    );
    expect(changed.validate.allowed).toBe(false);
    expect((changed.validate.status as { message: string }).message).toMatch(/unsigned\.example\/evil:2/);
    expect(fixture.engine.checks).toBeGreaterThan(checksBefore);
  });

  it('admits without checks what carries no new image', async () => {
    const pod = workload('Pod', podSpec({ containers: ['unsigned.example/evil:1'] }));
    const deployment = workload('Deployment', podSpec({ containers: ['unsigned.example/evil:1'] }));
    const deleting = workload('Pod', podSpec({ containers: ['unsigned.example/evil:1'] }), {
      deleting: true,
    });
    const checksBefore = fixture.engine.checks;
    const cases = [
      review({ kind: 'Pod', operation: 'DELETE', object: null, oldObject: pod }),
      review({
        kind: 'Deployment',
        operation: 'UPDATE',
        object: deployment,
        oldObject: deployment,
        subResource: 'status',
      }),
      review({
        kind: 'Deployment',
        operation: 'UPDATE',
        object: deployment,
        oldObject: deployment,
        subResource: 'scale',
      }),
      review({ kind: 'Pod', operation: 'UPDATE', object: deleting, oldObject: deleting }),
      review({ kind: 'Pod', operation: 'CREATE', object: pod, namespace: 'kube-system' }),
      review({ kind: 'Pod', operation: 'CREATE', object: pod, namespace: NAMESPACE }),
      review({ kind: 'Pod', operation: 'CREATE', object: workload('Pod', { containers: [] }) }),
      review({
        kind: 'Widget',
        group: 'example.com',
        operation: 'CREATE',
        object: {
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          metadata: { name: 'w' },
          spec: { image: 'evil:1' },
        },
      }),
    ];
    for (const body of cases) {
      const { validate, mutate } = await admitBoth(fixture, body);
      expect(validate).toEqual({ uid: uidOf(body), allowed: true });
      expect(mutate).toEqual({ uid: uidOf(body), allowed: true });
    }
    expect(fixture.engine.checks).toBe(checksBefore);
    expect(
      fixture.logs.some(
        (line) =>
          line.includes('"skipped":"kind example.com/v1/Widget carries no pod template vouch knows"') &&
          line.includes('"level":30'),
      ),
    ).toBe(true);
  });

  it('answers malformed requests with 400 and a reason, and keeps serving', async () => {
    const valid = review({
      kind: 'Pod',
      operation: 'CREATE',
      object: workload('Pod', podSpec({ containers: ['a:1'] })),
    });
    const v1beta1 = { ...valid, apiVersion: 'admission.k8s.io/v1beta1' };
    const noUid = structuredClone(valid);
    delete (noUid.request as Record<string, unknown>).uid;
    const badSpec = structuredClone(valid);
    ((badSpec.request as Record<string, unknown>).object as Record<string, unknown>).spec = {
      containers: 'nginx',
    };
    const cases: Array<[unknown, string, RegExp]> = [
      ['{"apiVersion": "admission.k8s.io/v1", ', 'application/json', /JSON/i],
      ['', 'application/json', /empty/i],
      [JSON.stringify(valid), 'text/plain', /content-type|media type/i],
      [v1beta1, 'application/json', /apiVersion must be admission\.k8s\.io\/v1/],
      [noUid, 'application/json', /request\.uid/],
      [badSpec, 'application/json', /Pod spec is malformed: containers/],
      [[1, 2], 'application/json', /AdmissionReview/],
    ];
    for (const [body, contentType, reason] of cases) {
      for (const path of ['/validate', '/mutate']) {
        const response = await post(fixture, path, body, contentType);
        expect(response.status, `${path} ${String(body).slice(0, 40)}`).toBe(400);
        expect(String(response.body.message)).toMatch(reason);
      }
    }
    expect((await get(fixture, '/metrics')).text).toMatch(/vouch_admission_malformed_total \d+/);
    expect((await get(fixture, '/healthz')).status).toBe(200);
  });

  it('refuses a review over 3 MiB with 400', async () => {
    const object = workload('Pod', podSpec({ containers: ['a:1'] }));
    (object.metadata as Record<string, unknown>).annotations = { padding: 'x'.repeat(3 * 1024 * 1024) };
    const response = await post(fixture, '/validate', review({ kind: 'Pod', operation: 'CREATE', object }));
    expect(response.status).toBe(400);
    expect(response.body.message).toBe('AdmissionReview is larger than 3145728 bytes');
    expect((await get(fixture, '/healthz')).status).toBe(200);
  });

  it('counts admissions and denials', async () => {
    const metrics = (await get(fixture, '/metrics')).text;
    expect(metrics).toMatch(
      /vouch_admission_duration_seconds_count\{operation="CREATE",verdict="denied"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /vouch_admission_duration_seconds_count\{operation="DELETE",verdict="skipped"\} [1-9]/,
    );
    expect(metrics).toMatch(/vouch_denials_total\{reason="engine-error"\} [1-9]/);
    expect(metrics).toMatch(
      /vouch_verification_duration_seconds_count\{origin="engine-error",result="denied"\} [1-9]/,
    );
  });

  it('re-reads policies after a ConfigMap update and keeps the last good ones when an update is broken', async () => {
    const fingerprint = async () => JSON.parse((await get(fixture, '/readyz')).text).policies as string;
    const first = await fingerprint();
    await updateMount(fixture.policyDir, { 'policies.yaml': POLICY_V2 });
    await waitFor('policy reload', async () => (await fingerprint()) !== first);
    const second = await fingerprint();
    expect(fixture.server.policies.current()?.policyCount).toBe(2);
    expect((await get(fixture, '/metrics')).text).toContain('vouch_policy_reloads_total{result="success"} 2');

    await updateMount(fixture.policyDir, {
      'policies.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: [broken',
    });
    await waitFor('reload failure', async () =>
      /^vouch_policy_reload_failing 1$/m.test((await get(fixture, '/metrics')).text),
    );
    const ready = await get(fixture, '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({ policies: second, stalePolicies: true });
    expect(fixture.logs.some((line) => line.includes('"event":"policy-reload-failed"'))).toBe(true);
    // Still answering, with the last good policies.
    const body = review({
      kind: 'Pod',
      operation: 'CREATE',
      object: workload('Pod', podSpec({ containers: ['a:1'] })),
    });
    expect((await admitBoth(fixture, body)).validate.allowed).toBe(false);

    await updateMount(fixture.policyDir, { 'policies.yaml': POLICY_V1 });
    await waitFor('recovery', async () => (await fingerprint()) === first);
    expect((await get(fixture, '/metrics')).text).toMatch(/^vouch_policy_reload_failing 0$/m);
  });

  it('serves a renewed certificate without a restart', async () => {
    const renewed = await generateWebhookCertificates({ service: SERVICE, namespace: NAMESPACE });
    await writeCertificates(fixture.tlsDir, renewed);
    const agent = new Agent({ connect: { ca: renewed.caCert, servername: SERVER_NAME } });
    try {
      await waitFor('certificate reload', async () => {
        const response = await request(`${fixture.server.url}/healthz`, { dispatcher: agent });
        await response.body.text();
        return response.statusCode === 200;
      });
    } finally {
      await agent.close();
    }
    fixture.agent = new Agent({ connect: { ca: renewed.caCert, servername: SERVER_NAME } });
    expect((await get(fixture, '/healthz')).status).toBe(200);
  });
});

describe('webhook server on a budget', () => {
  it('denies within the budget when verification cannot finish', async () => {
    const fixture = await startFixture({ behaviour: 'hang', budgetMs: 400 });
    try {
      const body = review({
        kind: 'Pod',
        operation: 'CREATE',
        object: workload('Pod', podSpec({ containers: ['127.0.0.1:5000/team/app:v1'] })),
      });
      const { validate } = await admitBoth(fixture, body);
      expect(validate.allowed).toBe(false);
      expect((validate.status as { message: string }).message).toBe(
        'image "127.0.0.1:5000/team/app:v1" in container "app-0": verification of 127.0.0.1:5000/team/app:v1 did not finish in 400 ms: the policy engine did not answer',
      );
      expect((await get(fixture, '/metrics')).text).toMatch(/vouch_timeouts_total [1-9]/);
    } finally {
      await fixture.server.close();
      await fixture.agent.close();
    }
    expect(fixture.engine.closed).toBe(true);
  });
});

describe('webhook server start-up', () => {
  it('refuses to start on broken policies or missing TLS files', async () => {
    const root = await tempDir('webhook-start');
    const certificates = await generateWebhookCertificates({ service: SERVICE, namespace: NAMESPACE });
    await writeFile(join(root, 'tls.crt'), certificates.tlsCert);
    await writeFile(join(root, 'tls.key'), certificates.tlsKey);
    await writeFile(join(root, 'broken.yaml'), 'kind: [');
    const base = {
      factory: new StandInEngine(),
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      gate: {
        budgetMs: 1000,
        digestMutation: 'pods' as const,
        enforcement: { audit: false, enforceNamespaces: [], warnNamespaces: [], excludeNamespaces: [] },
      },
    };
    const broken = startWebhookServer({
      ...base,
      policyPaths: [join(root, 'broken.yaml')],
      tlsCertFile: join(root, 'tls.crt'),
      tlsKeyFile: join(root, 'tls.key'),
    });
    await expect(broken).rejects.toThrow(/cannot load policies: .*broken\.yaml/);
    await expect(broken).rejects.toMatchObject({ code: 'POLICY_LOAD' });
    const noTls = startWebhookServer({
      ...base,
      policyPaths: [join(root, 'broken.yaml')],
      tlsCertFile: join(root, 'missing.crt'),
      tlsKeyFile: join(root, 'tls.key'),
    });
    await expect(noTls).rejects.toBeInstanceOf(AdmissionError);
    await expect(noTls).rejects.toMatchObject({ code: 'TLS' });
  });
});
