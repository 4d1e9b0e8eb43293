import 'reflect-metadata';
import { createPrivateKey, randomUUID, sign, webcrypto } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type Action = 'pull' | 'push' | 'delete' | '*';

/** Who may do what: returns the subset of `requested` actions granted on `repository`. */
export type AccessRule = (user: string | undefined, repository: string, requested: Action[]) => Action[];

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** PEM of the self-signed certificate the registry trusts (`rootcertbundle`). */
  certificatePem: string;
  /** Requests answered so far (tests assert token caching with it). */
  requests(): number;
  stop(): Promise<void>;
}

/** Authenticated users get what they ask for; anonymous users get nothing. */
export const authenticatedOnly: AccessRule = (user, _repository, requested) => (user ? requested : []);

/**
 * A minimal token server for distribution's `auth.token`: checks Basic credentials, and issues an ES256
 * JWT whose `access` claim lists exactly the repository scopes granted, with the signing certificate in
 * the `x5c` header. A token for one repository therefore does not open another.
 */
export async function startTokenServer(options: {
  users: Record<string, string>;
  access?: AccessRule;
  service?: string;
  lifetimeSeconds?: number;
}): Promise<TokenServer> {
  const service = options.service ?? 'vouch-test-registry';
  const issuer = 'vouch-test-token-issuer';
  const access = options.access ?? authenticatedOnly;
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=vouch test token issuer',
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    signingAlgorithm: algorithm,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const x5c = [Buffer.from(certificate.rawData).toString('base64')];
  let served = 0;

  const server: Server = createServer((request, response) => {
    served++;
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/token') {
      response.writeHead(404).end();
      return;
    }
    let user: string | undefined;
    const authorization = request.headers.authorization;
    if (authorization?.startsWith('Basic ')) {
      const [name, password] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':');
      if (name === undefined || options.users[name] !== password) {
        response
          .writeHead(401, { 'content-type': 'application/json' })
          .end(JSON.stringify({ details: 'bad credentials' }));
        return;
      }
      user = name;
    }
    const granted: Array<{ type: string; name: string; actions: Action[] }> = [];
    for (const scope of url.searchParams.getAll('scope')) {
      const [type, name, actions] = splitScope(scope);
      if (type !== 'repository' || !name) continue;
      const allowed = access(user, name, (actions ?? '').split(',').filter(Boolean) as Action[]);
      granted.push({ type, name, actions: allowed });
    }
    const issuedAt = Math.floor(Date.now() / 1000);
    const lifetime = options.lifetimeSeconds ?? 300;
    const token = jwt(privateKey, x5c, {
      iss: issuer,
      sub: user ?? '',
      aud: service,
      exp: issuedAt + lifetime,
      nbf: issuedAt - 5,
      iat: issuedAt,
      jti: randomUUID(),
      access: granted,
    });
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        token,
        access_token: token,
        expires_in: lifetime,
        issued_at: new Date(issuedAt * 1000).toISOString(),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('token server has no address');
  return {
    realm: `http://127.0.0.1:${address.port}/token`,
    service,
    issuer,
    certificatePem: certificate.toString('pem'),
    requests: () => served,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `repository:team/app:pull,push` → ['repository', 'team/app', 'pull,push'] (names may not contain ':'). */
function splitScope(scope: string): [string, string | undefined, string | undefined] {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return [scope, undefined, undefined];
  return [scope.slice(0, first), scope.slice(first + 1, last), scope.slice(last + 1)];
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function jwt(
  key: ReturnType<typeof createPrivateKey>,
  x5c: string[],
  claims: Record<string, unknown>,
): string {
  const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c }));
  const payload = base64url(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' });
  return `${header}.${payload}.${base64url(signature)}`;
}
