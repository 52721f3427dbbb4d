import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHs256LegacyApi, type EchoAnswer, type Hs256LegacyApi } from '../test-support/hs256-legacy-api.ts';
import { passkeySessionWith } from '../test-support/passkey-session-with.ts';
import { startProxy, type ProxyInFront } from '../test-support/stack.ts';
import { startWhoAmIServer, type WhoAmIServer } from '../test-support/whoami-server.ts';
import type { StatusSnapshot } from '../proxy/src/status/snapshot.ts';

/**
 * The whole proxy in front of legacy APIs that are not our stand-in: the legacy credential is
 * configuration. An HS256 API with `Authorization: Token <jwt>` and the user id in `id`: its
 * callers are verified (a migrated route serves them), a session caller reaches it with a
 * minted token it accepts, and the dual-auth window counts what verified. An opaque-token API
 * with a "who am I" endpoint: after the cutoff, what it vouches for passes, what it refuses is
 * 401, and when it cannot answer, 503 with Retry-After.
 */

const STATUS_TOKEN = 'legacy-token-e2e-status-token-0123456789';

describe('an HS256 legacy API with `Authorization: Token <jwt>`', () => {
  let legacy: Hs256LegacyApi;
  let proxy: ProxyInFront;

  beforeAll(async () => {
    legacy = await startHs256LegacyApi('conduit-secret-that-is-at-least-32-bytes-long');
    proxy = await startProxy({
      legacyUrl: legacy.url,
      flags: { 'route.dashboard': { rollout: 100 }, 'route.course-detail': {}, 'route.enrollments': {} },
      env: {
        STATUS_TOKEN,
        LEGACY_TOKEN_SCHEMES: 'Token',
        LEGACY_JWT_SECRET: legacy.secret,
        LEGACY_JWT_ISSUER: 'none',
        LEGACY_JWT_AUDIENCE: 'none',
        LEGACY_USER_ID_CLAIM: 'id',
        LEGACY_USERNAME_CLAIM: 'username',
      },
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    await legacy?.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${proxy.proxyUrl}${path}`, { headers: { accept: 'application/json', ...headers } });

  it("verifies the API's own token: the migrated dashboard serves its caller, calling the API with that same token", async () => {
    const token = legacy.issueToken(42, 'jake');
    const res = await get('/api/dashboard', { authorization: `Token ${token}`, 'x-correlation-id': 'hs256-dashboard' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: { displayName: 'jake Conduit', role: 'Teacher' }, notifications: { count: 3 }, partialFailures: [] });
    const calls = legacy.requests.filter((r) => r.headers['x-correlation-id'] === 'hs256-dashboard');
    expect(calls.map((r) => r.url)).toContain('/api/users/42/profile');
    for (const call of calls) expect(call.headers.authorization).toBe(`Token ${token}`);
  });

  it('refuses the dashboard to a token it cannot verify, and to a Bearer token (not where this API sends it)', async () => {
    const forged = jwt.sign({ id: 42, username: 'jake' }, 'not-the-secret', { algorithm: 'HS256', expiresIn: '1h' });
    for (const authorization of [`Token ${forged}`, 'Token garbage', `Bearer ${legacy.issueToken(42, 'jake')}`]) {
      const res = await get('/api/dashboard', { authorization });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('passes a caller\'s own token through unchanged', async () => {
    const token = legacy.issueToken(7, 'ola');
    const echo = (await (await get('/api/echo/articles/how-to-train-your-dragon', { authorization: `Token ${token}` })).json()) as EchoAnswer;
    expect(echo).toMatchObject({ authorization: `Token ${token}`, user: { id: 7, username: 'ola' } });
  });

  it('sends a session caller to the API with a minted HS256 token in the `Token` scheme, which the API accepts as its own', async () => {
    const session = await passkeySessionWith(proxy, { authorization: `Token ${legacy.issueToken(42, 'jake')}` });
    const echo = (await (await get('/api/echo/user', { cookie: `theme=dark; ${session}` })).json()) as EchoAnswer;
    expect(echo.authorization).toMatch(/^Token ey/);
    // The API checked it with its secret (HS256 only) and found its user, id a number as it issues them.
    expect(echo.user).toMatchObject({ id: 42, username: 'jake' });
    expect(jwt.decode(echo.authorization!.slice('Token '.length), { complete: true })!.header).toMatchObject({ alg: 'HS256' });
    expect(echo.cookie).toBe('theme=dark'); // the proxy's own cookie never leaves
    // And the migrated route serves the session caller, calling the API with the minted token.
    const dashboard = await get('/api/dashboard', { cookie: session });
    expect(dashboard.status).toBe(200);
    expect(await dashboard.json()).toMatchObject({ user: { displayName: 'jake Conduit' } });
    // Nothing to publish for an HMAC secret.
    expect(await (await fetch(`${proxy.proxyUrl}/_proxy/.well-known/jwks.json`)).json()).toEqual({ keys: [] });
  });

  it('counts the dual-auth window by what verified, not by the scheme', async () => {
    const before = await authToday();
    const token = legacy.issueToken(7, 'ola');
    for (let i = 0; i < 3; i++) await (await get('/api/echo/x', { authorization: `Token ${token}` })).arrayBuffer();
    for (let i = 0; i < 2; i++) await (await get('/api/echo/x', { authorization: 'Token garbage' })).arrayBuffer();
    await (await get('/api/echo/x', { authorization: 'Bearer garbage' })).arrayBuffer(); // not this API's scheme: no credential of ours
    await (await get('/api/echo/x')).arrayBuffer();
    const after = await authToday();
    expect({
      legacyJwt: after.legacyJwt - before.legacyJwt,
      unverified: after.unverified - before.unverified,
      other: after.other - before.other,
      session: after.session - before.session,
    }).toEqual({ legacyJwt: 3, unverified: 2, other: 2, session: 0 });
  });

  async function authToday() {
    const res = await fetch(`${proxy.proxyUrl}/_proxy/status/api`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
    expect(res.status).toBe(200);
    const day = ((await res.json()) as StatusSnapshot).legacy.authWindow.days[0];
    return day ?? { legacyJwt: 0, unverified: 0, other: 0, session: 0 };
  }
});

describe('an opaque-token legacy API with a "who am I" endpoint, after the cutoff', () => {
  let legacy: WhoAmIServer;
  let proxy: ProxyInFront;

  beforeAll(async () => {
    legacy = await startWhoAmIServer();
    proxy = await startProxy({
      legacyUrl: `http://127.0.0.1:${legacy.port}`,
      env: {
        AUTH_CUTOFF: '2000-01-01T00:00:00Z',
        LEGACY_TOKEN_SCHEMES: 'Token',
        LEGACY_INTROSPECTION_URL: '/api/user',
        LEGACY_USER_ID_CLAIM: 'user.username',
      },
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    await legacy?.stop();
  });

  const get = (token: string) => fetch(`${proxy.proxyUrl}/api/articles`, { headers: { accept: 'application/json', authorization: `Token ${token}` } });

  it('refuses what the endpoint refuses (401), and what it cannot answer for now (503, Retry-After); never forwards either', async () => {
    legacy.answers.set('down', { status: 503 });
    const rejected = await get('unknown-token');
    expect(rejected.status).toBe(401);
    expect(await rejected.json()).toMatchObject({ type: 'urn:strangler-proxy:legacy-token-retired' });
    const unverifiable = await get('down');
    expect(unverifiable.status).toBe(503);
    expect(unverifiable.headers.get('retry-after')).toBe('5');
    expect(await unverifiable.json()).toMatchObject({ type: 'urn:strangler-proxy:token-unverifiable', correlationId: expect.any(String) });
    expect(legacy.calls.map((c) => c.url)).not.toContain('/api/articles'); // only the who-am-I calls reached it
  });

  it('checks a token the endpoint vouches for (and, the window being closed, refuses it as retired), asking once per token', async () => {
    legacy.answers.set('valid', { status: 200, body: { user: { username: 'jake' } } });
    for (let i = 0; i < 3; i++) expect((await get('valid')).status).toBe(401);
    expect(legacy.callsFor('valid')).toBe(1);
  });
});
