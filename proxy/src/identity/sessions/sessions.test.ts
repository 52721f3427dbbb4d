import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Keyv } from 'keyv';
import type KeyvRedis from '@keyv/redis';
import { startRedis, type RedisHandle } from '../../../../test-support/redis-server.ts';
import { createCutoff } from '../cutoff.ts';
import { call, cookiePair, startTestApp, type TestApp } from '../identity-test-app.ts';
import { closeKeyv, createKeyv } from '../../storage/keyv-store.ts';
import type { LegacyJwtVerifier } from '../legacy-jwt/legacy-jwt.ts';
import { createCallerResolver } from '../resolve-caller.ts';
import { createSessions, type SessionsOptions } from './sessions.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const HOUR = 3_600_000;
const noJwt: LegacyJwtVerifier = { verify: async () => ({ ok: false, reason: 'malformed' }) };

const apps: TestApp[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(apps.splice(0).map((app) => app.stop()));
});

async function setUp(opts: Partial<SessionsOptions> = {}) {
  const sessions = createSessions({ keyv: createKeyv({ namespace: 'sess' }), secret, secure: false, ...opts });
  const app = await startTestApp(sessions, createCallerResolver({ sessions, jwt: noJwt, cutoff: createCutoff(undefined) }));
  apps.push(app);
  const name = sessions.cookieName;
  return {
    sessions,
    base: app.base,
    async login(user: string, cookie?: string, cred?: string) {
      const query = `user=${user}${cred ? `&cred=${cred}` : ''}`;
      const res = await call(app.base, `/auth/login?${query}`, { method: 'POST', headers: cookie ? { cookie } : {} });
      expect(res.status).toBe(200);
      return { res, cookie: cookiePair(res.setCookie, name) };
    },
    whoami: (cookie?: string) => call(app.base, '/whoami', { headers: cookie ? { cookie } : {} }),
  };
}

const sidOf = (cookie: string) => decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.')[0]!;

describe('sessions', () => {
  it('sets no cookie before sign-in', async () => {
    const { base, whoami } = await setUp();
    expect((await call(base, '/auth/ping')).setCookie).toEqual([]);
    const anonymous = await whoami();
    expect(anonymous.body).toEqual({ kind: 'anonymous' });
    expect(anonymous.setCookie).toEqual([]);
  });

  it('signs in with an HttpOnly, SameSite=Lax, Path=/ cookie, and the session resolves to the user', async () => {
    const { login, whoami } = await setUp();
    const { res, cookie } = await login('alice');
    const line = res.setCookie.find((c) => c.startsWith('sp_session='))!;
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
    expect(line).toMatch(/; Path=\//);
    expect(line).not.toMatch(/; Secure/);
    expect((await whoami(cookie)).body).toEqual({
      kind: 'session',
      caller: { userId: 'alice', username: 'User alice', roles: ['teacher'], via: 'session' },
    });
  });

  it('marks the cookie Secure and __Host- when secure, even behind plain-http TLS termination', async () => {
    const { login, whoami } = await setUp({ secure: true });
    const { res, cookie } = await login('alice');
    const line = res.setCookie.find((c) => c.startsWith('__Host-sp_session='))!;
    expect(line).toMatch(/; Secure/);
    expect(line).toMatch(/; HttpOnly/);
    expect((await whoami(cookie)).body).toMatchObject({ kind: 'session', caller: { userId: 'alice' } });
  });

  it('gives a new session id at sign-in, and the previous one stops working (fixation)', async () => {
    const { login, whoami } = await setUp();
    const first = await login('alice');
    const second = await login('bob', first.cookie);
    expect(sidOf(second.cookie)).not.toBe(sidOf(first.cookie));
    expect((await whoami(first.cookie)).body).toEqual({ kind: 'expired-session' });
    expect((await whoami(second.cookie)).body).toMatchObject({ kind: 'session', caller: { userId: 'bob' } });
  });

  it('renews the idle lifetime on every request (sliding) and expires after it passes idle', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2026-01-05T08:00:00Z'));
    const { login, whoami } = await setUp();
    const { cookie } = await login('alice');

    vi.setSystemTime(Date.parse('2026-01-05T09:00:00Z'));
    const renewed = await whoami(cookie);
    expect(renewed.body).toMatchObject({ kind: 'session' });
    expect(renewed.setCookie[0]).toMatch(/Expires=Mon, 05 Jan 2026 17:00:00 GMT/);

    vi.setSystemTime(Date.parse('2026-01-05T16:30:00Z')); // past the first 8 h, within 8 h of the last request
    expect((await whoami(cookie)).body).toMatchObject({ kind: 'session' });

    vi.setSystemTime(Date.parse('2026-01-06T00:31:00Z')); // 8 h 1 min idle
    expect((await whoami(cookie)).body).toEqual({ kind: 'expired-session' });
  });

  it('ends a session at its absolute cap however active it is', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.parse('2026-01-05T08:00:00Z');
    vi.setSystemTime(start);
    const { login, whoami } = await setUp({ slidingMs: 8 * HOUR, absoluteMs: 24 * HOUR });
    const { cookie } = await login('alice');
    for (const hours of [7, 14, 21]) {
      vi.setSystemTime(start + hours * HOUR);
      expect((await whoami(cookie)).body).toMatchObject({ kind: 'session' });
    }
    vi.setSystemTime(start + 24 * HOUR + 60_000);
    expect((await whoami(cookie)).body).toEqual({ kind: 'expired-session' });
  });

  it('treats a tampered or unsigned cookie as an expired session', async () => {
    const { login, whoami } = await setUp();
    const { cookie } = await login('alice');
    const flipped = cookie.slice(0, -1) + (cookie.endsWith('A') ? 'B' : 'A');
    expect((await whoami(flipped)).body).toEqual({ kind: 'expired-session' });
    expect((await whoami(`sp_session=${sidOf(cookie)}`)).body).toEqual({ kind: 'expired-session' });
  });

  it('signs out: the cookie is cleared and replaying it gives an expired session', async () => {
    const { base, login, whoami } = await setUp();
    const { cookie } = await login('alice');
    const out = await call(base, '/auth/logout', { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(204);
    expect(out.setCookie.some((c) => /^sp_session=;.*Expires=Thu, 01 Jan 1970/.test(c))).toBe(true);
    expect((await whoami(cookie)).body).toEqual({ kind: 'expired-session' });
  });

  it('revokes every session of one user, and only theirs', async () => {
    const { sessions, login, whoami } = await setUp();
    const laptop = await login('alice');
    const phone = await login('alice');
    const bob = await login('bob');
    expect(await sessions.revokeUser('alice')).toBe(2);
    expect((await whoami(laptop.cookie)).body).toEqual({ kind: 'expired-session' });
    expect((await whoami(phone.cookie)).body).toEqual({ kind: 'expired-session' });
    expect((await whoami(bob.cookie)).body).toMatchObject({ kind: 'session', caller: { userId: 'bob' } });
    expect(await sessions.revokeUser('alice')).toBe(0);
  });

  it('revokes every other session of one user, sparing the one it is told to keep', async () => {
    const { sessions, login, whoami } = await setUp();
    const here = await login('alice');
    const lost = await login('alice');
    expect(await sessions.revokeUser('alice', { except: sidOf(here.cookie) })).toBe(1);
    expect((await whoami(lost.cookie)).body).toEqual({ kind: 'expired-session' });
    expect((await whoami(here.cookie)).body).toMatchObject({ kind: 'session', caller: { userId: 'alice' } });
  });

  it('revokes the sessions a deleted passkey created, and keeps the others', async () => {
    const { sessions, login, whoami } = await setUp();
    const withOld = await login('alice', undefined, 'cred-old');
    const withNew = await login('alice', undefined, 'cred-new');
    expect(await sessions.revokeWhere('alice', (user) => user.credentialId === 'cred-old')).toBe(1);
    expect((await whoami(withOld.cookie)).body).toEqual({ kind: 'expired-session' });
    expect((await whoami(withNew.cookie)).body).toMatchObject({ kind: 'session' });
  });

  it("refuses a session missing from its user's index once it is rechecked (a lost index entry fails closed)", async () => {
    const { sessions, login, whoami } = await setUp({ recheckMs: 0 });
    const { cookie } = await login('alice');
    expect((await whoami(cookie)).body).toMatchObject({ kind: 'session' });
    await sessions.store.index.remove('alice', [sidOf(cookie)]);
    expect((await whoami(cookie)).body).toEqual({ kind: 'expired-session' });
  });

  it('fails the request, not the sign-in state, when the store is broken', async () => {
    const broken = new Map<string, unknown>();
    broken.get = () => {
      throw new Error('store down');
    };
    const { whoami } = await setUp({ keyv: new Keyv({ store: broken, throwOnErrors: true }) });
    // Correctly signed, so the store is asked (cookie-signature's format: HMAC-SHA256, base64, no padding).
    const signature = createHmac('sha256', secret).update('abc').digest('base64').replace(/=+$/, '');
    const res = await whoami(`sp_session=${encodeURIComponent(`s:abc.${signature}`)}`);
    expect(res.status).toBe(503);
  });

  it('refuses weak secrets and a __Host- cookie without Secure', () => {
    const keyv = createKeyv({ namespace: 'sess' });
    expect(() => createSessions({ keyv, secret: 'short', secure: true })).toThrow(/32 characters/);
    expect(() => createSessions({ keyv, secret, secure: false, cookieName: '__Host-x' })).toThrow(/Secure/);
  });
});

describe('sessions shared through Redis by two proxy instances', () => {
  let redis: RedisHandle;
  const keyvs: Keyv[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(keyvs.map((k) => closeKeyv(k)));
    await redis?.stop();
  });

  async function instance(opts: Partial<SessionsOptions> = {}) {
    const keyv = createKeyv({ redisUrl: redis.url, namespace: 'sess' });
    keyvs.push(keyv);
    return setUp({ keyv, ...opts });
  }

  it('a session made on one instance is seen, and revoked, on the other', async () => {
    const a = await instance();
    const b = await instance();
    const { cookie } = await a.login('alice');
    expect((await b.whoami(cookie)).body).toMatchObject({ kind: 'session', caller: { userId: 'alice' } });

    const client = await (keyvs[0]!.store as KeyvRedis<unknown>).getClient();
    expect((await client.keys('*')).sort()).toEqual([`sess::s:${sidOf(cookie)}`, 'sess::sids:alice']);

    expect(await b.sessions.revokeUser('alice')).toBe(1);
    expect((await a.whoami(cookie)).body).toEqual({ kind: 'expired-session' });
    expect(await client.keys('*')).toEqual([]);
  });

  it('keeps every session of sign-ins on both instances at the same moment, and revoke-all on one ends them all on the other', async () => {
    const a = await instance({ recheckMs: 0 });
    const b = await instance({ recheckMs: 0 });
    const signIns = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).login('dora')));
    const cookies = signIns.map((s) => s.cookie);
    for (const cookie of cookies) expect((await a.whoami(cookie)).body).toMatchObject({ kind: 'session', caller: { userId: 'dora' } });

    expect(await a.sessions.revokeUser('dora')).toBe(16);
    for (const cookie of cookies) expect((await b.whoami(cookie)).body).toEqual({ kind: 'expired-session' });
  });

  it('adopts a user list an earlier version wrote, so its sessions stay signed in and can still be revoked', async () => {
    const a = await instance({ recheckMs: 0 });
    const b = await instance({ recheckMs: 0 });
    const { cookie } = await a.login('erik');
    const sid = sidOf(cookie);
    // As the previous version left it: the session listed in a whole-value list, no set.
    await a.sessions.store.index.remove('erik', [sid]);
    await keyvs.at(-1)!.set('u:erik', [sid]);

    expect((await b.whoami(cookie)).body).toMatchObject({ kind: 'session', caller: { userId: 'erik' } });
    expect(await a.sessions.store.index.list('erik')).toEqual([sid]);
    expect(await keyvs.at(-1)!.get('u:erik')).toBeUndefined();
    expect(await b.sessions.revokeUser('erik')).toBe(1);
    expect((await a.whoami(cookie)).body).toEqual({ kind: 'expired-session' });
  });
});
