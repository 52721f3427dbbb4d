import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHmac, createPublicKey } from 'node:crypto';
import { startStack, type Stack } from '../test-support/stack.ts';
import { rawRequest, rawHandshake } from '../test-support/raw-http.ts';
import { createSoftAuthenticator } from '../proxy/src/identity/passkeys/passkey-soft-authenticator.ts';
import { createClient, type PasskeyTestApp } from '../proxy/src/identity/passkeys/passkey-test-app.ts';
import { registerPasskey, signIn } from '../proxy/src/identity/passkeys/passkey-flows.ts';
import { passkeySession } from '../test-support/passkey-session.ts';
import { createUserTokens, type UserTokens } from '../test-support/user-tokens.ts';

/**
 * The passkey transition through the whole proxy, at the HTTP level: a legacy-JWT user
 * registers a passkey, signs in with it, and the session is served on proxied and migrated
 * routes alike, with a minted bearer the browser never sees. Then the attacks that must fail.
 */
let stack: Stack;
let trusted: UserTokens;
const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

beforeAll(async () => {
  trusted = await createUserTokens('trusted-by-legacy');
  stack = await startStack({
    flags: { 'route.dashboard': { rollout: 100 } },
    legacy: { trustedKeys: [trusted.publicJwk] },
    env: { AUTH_RATE_LIMIT_PER_MIN: '120' }, // this file signs in more often than one user would
  });
});
afterAll(() => stack?.stop());

function passkeyClient() {
  const app = { base: `${stack.publicOrigin}/_proxy/auth`, origin: stack.publicOrigin } as PasskeyTestApp;
  return { client: createClient(app), soft: createSoftAuthenticator({ rpId: 'localhost', origin: stack.publicOrigin }) };
}

const sessionFor = (username: string) => passkeySession(stack, stack.legacy.issueToken(username));

const get = (path: string, headers: string[]) => rawRequest({ port: stack.proxyPort, path, headers: ['Host', `localhost:${stack.proxyPort}`, ...headers] });

describe('a cookie session is served on proxied and migrated routes', () => {
  it('proxied: the legacy API receives a minted bearer for the session user, never our cookie', async () => {
    const { cookie } = await sessionFor('ingrid');
    const profile = await get('/api/users/profile', ['Cookie', `${cookie}; theme=dark`]);
    expect(profile.status).toBe(200);
    expect(JSON.parse(profile.body.toString())).toMatchObject({ id: 'u-ingrid', firstName: 'Ingrid' });

    const echo = await get('/api/echo/who', ['Cookie', `${cookie}; theme=dark`]);
    const seen = JSON.parse(echo.body.toString()).rawHeaders as string[];
    const header = (name: string) => seen.filter((_, i) => i % 2 === 0 && seen[i]!.toLowerCase() === name).map((n) => seen[seen.indexOf(n) + 1]);
    expect(header('cookie')).toEqual(['theme=dark']);
    expect(header('authorization')[0]).toMatch(/^Bearer ey/);
    // The minted token never goes back to the browser.
    expect(echo.rawHeaders.join('\n')).not.toMatch(/ey[A-Za-z0-9_-]{20,}\./);
  });

  it('migrated: the dashboard runs for the session user', async () => {
    const { cookie } = await sessionFor('emma');
    const res = await get('/api/dashboard', ['Cookie', cookie]);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body.toString());
    expect(body.user).toMatchObject({ displayName: expect.stringMatching(/^Emma /), role: 'Student' });
    expect(body.generatedAt).toBeUndefined();
  });

  it('signing out ends the session; the old cookie is then an expired session, not a downgrade to the bearer', async () => {
    const { client, cookie } = await sessionFor('ola');
    expect((await client.request('POST', '/sign-out')).status).toBe(204);
    const replay = await get('/api/users/profile', ['Cookie', cookie, 'Authorization', `Bearer ${stack.legacy.issueToken('ola')}`, 'Accept', 'application/json']);
    expect(replay.status).toBe(401);
    expect(replay.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(replay.body.toString())).toMatchObject({ type: 'urn:strangler-proxy:session-expired', signInUrl: '/_proxy/auth/sign-in' });
    // A page navigation is sent to the sign-in page instead.
    const nav = await get('/', ['Cookie', cookie, 'Sec-Fetch-Mode', 'navigate', 'Accept', 'text/html']);
    expect(nav.status).toBe(303);
    expect(nav.headers.location).toBe('/_proxy/auth/sign-in?returnUrl=%2F');
  });
});

describe('attacks refused', () => {
  const claims = { iss: 'https://legacy.education.example', aud: 'education-platform', sub: 'u-ingrid', role: 'TEACHER', exp: Math.floor(Date.now() / 1000) + 3600 };
  const unsigned = (header: object, payload: object) => `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;

  async function dashboardWith(token: string) {
    return get('/api/dashboard', ['Authorization', `Bearer ${token}`]);
  }

  it('forged legacy JWTs never reach a migrated handler', async () => {
    const jwks = JSON.parse((await rawRequest({ port: stack.legacy.port, path: '/.well-known/jwks.json' })).body.toString());
    const legacyKey = jwks.keys[0];
    const publicPem = createPublicKey({ key: legacyKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    const hs256 = (() => {
      const head = unsigned({ alg: 'HS256', typ: 'JWT', kid: legacyKey.kid }, claims);
      return `${head}.${createHmac('sha256', publicPem).update(head).digest('base64url')}`;
    })();
    const strangers = await createUserTokens('unknown-kid'); // signed by a key nobody trusts
    const forged: Record<string, string> = {
      'alg none': `${unsigned({ alg: 'none', typ: 'JWT' }, claims)}.`,
      'HS256 signed with the public key': hs256,
      'unknown kid': await strangers.tokenFor('u-ingrid', 'TEACHER'),
      expired: await trusted.tokenFor('u-ingrid', 'TEACHER', { expInSec: -3600 }),
      'wrong issuer': await trusted.tokenFor('u-ingrid', 'TEACHER', { iss: 'https://evil.example' }),
      'wrong audience': await trusted.tokenFor('u-ingrid', 'TEACHER', { aud: 'another-app' }),
    };
    const migratedBefore = stack.logs.filter((l) => l.route === 'dashboard' && l.servedBy === 'migrated').length;
    for (const [name, token] of Object.entries(forged)) {
      const res = await dashboardWith(token);
      // Not verified -> not a caller -> the legacy side, which refuses it too; never the migrated handler.
      expect(res.status, name).toBe(401);
    }
    expect(stack.logs.filter((l) => l.route === 'dashboard' && l.servedBy === 'migrated').length).toBe(migratedBefore);
    // The control: the same key and claims done right is a verified caller, served by the migrated route.
    const good = await dashboardWith(await trusted.tokenFor('u-ingrid', 'TEACHER'));
    expect(good.status).toBe(200);
    expect(JSON.parse(good.body.toString()).generatedAt).toBeUndefined();
  });

  it('a tampered session cookie is an expired session', async () => {
    const { cookie } = await sessionFor('kari');
    const tampered = cookie.replace(/sp_session=s%3A([^.]+)\./, (_m, sid: string) => `sp_session=s%3A${sid.slice(0, -2)}xx.`);
    expect(tampered).not.toBe(cookie);
    const res = await get('/api/users/profile', ['Cookie', tampered]);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body.toString()).type).toBe('urn:strangler-proxy:session-expired');
  });

  it('a cross-origin write with a session cookie is refused; a same-origin one goes through', async () => {
    const { cookie } = await sessionFor('lars');
    const body = JSON.stringify({ courseId: 'c-202' });
    const post = (origin: string) =>
      rawRequest({
        port: stack.proxyPort,
        method: 'POST',
        path: '/api/enrollments',
        headers: ['Host', `localhost:${stack.proxyPort}`, 'Cookie', cookie, 'Origin', origin, 'Content-Type', 'application/json', 'Content-Length', String(body.length)],
        body,
      });
    const evil = await post('https://evil.example');
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body.toString()).type).toBe('urn:strangler-proxy:csrf');
    const ours = await post(stack.publicOrigin);
    expect(ours.status).toBe(201);
  });

  it('the sign-in page never sends anyone off-site after sign-in', async () => {
    const { client, soft } = passkeyClient();
    const reg = await registerPasskey(client, soft, stack.legacy.issueToken('nina'));
    client.jar.clear();
    for (const evil of ['//evil.example', 'https://evil.example/', '/\\evil.example']) {
      const { verify } = await signIn(client, soft, reg.passkey, { returnUrl: evil });
      expect(verify.body.returnUrl).toBe('/');
    }
  });

  it('logs hold no token, cookie, code or challenge', () => {
    const text = stack.logText();
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT
    expect(text).not.toMatch(/sp_session=|s%3A/); // no session cookie
    expect(text).not.toMatch(/"challenge":"[A-Za-z0-9_-]{16,}"/);
  });
});

describe('WebSocket handshakes meet identity as requests do', () => {
  const handshake = (cookie: string, origin: string, correlationId: string) =>
    rawHandshake({ port: stack.proxyPort, path: '/ws/echo', headers: ['Host', `localhost:${stack.proxyPort}`, 'Cookie', cookie, 'Origin', origin, 'X-Correlation-Id', correlationId] });
  const legacySaw = (correlationId: string) => stack.legacy.received.find((r) => r.rawHeaders.includes(correlationId));
  let cookie: string; // one sign-in for all three: sign-ins are rate-limited per network
  beforeAll(async () => {
    cookie = (await sessionFor('ingrid')).cookie;
  });

  it('a session opens one with a minted bearer; the legacy API never sees our cookie', async () => {
    const opened = await handshake(`${cookie}; theme=dark`, stack.publicOrigin, 'ws-session-1');
    expect(opened.status).toBe(101);
    const seen = legacySaw('ws-session-1')!.rawHeaders;
    const field = (name: string) => seen.filter((_, i) => i % 2 === 1 && seen[i - 1]!.toLowerCase() === name);
    expect(field('authorization')[0]).toMatch(/^Bearer ey/);
    expect(field('cookie')).toEqual(['theme=dark']);
  });

  it('a session handshake from another site is refused (cross-site WebSocket hijacking)', async () => {
    const refused = await handshake(cookie, 'https://evil.example', 'ws-session-evil');
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ type: 'urn:strangler-proxy:csrf', correlationId: 'ws-session-evil' });
    expect(legacySaw('ws-session-evil')).toBeUndefined();
  });

  it('a dead session is refused as expired, not passed on', async () => {
    const tampered = cookie.replace(/sp_session=s%3A([^.]+)\./, (_m, sid: string) => `sp_session=s%3A${sid.slice(0, -2)}xx.`);
    const refused = await handshake(tampered, stack.publicOrigin, 'ws-session-dead');
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).type).toBe('urn:strangler-proxy:session-expired');
    expect(legacySaw('ws-session-dead')).toBeUndefined();
  });
});

describe('after the dual-auth window closes', () => {
  let closed: Stack;
  beforeAll(async () => {
    closed = await startStack({ env: { AUTH_CUTOFF: '2020-01-01T00:00:00Z' } });
  });
  afterAll(() => closed?.stop());

  it('legacy JWTs get 401 with the sign-in hint on API calls, and a redirect on page loads', async () => {
    const token = closed.legacy.issueToken('ingrid');
    const api = await rawRequest({ port: closed.proxyPort, path: '/api/users/profile', headers: ['Authorization', `Bearer ${token}`, 'Accept', 'application/json'] });
    expect(api.status).toBe(401);
    expect(api.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token".*\/_proxy\/auth\/sign-in/);
    expect(JSON.parse(api.body.toString())).toMatchObject({ type: 'urn:strangler-proxy:legacy-token-retired', signInUrl: '/_proxy/auth/sign-in' });
    const page = await rawRequest({ port: closed.proxyPort, path: '/courses', headers: ['Authorization', `Bearer ${token}`, 'Sec-Fetch-Mode', 'navigate'] });
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/_proxy/auth/sign-in?returnUrl=%2Fcourses');
  });

  it('a legacy JWT cannot open a WebSocket either', async () => {
    const refused = await rawHandshake({ port: closed.proxyPort, path: '/ws/echo', headers: ['Authorization', `Bearer ${closed.legacy.issueToken('ingrid')}`] });
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).type).toBe('urn:strangler-proxy:legacy-token-retired');
  });

  it('other schemes still pass through untouched (the legacy API decides)', async () => {
    const res = await rawRequest({ port: closed.proxyPort, path: '/api/echo/basic', headers: ['Authorization', 'Basic aW5ncmlkOnBhc3N3b3Jk'] });
    expect(res.status).toBe(200);
  });
});
