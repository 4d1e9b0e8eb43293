/**
 * `vouch webhook`, `vouch webhook certs` and `vouch audit` as a user runs them (bin/vouch over the
 * build in dist/: run `npm run build` first; `npm test` does): usage, input and configuration errors,
 * and certificates. Verdicts from the policy engine: webhook-e2e, webhook-shared and audit-e2e.
 */
import { X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateWebhookCertificates } from '../../../src/gates/admission/certs.js';
import { type CliResult, runVouch, tempDir } from '../../harness/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function vouch(args: string[], stdin = '', env: Record<string, string> = {}): Promise<CliResult> {
  return runVouch(args, { input: stdin, env, cwd: ROOT });
}

describe('vouch webhook certs', () => {
  it('writes a TLS secret layout and prints the caBundle', async () => {
    const out = join(await tempDir('certs'), 'tls');
    const result = await vouch([
      'webhook',
      'certs',
      '--service',
      'vouch-webhook',
      '--namespace',
      'vouch-system',
      '--out',
      out,
    ]);
    expect(result.stderr).toContain('vouch-webhook.vouch-system.svc.cluster.local');
    expect(result.code).toBe(0);
    const ca = await readFile(join(out, 'ca.crt'), 'utf8');
    expect(result.stdout).toBe(`${Buffer.from(ca).toString('base64')}\n`);
    const leaf = new X509Certificate(await readFile(join(out, 'tls.crt')));
    expect(leaf.checkIssued(new X509Certificate(ca))).toBe(true);
    expect(leaf.subjectAltName).toContain('DNS:vouch-webhook.vouch-system.svc');
    expect((await stat(join(out, 'tls.key'))).mode & 0o777).toBe(0o600);

    const again = await vouch([
      'webhook',
      'certs',
      '--service',
      'vouch-webhook',
      '--namespace',
      'vouch-system',
      '--out',
      out,
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/ca\.crt exists; pass --force to replace it/);
    expect(await readFile(join(out, 'ca.crt'), 'utf8')).toBe(ca);

    const forced = await vouch([
      'webhook',
      'certs',
      '--service',
      'vouch-webhook',
      '--namespace',
      'vouch-system',
      '--out',
      out,
      '--force',
    ]);
    expect(forced.code).toBe(0);
    expect(await readFile(join(out, 'ca.crt'), 'utf8')).not.toBe(ca);
  });

  it('refuses names that are not Kubernetes names', async () => {
    const out = await tempDir('certs-bad');
    const result = await vouch([
      'webhook',
      'certs',
      '--service',
      'Vouch_Webhook',
      '--namespace',
      'x',
      '--out',
      out,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--service "Vouch_Webhook" is not a valid Kubernetes name/);
    expect((await vouch(['webhook', 'certs', '--namespace', 'x', '--out', out])).code).toBe(2);
  });
});

describe('vouch webhook flags', () => {
  const base = ['webhook', '--policy', 'p.yaml', '--tls-cert', 'c', '--tls-key', 'k'];

  it('is listed in --help with an example', async () => {
    const help = await vouch(['--help']);
    expect(help.stdout).toMatch(/webhook \[options\] +run the Kubernetes admission webhook/);
    expect(help.stdout).toMatch(/audit \[options\] <path\.\.\.> +check every image of the workloads/);
    expect(help.stdout).toContain('vouch webhook --policy');
    const webhookHelp = await vouch(['webhook', '--help']);
    for (const flag of [
      '--policy',
      '--tls-cert',
      '--tls-key',
      '--port',
      '--cache',
      '--timeout-budget',
      '--digest-mutation',
      '--audit',
      '--enforce-namespaces',
      '--warn-namespaces',
      '--exclude-namespaces',
      '--cache-hmac-key-file',
    ]) {
      expect(webhookHelp.stdout).toContain(flag);
    }
  });

  it.each([
    [['webhook', '--tls-cert', 'c', '--tls-key', 'k'], /--policy \(or VOUCH_POLICY\) is required/],
    [['webhook', '--policy', 'p.yaml'], /--tls-cert and --tls-key are required/],
    [[...base, '--timeout-budget', '45s'], /--timeout-budget must be at most 30s/],
    [[...base, '--timeout-budget', 'soon'], /--timeout-budget must be a duration like 9s/],
    [[...base, '--timeout-budget', '1ms'], /^vouch: --timeout-budget must be at least 100ms .*, got 1ms\n$/],
    [[...base, '--timeout', '1e9'], /^vouch: --timeout must be from 0\.1 to 3600 seconds, got "1e9"\n$/],
    [
      [...base, '--timeout', '0.0001'],
      /^vouch: --timeout must be from 0\.1 to 3600 seconds, got "0\.0001"\n$/,
    ],
    [
      ['resolve', '--timeout', '1e9', '127.0.0.1:9/x/y:v1'],
      /^vouch: --timeout must be from 0\.1 to 3600 seconds, got "1e9"\n$/,
    ],
    [[...base, '--port', '99999'], /--port must be a number from 0 to 65535/],
    [[...base, '--cache', 'http://cache:6379'], /--cache must be memory or a redis:\/\/ or rediss:\/\/ URL/],
    [
      [...base, '--enforce-namespaces', 'prod,Team_A'],
      /--enforce-namespaces: "Team_A" is not a namespace name or glob/,
    ],
    [[...base, '--digest-mutation', 'sometimes'], /argument 'sometimes' is invalid/],
    [[...base, '--cache', 'redis://127.0.0.1:1'], /VOUCH_CACHE_HMAC_KEY/],
  ])('exits 2 on %j', async (args, reason) => {
    const result = await vouch(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(reason);
  });
});

describe('vouch webhook start-up', () => {
  /** A directory with a serving certificate and key (tls.crt, tls.key) and a policy that loads. */
  async function startable() {
    const dir = await tempDir('webhook-cli');
    const certificates = await generateWebhookCertificates({
      service: 'vouch-webhook',
      namespace: 'vouch-system',
    });
    await writeFile(join(dir, 'tls.crt'), certificates.tlsCert);
    await writeFile(join(dir, 'tls.key'), certificates.tlsKey);
    const policy = join(dir, 'static.yaml');
    await writeFile(
      policy,
      'apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: x}\nspec:\n  images: [{glob: "**"}]\n  authorities: [{static: {action: pass}}]\n',
    );
    const run = (cert: string, key: string, port = '0') =>
      vouch([
        'webhook',
        '--policy',
        policy,
        '--tls-cert',
        cert,
        '--tls-key',
        key,
        '--port',
        port,
        '--host',
        '127.0.0.1',
      ]);
    return { dir, cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), run };
  }

  it('exits 2 naming the file when --tls-cert and --tls-key are swapped, or do not belong together', async () => {
    const { dir, cert, key, run } = await startable();
    const swapped = await run(key, cert);
    expect(swapped.code).toBe(2);
    expect(swapped.stderr).toBe(
      `vouch: TLS certificate file ${key} holds no PEM certificate (it holds a private key: are the certificate and key files swapped?)\n`,
    );
    const other = await generateWebhookCertificates({ service: 'other', namespace: 'elsewhere' });
    await writeFile(join(dir, 'other.key'), other.tlsKey);
    const mismatched = await run(cert, join(dir, 'other.key'));
    expect(mismatched.code).toBe(2);
    expect(mismatched.stderr).toBe(
      `vouch: TLS key file ${join(dir, 'other.key')} is not the key of the certificate in ${cert}\n`,
    );
    const twice = await run(cert, cert);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe(
      `vouch: TLS key file ${cert} holds no PEM private key (it holds a certificate)\n`,
    );
  });

  it('exits 1 with the address when the port is in use', async () => {
    const { cert, key, run } = await startable();
    const taken = createServer();
    await new Promise<void>((ready) => taken.listen(0, '127.0.0.1', ready));
    const { port } = taken.address() as AddressInfo;
    try {
      const result = await run(cert, key, String(port));
      expect(result.stderr).toBe(`vouch: cannot listen on 127.0.0.1:${port}: address already in use\n`);
      expect(result.code).toBe(1);
    } finally {
      await new Promise((closed) => taken.close(closed));
    }
  });

  it('exits 2 with every located problem when the policies are invalid', async () => {
    const dir = await tempDir('webhook-cli');
    const certificates = await generateWebhookCertificates({
      service: 'vouch-webhook',
      namespace: 'vouch-system',
    });
    await writeFile(join(dir, 'tls.crt'), certificates.tlsCert);
    await writeFile(join(dir, 'tls.key'), certificates.tlsKey);
    const policy = join(dir, 'policy.yaml');
    await writeFile(
      policy,
      'apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: x}\nspec:\n  images: [{glob: "**"}]\n  authorities: [{key: {data: "not a key"}}]\n',
    );
    const result = await vouch([
      'webhook',
      '--policy',
      policy,
      '--tls-cert',
      join(dir, 'tls.crt'),
      '--tls-key',
      join(dir, 'tls.key'),
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        `^vouch: cannot load policies:\\n  ${policy.replaceAll('/', '\\/')}: document 1 \\(ClusterImagePolicy "x"\\): spec\\.authorities\\[0\\]\\.key`,
      ),
    );
  });
});

describe('vouch audit input', () => {
  it('exits 2 naming the document that does not parse, before any verification', async () => {
    const dir = await tempDir('audit-cli');
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: Pod\n---\nmetadata: [unclosed\n');
    const result = await vouch(['audit', '--policy', dir, file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad\.yaml#2: /);
    const stdin = await vouch(
      ['audit', '--policy', dir, '-'],
      'apiVersion: v1\nkind: Pod\nspec:\n  containers: nginx\n',
    );
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toMatch(/-#1: Pod spec is malformed: containers/);
  });

  it('exits 2 on a missing path or missing --policy', async () => {
    const missing = await vouch(['audit', '--policy', 'p.yaml', '/nonexistent/manifests']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read \/nonexistent\/manifests/);
    const noPolicy = await vouch(['audit', '-']);
    expect(noPolicy.code).toBe(2);
    expect(noPolicy.stderr).toMatch(/--policy \(or VOUCH_POLICY\) is required/);
    // VOUCH_POLICY stands in for --policy: the run gets past it to the manifests.
    const fromEnv = await vouch(['audit', '/nonexistent/manifests'], '', { VOUCH_POLICY: 'p.yaml' });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/cannot read \/nonexistent\/manifests/);
  });
});
