/**
 * Remote policies (verification-config `url`, CIP `policy.remote`) against a real HTTPS server on
 * loopback with a throwaway certificate: the sha256sum is checked, only https is used, redirects to
 * http are refused, and an untrusted certificate is a fetch error.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssue, loadPolicies, PolicyError } from '../../src/policy/index.js';
import { tempDir } from '../harness/index.js';
import { cip, GLOBS, KEY_AUTHORITY, keyPolicy, load, loadErrors, yamlDocuments } from './helpers.js';
import { startHttpsServer, type TestHttpsServer } from './tls.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const POLICY_YAML = yamlDocuments(keyPolicy('remote-one'));
const CEL = 'size(authorityMatches) > 0';

let server: TestHttpsServer;
let requests: string[] = [];
beforeAll(async () => {
  server = await startHttpsServer((request, response) => {
    requests.push(request.url ?? '');
    switch (request.url) {
      case '/policy.yaml':
        response.end(POLICY_YAML);
        return;
      case '/policy.cel':
        response.end(CEL);
        return;
      case '/moved':
        response.writeHead(302, { location: '/policy.yaml' });
        response.end();
        return;
      case '/to-http':
        response.writeHead(302, { location: 'http://127.0.0.1:1/policy.yaml' });
        response.end();
        return;
      default:
        response.writeHead(404);
        response.end('not found');
    }
  });
});
afterAll(async () => {
  await server?.stop();
});

async function configErrors(url: string, sha256sum: string, ca?: string): Promise<string[]> {
  const dir = await tempDir('remote');
  const config = join(dir, 'verification.yaml');
  await writeFile(config, yamlDocuments({ policies: [{ url, sha256sum }] }));
  try {
    await loadPolicies([config], ca === undefined ? {} : { fetch: { caCertificates: ca } });
  } catch (error) {
    if (error instanceof PolicyError)
      return error.issues.map(formatIssue).map((line) => line.replace(`${config}: document 1: `, ''));
    throw error;
  }
  expect.fail('expected the load to fail');
}

describe('verification config url sources', () => {
  it('loads policies from an https url whose body has the named sha256', async () => {
    const dir = await tempDir('remote');
    const config = join(dir, 'verification.yaml');
    const url = `${server.origin}/policy.yaml`;
    await writeFile(
      config,
      yamlDocuments({
        'no-match-policy': 'deny',
        policies: [{ url, sha256sum: sha256(POLICY_YAML).toUpperCase() }],
      }),
    );
    const loaded = await loadPolicies([config], { fetch: { caCertificates: server.ca } });
    expect(loaded.policySet.policies.map((p) => [p.name, p.origin])).toEqual([
      ['remote-one', `${url}: document 1 (ClusterImagePolicy "remote-one")`],
    ]);
  });

  it('refuses a body with another sha256', async () => {
    const url = `${server.origin}/policy.yaml`;
    expect(await configErrors(url, 'f'.repeat(64), server.ca)).toEqual([
      `policies[0].url: body of ${url} has sha256 ${sha256(POLICY_YAML)}, but the policy requires ${'f'.repeat(64)}`,
    ]);
  });

  it('follows https redirects and still checks the body', async () => {
    const dir = await tempDir('remote');
    const config = join(dir, 'verification.yaml');
    await writeFile(
      config,
      yamlDocuments({ policies: [{ url: `${server.origin}/moved`, sha256sum: sha256(POLICY_YAML) }] }),
    );
    const loaded = await loadPolicies([config], { fetch: { caCertificates: server.ca } });
    expect(loaded.policySet.policies.map((p) => p.name)).toEqual(['remote-one']);
  });

  it('refuses a redirect to http without following it', async () => {
    requests = [];
    expect(await configErrors(`${server.origin}/to-http`, sha256(POLICY_YAML), server.ca)).toEqual([
      `policies[0].url: ${server.origin}/to-http redirects to http://127.0.0.1:1/policy.yaml, which must be an https URL (got http)`,
    ]);
    expect(requests).toEqual(['/to-http']);
  });

  it('reports a server error and an untrusted certificate as fetch errors', async () => {
    expect(await configErrors(`${server.origin}/gone`, sha256('x'), server.ca)).toEqual([
      `policies[0].url: GET ${server.origin}/gone answered 404`,
    ]);
    const [untrusted] = await configErrors(`${server.origin}/policy.yaml`, sha256(POLICY_YAML));
    expect(untrusted).toMatch(
      new RegExp(
        `^policies\\[0\\]\\.url: cannot fetch ${server.origin}/policy\\.yaml: .*(certificate|self.signed)`,
        'i',
      ),
    );
  });
});

describe('policy.remote', () => {
  const remotePolicy = (sha256sum: string, path = '/policy.cel') =>
    yamlDocuments(
      cip('p', {
        images: GLOBS,
        authorities: [KEY_AUTHORITY],
        policy: { type: 'cel', remote: { url: `${server.origin}${path}`, sha256sum } },
      }),
    );

  it('fetches the CEL body at load time and records where it came from', async () => {
    const { policySet } = await load(remotePolicy(sha256(CEL)), { fetch: { caCertificates: server.ca } });
    expect(policySet.policies[0]?.policy).toMatchObject({
      type: 'cel',
      expression: CEL,
      from: `${server.origin}/policy.cel (sha256 ${sha256(CEL)})`,
    });
  });

  it('refuses a body with another sha256', async () => {
    expect(await loadErrors(remotePolicy(sha256('other')), { fetch: { caCertificates: server.ca } })).toEqual(
      [
        `test.yaml: document 1 (ClusterImagePolicy "p"): spec.policy.remote: body of ${server.origin}/policy.cel has sha256 ${sha256(CEL)}, but the policy requires ${sha256('other')}`,
      ],
    );
  });
});
