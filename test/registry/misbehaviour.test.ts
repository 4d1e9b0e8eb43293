import { afterEach, describe, expect, it } from 'vitest';
import { parseReference, sha256Digest } from '../../src/reference/index.js';
import { RegistryClient, type RegistryError } from '../../src/registry/index.js';
import { Deadline } from '../../src/util/deadline.js';
import { type FakeRegistry, startFakeRegistry } from '../harness/index.js';

const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Digest('{}'), size: 2 },
    layers: [],
  }),
);
const MANIFEST_DIGEST = sha256Digest(MANIFEST);
const OCI = 'application/vnd.oci.image.manifest.v1+json';

let fake: FakeRegistry | undefined;
let client: RegistryClient | undefined;
afterEach(async () => {
  await client?.close();
  await fake?.stop();
  client = undefined;
  fake = undefined;
});

async function failure(promise: Promise<unknown>): Promise<RegistryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!error) throw new Error('expected a failure');
  return error as RegistryError;
}

describe('a registry that misbehaves', () => {
  it('serving a manifest that does not match the digest asked for: DIGEST_MISMATCH', async () => {
    const other = Buffer.from(
      MANIFEST.toString().replace('"layers":[]', '"layers":[],"annotations":{"x":"y"}'),
    );
    fake = await startFakeRegistry((_request, response) => {
      response.writeHead(200, { 'content-type': OCI, 'docker-content-digest': MANIFEST_DIGEST }).end(other);
    });
    client = new RegistryClient();
    const error = await failure(
      client.getManifest({ registry: fake.host, repository: 'x/y', digest: MANIFEST_DIGEST }),
    );
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(error.message).toContain(`manifest ${MANIFEST_DIGEST}`);
  });

  it('announcing a digest for a tag that its content does not have: DIGEST_MISMATCH', async () => {
    fake = await startFakeRegistry((_request, response) => {
      response
        .writeHead(200, { 'content-type': OCI, 'docker-content-digest': sha256Digest('lie') })
        .end(MANIFEST);
    });
    client = new RegistryClient();
    const error = await failure(client.getManifest({ registry: fake.host, repository: 'x/y', tag: 'v1' }));
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(error.message).toContain('registry announced');
  });

  it('answering HEAD for a digest with another digest: DIGEST_MISMATCH', async () => {
    fake = await startFakeRegistry((_request, response) => {
      response.writeHead(200, { 'content-type': OCI, 'docker-content-digest': sha256Digest('other') }).end();
    });
    client = new RegistryClient();
    const error = await failure(client.resolve(parseReference(`${fake.host}/x/y@${MANIFEST_DIGEST}`)));
    expect(error.code).toBe('DIGEST_MISMATCH');
  });

  it('serving a blob that does not match its digest: DIGEST_MISMATCH', async () => {
    fake = await startFakeRegistry((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end('not what was asked for');
    });
    client = new RegistryClient();
    const error = await failure(
      client.getBlob({ registry: fake.host, repository: 'x/y' }, sha256Digest('expected')),
    );
    expect(error.code).toBe('DIGEST_MISMATCH');
  });

  it('stalling: TIMEOUT when the deadline passes, without waiting longer', async () => {
    fake = await startFakeRegistry(() => {
      // never answers
    });
    client = new RegistryClient();
    const error = await failure(
      client.resolve(parseReference(`${fake.host}/x/y:v1`), { deadline: Deadline.after(300) }),
    );
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toBe(`registry ${fake.host} did not answer within 300 ms`);
  });

  it('answering 429 with Retry-After: retried after the wait, then succeeds', async () => {
    let calls = 0;
    fake = await startFakeRegistry((_request, response) => {
      calls++;
      if (calls === 1) response.writeHead(429, { 'retry-after': '1' }).end();
      else response.writeHead(200, { 'content-type': OCI, 'docker-content-digest': MANIFEST_DIGEST }).end();
    });
    client = new RegistryClient();
    const started = Date.now();
    const resolved = await client.resolve(parseReference(`${fake.host}/x/y:v1`), {
      deadline: Deadline.after(10_000),
    });
    expect(resolved.digest).toBe(MANIFEST_DIGEST);
    expect(calls).toBe(2);
    // The client honoured the one-second Retry-After rather than its 200 ms back-off.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('answering 429 with a Retry-After beyond the deadline: TOO_MANY_REQUESTS at once', async () => {
    fake = await startFakeRegistry((_request, response) => {
      response
        .writeHead(429, { 'retry-after': '120', 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'pull rate limit exceeded' }] }));
    });
    client = new RegistryClient();
    const error = await failure(
      client.resolve(parseReference(`${fake.host}/x/y:v1`), { deadline: Deadline.after(5_000) }),
    );
    expect(error.code).toBe('TOO_MANY_REQUESTS');
    expect(error.message).toContain(`registry ${fake.host} answered 429 Too Many Requests`);
    expect(error.message).toContain('beyond the deadline');
    expect(fake.log).toHaveLength(1);
  });

  it('answering 429 until the deadline: TIMEOUT that names the 429', async () => {
    fake = await startFakeRegistry((_request, response) => {
      response.writeHead(429).end();
    });
    client = new RegistryClient({ retryBaseDelayMs: 100, maxAttempts: 100 });
    const error = await failure(
      client.resolve(parseReference(`${fake.host}/x/y:v1`), { deadline: Deadline.after(800) }),
    );
    expect(['TIMEOUT', 'TOO_MANY_REQUESTS']).toContain(error.code);
    expect(error.message).toContain('answered 429');
  });

  it('failing with 503 once: retried', async () => {
    let calls = 0;
    fake = await startFakeRegistry((_request, response) => {
      calls++;
      if (calls === 1) response.writeHead(503).end();
      else response.writeHead(200, { 'content-type': OCI, 'docker-content-digest': MANIFEST_DIGEST }).end();
    });
    client = new RegistryClient({ retryBaseDelayMs: 10 });
    await expect(client.resolve(parseReference(`${fake.host}/x/y:v1`))).resolves.toMatchObject({
      digest: MANIFEST_DIGEST,
    });
    expect(calls).toBe(2);
  });

  it('sending an oversized manifest with Content-Length: TOO_LARGE before reading it', async () => {
    fake = await startFakeRegistry((_request, response) => {
      response.writeHead(200, { 'content-type': OCI, 'content-length': String(2 * 1024 ** 3) });
      response.write('{');
      // keeps the connection open as if 2 GiB were coming
    });
    client = new RegistryClient();
    const error = await failure(client.getManifest({ registry: fake.host, repository: 'x/y', tag: 'v1' }));
    expect(error.code).toBe('TOO_LARGE');
    expect(error.message).toContain('4194304-byte limit');
  });

  it('streaming an oversized manifest without Content-Length: TOO_LARGE once the cap is crossed', async () => {
    fake = await startFakeRegistry((_request, response) => {
      response.writeHead(200, { 'content-type': OCI });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const push = () => {
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', push);
            return;
          }
        }
        response.end();
      };
      push();
    });
    client = new RegistryClient({ maxManifestBytes: 1024 * 1024 });
    const error = await failure(client.getManifest({ registry: fake.host, repository: 'x/y', tag: 'v1' }));
    expect(error.code).toBe('TOO_LARGE');
  });

  it('redirecting in a loop: TOO_MANY_REDIRECTS', async () => {
    fake = await startFakeRegistry((request, response) => {
      response.writeHead(307, { location: request.url ?? '/' }).end();
    });
    client = new RegistryClient();
    const error = await failure(
      client.getBlob({ registry: fake.host, repository: 'x/y' }, sha256Digest('b')),
    );
    expect(error.code).toBe('TOO_MANY_REDIRECTS');
    expect(fake.log.length).toBe(11);
  });

  it('redirecting a blob elsewhere: followed, without sending credentials to the other origin', async () => {
    const body = Buffer.from('blob content');
    const storage = await startFakeRegistry((request, response) => {
      response
        .writeHead(200, { 'x-saw-authorization': String(request.headers.authorization ?? '') })
        .end(body);
    });
    let sawAuthorization: string | undefined;
    fake = await startFakeRegistry((request, response) => {
      sawAuthorization = request.headers.authorization;
      response.writeHead(307, { location: `${storage.url}/storage/blob` }).end();
    });
    client = new RegistryClient();
    try {
      const bytes = await client.getBlob({ registry: fake.host, repository: 'x/y' }, sha256Digest(body));
      expect(Buffer.from(bytes).toString()).toBe('blob content');
      expect(sawAuthorization).toBeUndefined();
      expect(storage.log).toEqual(['GET /storage/blob']);
    } finally {
      await storage.stop();
    }
  });

  it('answering with an OCI error body: the registry message is kept', async () => {
    fake = await startFakeRegistry((_request, response) => {
      response
        .writeHead(403, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ errors: [{ code: 'DENIED', message: 'image blocked by vulnerability policy' }] }),
        );
    });
    client = new RegistryClient();
    const error = await failure(
      client.getManifest({ registry: fake.host, repository: 'x/y', digest: MANIFEST_DIGEST }),
    );
    expect(error.code).toBe('DENIED');
    expect(error.registryMessage).toBe('image blocked by vulnerability policy');
    expect(error.message).toContain('image blocked by vulnerability policy');
  });

  it('being unreachable: NETWORK naming the registry', async () => {
    fake = await startFakeRegistry(() => {});
    const host = fake.host;
    await fake.stop();
    fake = undefined;
    client = new RegistryClient({ retryBaseDelayMs: 10 });
    const error = await failure(client.resolve(parseReference(`${host}/x/y:v1`)));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toContain(`cannot reach registry ${host}`);
  });

  it('sending a manifest that is not a valid manifest: MANIFEST_INVALID', async () => {
    fake = await startFakeRegistry((_request, response) => {
      response.writeHead(200, { 'content-type': OCI }).end('{"schemaVersion":2,"layers":"nope"}');
    });
    client = new RegistryClient();
    const error = await failure(client.getManifest({ registry: fake.host, repository: 'x/y', tag: 'v1' }));
    expect(error.code).toBe('MANIFEST_INVALID');
  });

  it('limits the requests in flight per registry', async () => {
    let inFlight = 0;
    let peak = 0;
    fake = await startFakeRegistry(async (_request, response) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight--;
      response.writeHead(200, { 'content-type': OCI, 'docker-content-digest': MANIFEST_DIGEST }).end();
    });
    client = new RegistryClient({ maxConcurrencyPerRegistry: 3 });
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => client!.resolve(parseReference(`${fake!.host}/x/y:v${i}`))),
    );
    expect(peak).toBe(3);
  });
});
