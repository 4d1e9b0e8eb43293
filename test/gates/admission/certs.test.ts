import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookCertificates, type WebhookCertificates } from '../../../src/gates/admission/certs.js';

function connect(port: number, servername: string, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', servername, ...(ca !== undefined && { ca }), agent: false },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        response.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('vouch webhook certs', () => {
  let certificates: WebhookCertificates;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    certificates = await generateWebhookCertificates({ service: 'vouch-webhook', namespace: 'vouch-system' });
    server = createServer({ cert: certificates.tlsCert, key: certificates.tlsKey }, (_request, response) => {
      response.end('hello over TLS');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it('is accepted by a client that trusts ca.crt, under every Service name', async () => {
    for (const name of [
      'vouch-webhook.vouch-system.svc',
      'vouch-webhook.vouch-system.svc.cluster.local',
      'vouch-webhook.vouch-system',
    ]) {
      await expect(connect(port, name, certificates.caCert)).resolves.toBe('hello over TLS');
    }
  });

  it('is refused under another name or without the CA', async () => {
    await expect(connect(port, 'other.vouch-system.svc', certificates.caCert)).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    await expect(connect(port, 'vouch-webhook.vouch-system.svc')).rejects.toThrow(/certificate/i);
    const stranger = await generateWebhookCertificates({
      service: 'vouch-webhook',
      namespace: 'vouch-system',
    });
    await expect(connect(port, 'vouch-webhook.vouch-system.svc', stranger.caCert)).rejects.toThrow(
      /certificate/i,
    );
  });

  it('makes a CA that can only sign and a serving certificate that can only serve', () => {
    const ca = new X509Certificate(certificates.caCert);
    const leaf = new X509Certificate(certificates.tlsCert);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe(
      'DNS:vouch-webhook, DNS:vouch-webhook.vouch-system, DNS:vouch-webhook.vouch-system.svc, DNS:vouch-webhook.vouch-system.svc.cluster.local',
    );
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(certificates.tlsKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(new Date(leaf.validFrom).getTime()).toBeLessThan(Date.now());
    expect(new Date(leaf.validTo).getTime()).toBe(Math.floor(certificates.notAfter.getTime() / 1000) * 1000);
  });

  it('refuses names Kubernetes would not accept', async () => {
    await expect(
      generateWebhookCertificates({ service: 'Vouch', namespace: 'vouch-system' }),
    ).rejects.toThrow(/--service "Vouch" is not a valid Kubernetes name/);
    await expect(generateWebhookCertificates({ service: 'vouch', namespace: 'a.b' })).rejects.toThrow(
      /--namespace/,
    );
    await expect(generateWebhookCertificates({ service: 'vouch', namespace: 'ns', days: 0 })).rejects.toThrow(
      /validity/,
    );
  });
});
