import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisHandle } from '../../../../test-support/redis-server.ts';
import { createTestBrowser, CLIENT_ID, PREFIX, startOidcTestEnv, type OidcTestEnv, type TestBrowser } from './oidc-test-env.ts';
import type { OidcTokens } from './oidc-tokens.ts';

let env: OidcTestEnv;
// Access tokens live two minutes at the provider: fresh right after sign-in, due for a refresh
// once the router's clock is moved past the last minute.
beforeAll(async () => {
  env = await startOidcTestEnv({ ttl: { accessTokenSec: 120 } });
});
afterAll(async () => {
  await env?.stop();
});

const clientAuth = `Basic ${Buffer.from(`${CLIENT_ID}:test-only-client-secret`).toString('base64')}`;

async function signIn(username: string, at: OidcTestEnv = env): Promise<{ b: TestBrowser; sid: string }> {
  const b = createTestBrowser();
  const isCallback = (url: string) => url.startsWith(at.redirectUri);
  let page = await b.go(`${at.base}${PREFIX}/auth/oidc/start`, isCallback);
  if (!page.location) page = await b.submit(page, { username, password: 'password' }, isCallback);
  expect((await b.fetch(page.location!)).status).toBe(303);
  const cookie = b.cookie('127.0.0.1', 'sp_session')!;
  return { b, sid: decodeURIComponent(cookie).slice(2).split('.')[0]! };
}

const stored = (sid: string, at: OidcTestEnv = env) => at.stores.get('oidc-tokens')!.get<OidcTokens>(`tokens:${sid}`);
const userinfo = (accessToken: string) => fetch(`${env.op.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
const refreshAtProvider = (refreshToken: string, at: OidcTestEnv = env) =>
  fetch(`${at.op.issuer}/token`, {
    method: 'POST',
    headers: { authorization: clientAuth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });

describe("the provider's tokens, kept server-side per session", () => {
  it('hands out the stored tokens while the access token has more than a minute left', async () => {
    const { sid } = await signIn('ingrid');
    const first = (await stored(sid))!;
    expect(first.refreshToken).toBeTruthy();
    expect(first.expiresAt! - Date.now()).toBeGreaterThan(100_000);
    expect(await env.router.getFreshTokens(sid)).toEqual(first);
  });

  it('refreshes within 60 s of expiry, keeps the rotated refresh token, and the new access token works', async () => {
    const { sid } = await signIn('lars');
    const before = (await stored(sid))!;
    env.advance(61_000);
    try {
      const after = (await env.router.getFreshTokens(sid))!;
      expect(after.accessToken).not.toBe(before.accessToken);
      expect(after.refreshToken).toBeTruthy();
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect(await stored(sid)).toEqual(after);
      expect(((await (await userinfo(after.accessToken)).json()) as { legacy_user_id: string }).legacy_user_id).toBe('u-lars');
      // Rotation: the provider no longer takes the old refresh token.
      expect((await refreshAtProvider(before.refreshToken!)).status).toBe(400);
    } finally {
      env.advance(-61_000);
    }
  });

  it('refreshes once for concurrent callers (a rotated refresh token cannot be used twice)', async () => {
    const { sid } = await signIn('kari');
    env.advance(61_000);
    try {
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => env.router.getFreshTokens(sid)));
      expect(a).not.toBeNull();
      expect(b).toEqual(a);
      expect(c).toEqual(a);
      expect((await userinfo(a!.accessToken)).status).toBe(200);
    } finally {
      env.advance(-61_000);
    }
  });

  it('forgets the tokens when the provider has ended the grant', async () => {
    const { sid } = await signIn('emma');
    const tokens = (await stored(sid))!;
    const revoked = await fetch(`${env.op.issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: clientAuth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refreshToken!, token_type_hint: 'refresh_token' }),
    });
    expect(revoked.status).toBe(200);
    env.advance(61_000);
    try {
      expect(await env.router.getFreshTokens(sid)).toBeNull();
      expect(await stored(sid)).toBeUndefined();
    } finally {
      env.advance(-61_000);
    }
    expect(env.logText()).toContain('"oauthError":"invalid_grant"');
    expect(env.logText()).not.toContain(tokens.refreshToken!);
  });

  it('hands out nothing for a session that has been revoked', async () => {
    const { sid } = await signIn('nina');
    expect(await env.router.getFreshTokens(sid)).not.toBeNull();
    await env.sessions.revokeUser('u-nina');
    expect(await env.router.getFreshTokens(sid)).toBeNull();
    expect(await stored(sid)).toBeUndefined();
  });

  it('has nothing for a session that did not sign in through the organisation', async () => {
    expect(await env.router.getFreshTokens('no-such-session')).toBeNull();
  });
});

describe('two proxy instances refreshing one session’s tokens through one Redis', () => {
  let redis: RedisHandle;
  let shared: OidcTestEnv;
  beforeAll(async () => {
    redis = await startRedis();
    shared = await startOidcTestEnv({ ttl: { accessTokenSec: 120 }, redisUrl: redis.url });
  });
  afterAll(async () => {
    await shared?.stop();
    await redis?.stop();
  });

  it('refreshes once: the other instance waits for it and takes the rotated tokens from the store', async () => {
    const { sid } = await signIn('ingrid', shared);
    const other = await shared.anotherInstance();
    const before = (await stored(sid, shared))!;
    shared.advance(61_000);
    try {
      // Both see tokens due for a refresh at the same moment; with a rotated refresh token, a
      // second refresh would be refused and the provider would end the grant.
      const [here, there] = await Promise.all([shared.router.getFreshTokens(sid), other.getFreshTokens(sid)]);
      expect(here).not.toBeNull();
      expect(here!.accessToken).not.toBe(before.accessToken);
      expect(there).toEqual(here);
      expect(await stored(sid, shared)).toEqual(here);
      // The grant lives on: the rotated refresh token is the one the provider takes.
      expect((await refreshAtProvider(here!.refreshToken!, shared)).status).toBe(200);
    } finally {
      shared.advance(-61_000);
    }
  });
});
