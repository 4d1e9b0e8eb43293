import type { Deadline } from '../util/deadline.js';
import { type Challenge, parseChallenge } from './challenge.js';
import type { Credential, CredentialStore } from './credentials.js';
import { RegistryError } from './errors.js';
import { type HttpRequest, type HttpResponse, type HttpTransport, registryMessage } from './transport.js';

/** What a request needs permission for: `repository:<name>:pull[,push]`. */
export interface Scope {
  repository: string;
  actions: ReadonlyArray<'pull' | 'push'>;
}

function scopeString(scope: Scope): string {
  return `repository:${scope.repository}:${scope.actions.join(',')}`;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

/** Tokens are refreshed this long before the expiry the token server announced. */
const EXPIRY_MARGIN_MS = 5_000;
/** The distribution token spec's default lifetime when `expires_in` is absent. */
const DEFAULT_TOKEN_LIFETIME_S = 60;

/**
 * Authentication on top of the transport. Nothing is sent up front: a registry that answers without a
 * challenge is used anonymously at the cost of one request. After a 401 the challenge is remembered
 * per registry, so later requests authenticate pre-emptively (Basic), or fetch a Bearer token for their
 * scope before the first attempt; tokens are cached per (registry, scope) until they expire.
 */
export class Authenticator {
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pendingTokens = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly transport: HttpTransport,
    private readonly credentials: CredentialStore,
  ) {}

  async send(request: HttpRequest & { scope: Scope }): Promise<HttpResponse> {
    const deadline = request.deadline;
    const known = this.challenges.get(request.registry);
    const header = known
      ? await this.authorization(request.registry, known, request.scope, deadline)
      : undefined;
    const first = await this.transport.send(withAuthorization(request, header));
    if (first.status !== 401) return first;

    const challenge = parseChallenge(first.headers.get('www-authenticate'));
    if (!challenge) throw unauthorized(request.registry, first, 'it sent no challenge vouch understands');
    const sameAsBefore = known && sameChallenge(known, challenge) && header !== undefined;
    if (sameAsBefore && challenge.params.error !== 'invalid_token' && challenge.scheme === 'basic') {
      throw unauthorized(request.registry, first, 'the credentials were refused');
    }
    this.challenges.set(request.registry, challenge);
    // A token that the registry refuses is dropped so that the retry fetches a fresh one.
    this.tokens.delete(tokenKey(request.registry, challenge, request.scope));
    const retryHeader = await this.authorization(request.registry, challenge, request.scope, deadline, true);
    if (retryHeader === undefined)
      throw unauthorized(request.registry, first, 'no credentials are configured for it');
    const second = await this.transport.send(withAuthorization(request, retryHeader));
    if (second.status === 401) throw unauthorized(request.registry, second, 'the credentials were refused');
    return second;
  }

  private async authorization(
    registry: string,
    challenge: Challenge,
    scope: Scope,
    deadline: Deadline | undefined,
    afterChallenge = false,
  ): Promise<string | undefined> {
    if (challenge.scheme === 'basic') {
      const credential = await this.credentials.get(registry);
      if (!credential || !('username' in credential)) return undefined;
      return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
    }
    const key = tokenKey(registry, challenge, scope);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.header;
    let pending = this.pendingTokens.get(key);
    if (!pending) {
      pending = this.fetchToken(registry, challenge, scope, deadline).finally(() =>
        this.pendingTokens.delete(key),
      );
      this.pendingTokens.set(key, pending);
    }
    try {
      const token = await pending;
      this.tokens.set(key, token);
      return token.header;
    } catch (error) {
      if (!afterChallenge && error instanceof RegistryError && error.code === 'UNAUTHORIZED')
        return undefined;
      throw error;
    }
  }

  private async fetchToken(
    registry: string,
    challenge: Challenge,
    scope: Scope,
    deadline: Deadline | undefined,
  ): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm)
      throw new RegistryError(
        'UNAUTHORIZED',
        `registry ${registry} sent a Bearer challenge without a realm`,
        { registry },
      );
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch (cause) {
      throw new RegistryError(
        'UNAUTHORIZED',
        `registry ${registry} sent an invalid token realm ${JSON.stringify(realm)}`,
        { registry, cause },
      );
    }
    const credential = await this.credentials.get(registry);
    const service = challenge.params.service;
    const response =
      credential && 'identityToken' in credential
        ? await this.refreshTokenRequest(registry, realmUrl, service, scope, credential, deadline)
        : await this.getTokenRequest(registry, realmUrl, service, scope, credential, deadline);
    if (response.status === 401 || response.status === 403) {
      throw new RegistryError(
        'UNAUTHORIZED',
        `token server for ${registry} refused the request (${response.status})`,
        {
          registry,
          status: response.status,
          ...registryMessage(response),
        },
      );
    }
    if (response.status < 200 || response.status >= 300) {
      throw new RegistryError('SERVER_ERROR', `token server for ${registry} answered ${response.status}`, {
        registry,
        status: response.status,
        ...registryMessage(response),
      });
    }
    let body: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try {
      body = JSON.parse(Buffer.from(response.body).toString('utf8'));
    } catch (cause) {
      throw new RegistryError('INVALID_RESPONSE', `token server for ${registry} did not answer with JSON`, {
        registry,
        cause,
      });
    }
    const token = body.token ?? body.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new RegistryError('INVALID_RESPONSE', `token server for ${registry} answered without a token`, {
        registry,
      });
    }
    const lifetimeMs =
      (typeof body.expires_in === 'number' && body.expires_in > 0
        ? body.expires_in
        : DEFAULT_TOKEN_LIFETIME_S) * 1000;
    const issued = body.issued_at ? Date.parse(body.issued_at) : Number.NaN;
    const start = Number.isNaN(issued) ? Date.now() : Math.min(issued, Date.now());
    return { header: `Bearer ${token}`, expiresAt: start + lifetimeMs - EXPIRY_MARGIN_MS };
  }

  private getTokenRequest(
    registry: string,
    realm: URL,
    service: string | undefined,
    scope: Scope,
    credential: Credential | undefined,
    deadline: Deadline | undefined,
  ): Promise<HttpResponse> {
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', scopeString(scope));
    const headers: Record<string, string> = {};
    if (credential && 'username' in credential) {
      headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
    }
    return this.transport.send({
      registry,
      kind: 'token',
      method: 'GET',
      url: url.toString(),
      headers,
      ...(deadline && { deadline }),
      maxBodyBytes: 1024 * 1024,
    });
  }

  /** The OAuth2 refresh-token flow docker uses for `identitytoken` credentials. */
  private refreshTokenRequest(
    registry: string,
    realm: URL,
    service: string | undefined,
    scope: Scope,
    credential: { identityToken: string },
    deadline: Deadline | undefined,
  ): Promise<HttpResponse> {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: credential.identityToken,
      client_id: 'vouch',
      scope: scopeString(scope),
      ...(service && { service }),
    });
    return this.transport.send({
      registry,
      kind: 'token',
      method: 'POST',
      url: realm.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(form.toString()),
      ...(deadline && { deadline }),
      maxBodyBytes: 1024 * 1024,
    });
  }
}

function tokenKey(registry: string, challenge: Challenge, scope: Scope): string {
  return `${registry}|${challenge.params.realm ?? ''}|${challenge.params.service ?? ''}|${scopeString(scope)}`;
}

function sameChallenge(a: Challenge, b: Challenge): boolean {
  return a.scheme === b.scheme && a.params.realm === b.params.realm && a.params.service === b.params.service;
}

function withAuthorization(request: HttpRequest, header: string | undefined): HttpRequest {
  if (header === undefined) return request;
  return { ...request, headers: { ...request.headers, authorization: header } };
}

function unauthorized(registry: string, response: HttpResponse, why: string): RegistryError {
  const { registryMessage: said } = registryMessage(response);
  return new RegistryError(
    'UNAUTHORIZED',
    `registry ${registry} requires authentication: ${why}${said ? ` (${said})` : ''}`,
    {
      registry,
      status: 401,
      ...(said !== undefined && { registryMessage: said }),
    },
  );
}
