import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startConduitStub, type ConduitStub } from '../legacy-stub/src/conduit/server.ts';
import { startProxy, type ProxyInFront } from '../test-support/stack.ts';
import { passkeySessionWith } from '../test-support/passkey-session-with.ts';
import type { StatusSnapshot } from '../proxy/src/status/snapshot.ts';
import { until } from '../test-support/until.ts';

/**
 * The whole pipeline in front of the second legacy profile (legacy-stub/src/conduit/): HS256
 * tokens signed with a shared secret in `Authorization: Token <jwt>`, no iss/aud, the user id
 * in `id`, no /health, slugs and usernames in paths. Nothing in proxy/ may assume our default
 * stand-in's conventions; this suite is where that shows.
 */
const STATUS_TOKEN = 'conduit-profile-status-token-0123456789ab';
let conduit: ConduitStub;
let proxy: ProxyInFront;

beforeAll(async () => {
  conduit = await startConduitStub({ quiet: true });
  proxy = await startProxy({
    legacyUrl: conduit.url,
    flags: { 'route.profile-page': { rollout: 100 }, 'route.password-check': { rollout: 100 } },
    env: {
      STATUS_TOKEN,
      MIGRATED_ROUTES_DIR: fileURLToPath(new URL('./fixtures/conduit-routes', import.meta.url)),
      LEGACY_TOKEN_SCHEMES: 'Token',
      LEGACY_JWT_SECRET: conduit.secret,
      LEGACY_JWT_ALGORITHMS: 'HS256',
      LEGACY_JWT_ISSUER: 'none',
      LEGACY_JWT_AUDIENCE: 'none',
      LEGACY_USER_ID_CLAIM: 'id',
      LEGACY_USERNAME_CLAIM: 'username',
      LOG_LEVEL: 'silent',
    },
  });
});
afterAll(async () => {
  await proxy?.stop();
  await conduit?.close();
});

const through = (path: string, init: RequestInit = {}) => fetch(`${proxy.proxyUrl}${path}`, init);
const direct = (path: string, init: RequestInit = {}) => fetch(`${conduit.url}${path}`, init);
const token = (username: string) => ({ authorization: `Token ${conduit.issueToken(username)}` });
const status = async (path: string) => (await through(`/_proxy/status${path}`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } })).json();

describe('pass-through is unchanged', () => {
  for (const path of ['/api/articles?limit=3', '/api/tags', '/api/articles/how-to-train-your-dragon', '/api/articles/no-such-article', '/health']) {
    it(`GET ${path}: the same status and bytes as straight from the API`, async () => {
      const [a, b] = await Promise.all([direct(path), through(path)]);
      expect(b.status).toBe(a.status);
      expect(await b.text()).toBe(await a.text());
    });
  }

  it("the API's own login answers through the proxy, and its token works through it", async () => {
    const body = JSON.stringify({ user: { email: conduit.users.find((u) => u.username === 'jake')!.email, password: 'password' } });
    const login = await through('/api/users/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const user = ((await login.json()) as { user?: { token?: string } }).user;
    if (login.status !== 200) throw new Error(`login answered ${login.status}: seed emails differ? ${JSON.stringify(user)}`);
    const me = await through('/api/user', { headers: { authorization: `Token ${user!.token}` } });
    expect(me.status).toBe(200);
  });
});

describe('identity follows the configured model', () => {
  it('a migrated route serves a caller signed in with the API’s own token', async () => {
    const res = await through('/api/profiles/jake', { headers: token('ingrid') });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { profile: { username: string; latestArticles: unknown[] } };
    expect(body.profile.username).toBe('jake');
    expect(body.profile.latestArticles.length).toBeGreaterThan(0);
    // Its legacy calls carried the caller's own token, in the API's scheme.
    const calls = conduit.received.filter((r) => r.url.startsWith('/api/articles?author=jake'));
    expect(calls.at(-1)!.rawHeaders).toContain(token('ingrid').authorization);
  });

  it('without a token the migrated route asks for one; a token it cannot verify is the legacy API’s business before the cutoff', async () => {
    expect((await through('/api/profiles/jake')).status).toBe(401);
    expect((await through('/api/tags', { headers: { authorization: 'Token not-a-jwt' } })).status).toBe((await direct('/api/tags', { headers: { authorization: 'Token not-a-jwt' } })).status);
  });

  it('a session caller reaches the API with a minted token it accepts', async () => {
    const cookie = await passkeySessionWith(proxy, token('ola'));
    const res = await through('/api/user', { headers: { cookie, accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { username: string } }).user.username).toBe('ola');
    const seen = conduit.received.filter((r) => r.url === '/api/user').at(-1)!.rawHeaders;
    const auth = seen.filter((_, i) => i > 0 && seen[i - 1]!.toLowerCase() === 'authorization');
    expect(auth).toHaveLength(1);
    expect(auth[0]).toMatch(/^Token ey/);
    expect(seen.join('\n')).not.toMatch(/sp_session/);
  });
});

describe("a migrated write relaying the API's refusal", () => {
  const check = (password: string, correlationId: string) =>
    through('/api/user/password-check', {
      method: 'POST',
      headers: { ...token('jake'), 'content-type': 'application/json', 'x-correlation-id': correlationId },
      body: JSON.stringify({ user: { password } }),
    });

  it('a 422 {errors: {field: [messages]}} arrives as problem+json, the field errors in `errors`', async () => {
    const res = await check('', 'conduit-refusal-1');
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('x-correlation-id')).toBe('conduit-refusal-1');
    expect(await res.json()).toEqual({
      type: 'urn:strangler-proxy:legacy-rejected',
      title: 'Unprocessable Entity',
      status: 422,
      detail: "password can't be blank",
      errors: { password: ["can't be blank"] },
      correlationId: 'conduit-refusal-1',
    });
  });

  it('a field name with spaces is carried as it came; the right password passes', async () => {
    const wrong = await check('not-the-password', 'conduit-refusal-2');
    expect(wrong.status).toBe(422);
    expect(await wrong.json()).toMatchObject({ detail: 'email or password is invalid', errors: { 'email or password': ['is invalid'] } });
    expect((await check('password', 'conduit-refusal-3')).status).toBe(204);
  });
});

describe('health and accounting', () => {
  it('is ready though the API has no /health (its 404 says it is there)', async () => {
    // Readiness never waits on the legacy API: its body carries the last probe, started on demand.
    let legacy: { reachable: boolean | null } = { reachable: null };
    await until(async () => {
      const ready = await through('/_proxy/health/ready');
      expect(ready.status).toBe(200);
      legacy = ((await ready.json()) as { legacy: { reachable: boolean | null } }).legacy;
      return legacy.reachable !== null;
    });
    expect(legacy.reachable).toBe(true);
  });

  it('a refusal is recorded as the proxy’s', async () => {
    const cookie = await passkeySessionWith(proxy, token('jake'));
    const csrf = await through('/api/articles/how-to-train-your-dragon/favorite', {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example', 'x-correlation-id': 'conduit-csrf-1' },
    });
    expect(csrf.status).toBe(403);
    await proxy.proxy.traffic.flush();
    expect(await status('/requests/conduit-csrf-1')).toMatchObject({ servedBy: 'proxy', refusal: 'csrf', side: 'refused' });
    expect(conduit.received.some((r) => r.url.endsWith('/favorite'))).toBe(false);
  });

  it('after requests for dozens of distinct slugs and usernames, the unmigrated list has one row per endpoint', async () => {
    const slugs = [...conduit.articles.map((a) => a.slug), ...Array.from({ length: 25 }, (_, i) => `a-title-nobody-wrote-${i}-${(i * 7919).toString(16)}`)];
    const users = Array.from({ length: 30 }, (_, i) => ['jake', 'ingrid', 'ola'][i % 3] + (i < 3 ? '' : `-${i}`));
    for (const slug of slugs) {
      await (await through(`/api/articles/${slug}`)).arrayBuffer();
      await (await through(`/api/articles/${slug}/comments`)).arrayBuffer();
    }
    for (const user of users) await (await through(`/api/profiles/${user}/follow`, { method: 'DELETE' })).arrayBuffer();
    await proxy.proxy.traffic.flush();
    const snapshot = (await status('/api')) as StatusSnapshot;
    const rows = snapshot.legacy.unmigrated.endpoints.map((e) => `${e.method} ${e.path}`);
    const under = (prefix: string, method = 'GET') => rows.filter((r) => r.startsWith(`${method} ${prefix}`));
    expect(under('/api/articles/').filter((r) => !r.endsWith('/comments'))).toHaveLength(1);
    expect(under('/api/articles/').filter((r) => r.endsWith('/comments'))).toHaveLength(1);
    expect(under('/api/profiles/', 'DELETE')).toHaveLength(1);
    expect(rows.length).toBeLessThan(12);
  });
});
