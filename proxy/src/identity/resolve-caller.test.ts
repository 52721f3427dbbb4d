import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCutoff } from './cutoff.ts';
import { call, cookiePair, startTestApp, type TestApp } from './identity-test-app.ts';
import { createTestKey, signTestToken, startJwksServer, type JwksServer, type TestKey } from './legacy-jwt/jwks-test-server.ts';
import { createKeyv } from '../storage/keyv-store.ts';
import { createLegacyJwtVerifier, type LegacyJwtVerifier } from './legacy-jwt/legacy-jwt.ts';
import { createCallerResolver, type Resolution } from './resolve-caller.ts';
import { createSessions, type Sessions } from './sessions/sessions.ts';

const issuer = 'https://legacy.education.example';
const audience = 'education-platform';
const secret = 'a-test-secret-that-is-long-enough-0123456789';

let key: TestKey;
let jwks: JwksServer;
let jwt: LegacyJwtVerifier;
let sessions: Sessions;
let before: TestApp;
let after: TestApp;
let validToken: string;

beforeAll(async () => {
  key = await createTestKey('legacy-1');
  jwks = await startJwksServer([key.publicJwk]);
  jwt = createLegacyJwtVerifier({ jwksUrl: jwks.url, issuer, audience });
  sessions = createSessions({ keyv: createKeyv({ namespace: 'sess' }), secret, secure: false });
  // The same sessions and verifier, once inside the dual-auth window and once after it closed.
  before = await startTestApp(sessions, createCallerResolver({ sessions, jwt, cutoff: createCutoff('2999-01-01T00:00:00Z') }));
  after = await startTestApp(sessions, createCallerResolver({ sessions, jwt, cutoff: createCutoff('2000-01-01T00:00:00Z') }));
  validToken = await signTestToken(key, { sub: 'u-42', name: 'Ada', role: 'teacher' }, { issuer, audience });
});
afterAll(async () => {
  await Promise.all([before?.stop(), after?.stop(), jwks?.stop()]);
});

const whoami = async (app: TestApp, headers: Record<string, string> = {}) =>
  (await call(app.base, '/whoami', { headers })).body as Resolution;

describe('resolving the caller', () => {
  it('is anonymous without credentials', async () => {
    expect(await whoami(before)).toEqual({ kind: 'anonymous' });
  });

  it('accepts a valid legacy bearer JWT inside the window', async () => {
    expect(await whoami(before, { authorization: `Bearer ${validToken}` })).toEqual({
      kind: 'legacy-jwt',
      caller: { userId: 'u-42', username: 'Ada', roles: ['teacher'], via: 'legacy-jwt' },
    });
  });

  it('says why a bearer token is refused', async () => {
    const expired = await signTestToken(key, { sub: 'u-42' }, { issuer, audience, expiresInSec: -3600 });
    expect(await whoami(before, { authorization: `Bearer ${expired}` })).toEqual({
      kind: 'legacy-jwt-invalid',
      reason: 'expired',
    });
    expect(await whoami(before, { authorization: 'Bearer' })).toEqual({ kind: 'legacy-jwt-invalid', reason: 'malformed' });
    expect(await whoami(before, { authorization: 'Bearer a b' })).toEqual({ kind: 'legacy-jwt-invalid', reason: 'malformed' });
  });

  it('flags a valid legacy JWT that arrives after the cutoff', async () => {
    expect(await whoami(after, { authorization: `bearer ${validToken}` })).toEqual({
      kind: 'legacy-jwt-after-cutoff',
      caller: { userId: 'u-42', username: 'Ada', roles: ['teacher'], via: 'legacy-jwt' },
    });
  });

  it('leaves other Authorization schemes to the legacy API', async () => {
    for (const authorization of ['Basic YWxpY2U6c2VjcmV0', 'Token abc123', 'ApiKey xyz']) {
      expect(await whoami(before, { authorization })).toEqual({ kind: 'foreign-authorization' });
    }
  });

  it('prefers the session cookie over a bearer token', async () => {
    const login = await call(before.base, '/auth/login?user=alice', { method: 'POST' });
    const cookie = cookiePair(login.setCookie, sessions.cookieName);
    expect(await whoami(before, { cookie, authorization: `Bearer ${validToken}` })).toMatchObject({
      kind: 'session',
      caller: { userId: 'alice', via: 'session' },
    });
    // After the cutoff a session is still a session: only legacy JWTs are affected.
    expect(await whoami(after, { cookie })).toMatchObject({ kind: 'session' });
  });

  it('does not fall back to the bearer token when our cookie names no live session', async () => {
    const cookie = `${sessions.cookieName}=s%3Anonexistent.signature`;
    expect(await whoami(before, { cookie, authorization: `Bearer ${validToken}` })).toEqual({
      kind: 'expired-session',
    });
  });

  it('never touches the session store for a request without our cookie', async () => {
    const storeGet = vi.spyOn(sessions.store, 'get');
    try {
      await whoami(before);
      await whoami(before, { cookie: 'theme=dark; xsp_session=1; sp_session_old=2' });
      await whoami(before, { cookie: 'theme=dark', authorization: 'Basic YWxpY2U6c2VjcmV0' });
      await whoami(before, { authorization: `Bearer ${validToken}` });
      expect(storeGet).not.toHaveBeenCalled();
      // The spy does see a request that carries our cookie (no space after the `;` either).
      const login = await call(before.base, '/auth/login?user=carol', { method: 'POST' });
      await whoami(before, { cookie: `theme=dark;${cookiePair(login.setCookie, sessions.cookieName)}` });
      expect(storeGet).toHaveBeenCalledTimes(1);
    } finally {
      storeGet.mockRestore();
    }
  });

  it('does not run the session middleware for a request without our cookie', async () => {
    const current = vi.fn(sessions.current);
    const resolve = createCallerResolver({
      sessions: { carriesCookie: sessions.carriesCookie, current },
      jwt,
      cutoff: createCutoff(undefined),
    });
    const req = { headers: { cookie: 'theme=dark; xsp_session=1' }, url: '/' } as never;
    expect(await resolve(req, {} as never)).toEqual({ kind: 'anonymous' });
    expect(current).not.toHaveBeenCalled();
  });

  it('resolves once per request, however often it is asked', async () => {
    const verify = vi.fn(jwt.verify);
    const resolve = createCallerResolver({ sessions, jwt: { verify }, cutoff: createCutoff(undefined) });
    const req = { headers: { authorization: `Bearer ${validToken}` } } as never;
    const [a, b] = await Promise.all([resolve(req, {} as never), resolve(req, {} as never)]);
    expect(await resolve(req, {} as never)).toBe(a);
    expect(b).toBe(a);
    expect(verify).toHaveBeenCalledTimes(1);
  });
});

describe('the legacy JWT cutoff', () => {
  it('has passed only from its instant on', () => {
    let now = Date.parse('2026-03-01T00:59:59Z');
    const cutoff = createCutoff('2026-03-01T01:00:00+00:00', () => now);
    expect(cutoff.date?.toISOString()).toBe('2026-03-01T01:00:00.000Z');
    expect(cutoff.passed()).toBe(false);
    now += 1_000;
    expect(cutoff.passed()).toBe(true);
  });

  it('is absent when not configured, and refuses dates that name no instant', () => {
    expect(createCutoff(undefined)).toMatchObject({ date: null });
    expect(createCutoff(undefined).passed()).toBe(false);
    expect(createCutoff('2026-03-01').date?.toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(() => createCutoff('2026-03-01T01:00:00')).toThrow(/offset/); // local time: which zone?
    expect(() => createCutoff('next tuesday')).toThrow();
  });
});
