import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_CLIENT_SECRET, idpOptionsFromEnv } from './config.ts';
import { seedIdpUsers, startIdentityProvider, subFor, type IdentityProvider } from './server.ts';
import { createTestBrowser, type Page } from './test-browser.ts';

const client = {
  client_id: 'app',
  client_secret: 'test-secret',
  redirect_uris: ['http://127.0.0.1:9/cb'],
  post_logout_redirect_uris: ['http://127.0.0.1:9/bye'],
};
const isCallback = (url: string) => url.startsWith('http://127.0.0.1:9/cb');
let idp: IdentityProvider;

beforeAll(async () => {
  idp = await startIdentityProvider({
    clients: [client],
    users: [...seedIdpUsers(), { username: 'olav', password: 'pw', givenName: 'Olav', familyName: 'Vik', email: 'olav@x.example' }],
  });
});
afterAll(async () => {
  await idp?.close();
});

function authorizeUrl(verifier: string, extra: Record<string, string> = {}): string {
  return `${idp.issuer}/auth?${new URLSearchParams({
    client_id: client.client_id,
    response_type: 'code',
    scope: 'openid profile email offline_access',
    redirect_uri: client.redirect_uris[0]!,
    state: 'st',
    nonce: 'no',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  })}`;
}

async function codeFor(username: string, password: string, verifier: string): Promise<string> {
  const b = createTestBrowser();
  const login = await b.go(authorizeUrl(verifier), isCallback);
  expect(login.status).toBe(200);
  const back: Page = await b.submit(login, { username, password }, isCallback);
  return new URL(back.location!).searchParams.get('code')!;
}

async function exchange(code: string, verifier: string) {
  const res = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirect_uris[0]!, code_verifier: verifier }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

const userinfo = async (accessToken: string) =>
  (await (await fetch(`${idp.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } })).json()) as Record<string, unknown>;

describe('the dev identity provider', () => {
  it('publishes discovery: code flow only, PKCE S256 only, RP-initiated logout, the legacy_user_id claim', async () => {
    const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta['issuer']).toBe(idp.issuer);
    expect(idp.issuer).toBe(`http://127.0.0.1:${idp.port}`);
    expect(meta['response_types_supported']).toEqual(['code']);
    expect(meta['code_challenge_methods_supported']).toEqual(['S256']);
    expect(meta['end_session_endpoint']).toBe(`${idp.issuer}/session/end`);
    expect(meta['claims_supported']).toContain('legacy_user_id');
    expect(meta['scopes_supported']).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']));
  });

  it('signs a seeded user in with the plain form, grants consent itself, and vouches for the legacy id', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const tokens = await exchange(await codeFor('ingrid', 'password', verifier), verifier);
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', id_token: expect.any(String), refresh_token: expect.any(String) });
    const claims = await userinfo(tokens.body['access_token']!);
    expect(claims).toMatchObject({
      sub: subFor('ingrid'),
      legacy_user_id: 'u-ingrid',
      preferred_username: 'ingrid',
      name: 'Ingrid Solberg',
      email: 'ingrid@uninett.example',
      email_verified: true,
    });
    // The organisation's subject is its own, stable across restarts, and not the legacy id.
    expect(claims['sub']).toMatch(/^idp-[0-9a-f]{20}$/);
    expect(subFor('ingrid')).toBe(subFor('ingrid'));
  });

  it('vouches for nothing when the person has no legacy account', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const tokens = await exchange(await codeFor('olav', 'pw', verifier), verifier);
    const claims = await userinfo(tokens.body['access_token']!);
    expect(claims['preferred_username']).toBe('olav');
    expect(claims).not.toHaveProperty('legacy_user_id');
  });

  it('releases the organisation roles claim for staff (kari) and none for the others', async () => {
    const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta['claims_supported']).toContain('roles');
    const verifier = randomBytes(32).toString('base64url');
    const kari = await userinfo((await exchange(await codeFor('kari', 'password', verifier), verifier)).body['access_token']!);
    expect(kari['roles']).toEqual(['staff']);
    const other = randomBytes(32).toString('base64url');
    const ola = await userinfo((await exchange(await codeFor('ola', 'password', other), other)).body['access_token']!);
    expect(ola).not.toHaveProperty('roles');
  });

  it('refuses a wrong password on the form, and a code exchanged with the wrong verifier', async () => {
    const b = createTestBrowser();
    const login = await b.go(authorizeUrl('v'.repeat(43)), isCallback);
    const wrong = await b.submit(login, { username: 'ingrid', password: 'nope' }, isCallback);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('Wrong username or password.');
    expect(wrong.body).not.toContain('nope');

    const verifier = randomBytes(32).toString('base64url');
    const code = await codeFor('ola', 'password', verifier);
    const refused = await exchange(code, randomBytes(32).toString('base64url'));
    expect(refused.status).toBe(400);
    expect(refused.body['error']).toBe('invalid_grant');
  });

  it('refuses an unregistered redirect URI without redirecting to it', async () => {
    const res = await fetch(authorizeUrl('v'.repeat(43), { redirect_uri: 'http://127.0.0.1:9/elsewhere' }), { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('redirect_uri');
  });
});

describe('the dev identity provider process', () => {
  it('reads its environment, with dev defaults that match the proxy', () => {
    const defaults = idpOptionsFromEnv({});
    expect(defaults.port).toBe(4100);
    expect(defaults.clients[0]).toMatchObject({
      client_id: 'strangler-proxy',
      client_secret: DEV_CLIENT_SECRET,
      redirect_uris: expect.arrayContaining(['http://127.0.0.1:8080/_proxy/auth/oidc/callback']),
    });
    const custom = idpOptionsFromEnv({
      IDP_PORT: '0',
      IDP_CLIENT_ID: 'p',
      IDP_REDIRECT_URIS: 'http://localhost:3000/cb, http://127.0.0.1:3000/cb',
      IDP_ACCESS_TOKEN_TTL_SEC: '30',
    });
    expect(custom).toMatchObject({ port: 0, ttl: { accessTokenSec: 30 } });
    expect(custom.clients[0]!.redirect_uris).toEqual(['http://localhost:3000/cb', 'http://127.0.0.1:3000/cb']);
    expect(() => idpOptionsFromEnv({ IDP_PORT: 'x' })).toThrow(/IDP_PORT/);
    expect(() => idpOptionsFromEnv({ IDP_REDIRECT_URIS: '/relative' })).toThrow(/IDP_REDIRECT_URIS/);
    expect(() => idpOptionsFromEnv({ IDP_ISSUER_HOST: '0.0.0.0' })).toThrow(/IDP_ISSUER_HOST/);
  });

  it('starts from main.ts, serves discovery and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'legacy-stub/src/identity-provider/main.ts'], {
      env: { ...process.env, IDP_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const issuer = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /issuer (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const meta = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { issuer: string };
      expect(meta.issuer).toBe(issuer);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
