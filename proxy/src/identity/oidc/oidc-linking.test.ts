import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestBrowser, PREFIX, startOidcTestEnv, type OidcTestEnv, type TestBrowser } from './oidc-test-env.ts';

let env: OidcTestEnv;
beforeAll(async () => {
  env = await startOidcTestEnv({
    extraUsers: [
      // In the organisation's directory but without a vouched legacy id.
      { username: 'olav', password: 'password', givenName: 'Olav', familyName: 'Vik', email: 'olav@nordvik.example' },
      // Same email address as ingrid (shared mailbox, recycled address): must never become ingrid.
      { username: 'ingrid.twin', password: 'password', givenName: 'Ingrid', familyName: 'Tvilling', email: 'ingrid@uninett.example' },
      { username: 'petter', password: 'password', givenName: 'Petter', familyName: 'Dal', email: 'petter@fjord.example' },
      // Vouched for, and in no other test: her sessions are counted.
      { username: 'siri', password: 'password', givenName: 'Siri', familyName: 'Lund', email: 'siri@fjord.example', legacyUserId: 'u-siri' },
    ],
  });
});
afterAll(async () => {
  await env?.stop();
});

const isCallback = (url: string) => url.startsWith(env.redirectUri);
const sessionCookie = (b: TestBrowser) => {
  const value = b.cookie('127.0.0.1', 'sp_session');
  return value ? `sp_session=${value}` : undefined;
};
const startUrl = (query = '') => `${env.base}${PREFIX}/auth/oidc/start${query}`;

/** Start (a URL, or a page that redirects to the provider), sign in there, deliver the answer. */
async function signIn(b: TestBrowser, username: string, from: string | { location: string }) {
  let page = typeof from === 'string' ? await b.go(from, isCallback) : await b.go(from.location, isCallback);
  if (!page.location) page = await b.submit(page, { username, password: 'password' }, isCallback);
  expect(page.location && isCallback(page.location)).toBe(true);
  return b.fetch(page.location!);
}

/** POST /start?intent=link from a frontend that holds a legacy JWT (fetch, JSON answer). */
async function startLinkWithJwt(b: TestBrowser, token: string) {
  const res = await b.fetch(startUrl(), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      origin: env.base,
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'intent=link',
  });
  expect(res.status).toBe(200);
  return { location: (JSON.parse(res.body) as { redirectTo: string }).redirectTo };
}

describe('linking organisation accounts to legacy users', () => {
  it('refuses an unlinked account without the vouched claim, and explains how to link', async () => {
    const b = createTestBrowser();
    const res = await signIn(b, 'olav', startUrl());
    expect(res.status).toBe(403);
    expect(res.body).toContain('Your organisation account is not linked yet');
    expect(res.body).toContain('Link your organisation account');
    expect(sessionCookie(b)).toBeUndefined();
  });

  it('links while signed in with a legacy JWT, and later sign-ins use the link', async () => {
    const b = createTestBrowser();
    const token = await env.legacyToken('u-lars', 'Lars Berg', 'TEACHER');
    const start = await startLinkWithJwt(b, token);
    // Linking makes the person sign in at the provider again, even with a live provider session.
    expect(new URL(start.location).searchParams.get('prompt')).toBe('login');
    const linked = await signIn(b, 'olav', start);
    expect(linked.status).toBe(303);
    expect(linked.location).toBe(`${env.base}${PREFIX}/auth/account?linked=1`);
    expect(await env.whoami(sessionCookie(b))).toEqual({
      kind: 'session',
      caller: { userId: 'u-lars', username: 'Lars Berg', roles: ['TEACHER'], via: 'session' },
    });

    const later = createTestBrowser();
    expect((await signIn(later, 'olav', startUrl('?returnUrl=/home'))).location).toBe(`${env.base}/home`);
    expect(await env.whoami(sessionCookie(later))).toEqual({
      kind: 'session',
      caller: { userId: 'u-lars', username: 'Lars Berg', roles: ['TEACHER'], via: 'session' },
    });
  });

  it('links while signed in with a session (a form on our own page)', async () => {
    const b = createTestBrowser();
    await b.fetch(`${env.base}${PREFIX}/test/passkey-sign-in?user=u-nina`, { method: 'POST' });
    const start = await b.fetch(startUrl(), {
      method: 'POST',
      headers: { origin: env.base, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'intent=link&returnUrl=%2Fprofile',
    });
    expect(start.status).toBe(303);
    expect((await signIn(b, 'petter', { location: start.location! })).location).toBe(`${env.base}/profile`);
    expect((await env.whoami(sessionCookie(b))).kind).toBe('session');
    const later = createTestBrowser();
    await signIn(later, 'petter', startUrl());
    expect(await env.whoami(sessionCookie(later))).toMatchObject({ caller: { userId: 'u-nina' } });
  });

  it('never links by email: two organisation users with the same address stay apart', async () => {
    const ingrid = createTestBrowser();
    expect((await signIn(ingrid, 'ingrid', startUrl())).status).toBe(303);
    expect(await env.whoami(sessionCookie(ingrid))).toMatchObject({ caller: { userId: 'u-ingrid' } });

    const twin = createTestBrowser();
    const res = await signIn(twin, 'ingrid.twin', startUrl());
    expect(res.status).toBe(403);
    expect(res.body).toContain('Your organisation account is not linked yet');
    expect(sessionCookie(twin)).toBeUndefined();
  });

  it('refuses to link an account the organisation vouches is someone else’s', async () => {
    const b = createTestBrowser();
    const start = await startLinkWithJwt(b, await env.legacyToken('u-lars', 'Lars Berg', 'TEACHER'));
    const res = await signIn(b, 'kari', start);
    expect(res.status).toBe(409);
    expect(res.body).toContain('This organisation account belongs to another user');
    expect(sessionCookie(b)).toBeUndefined();
    const kari = createTestBrowser();
    await signIn(kari, 'kari', startUrl());
    expect(await env.whoami(sessionCookie(kari))).toMatchObject({ caller: { userId: 'u-kari' } });
  });

  it('starts linking only for a signed-in caller, from our own pages, by POST', async () => {
    const b = createTestBrowser();
    const anonymous = await b.fetch(startUrl(), {
      method: 'POST',
      headers: { origin: env.base, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'intent=link',
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toContain('Sign in first');
    expect((await b.fetch(startUrl('?intent=link'))).status).toBe(405);
    const token = await env.legacyToken('u-lars', 'Lars Berg', 'TEACHER');
    const forged = await b.fetch(startUrl(), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'intent=link',
    });
    expect(forged.status).toBe(403);
    expect(b.cookie('127.0.0.1', 'sp_oidc_tx')).toBeUndefined();
  });
});

describe('recovery through the organisation', () => {
  const revoke = (b: TestBrowser, body = 'revokeOldPasskeys=1') =>
    b.fetch(`${env.base}${PREFIX}/auth/oidc/recover/revoke-passkeys`, {
      method: 'POST',
      headers: { origin: env.base, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });

  it('lands on the account page, then revokes the old passkeys and the sessions they signed in', async () => {
    const thief = createTestBrowser();
    await thief.fetch(`${env.base}${PREFIX}/test/passkey-sign-in?user=u-emma`, { method: 'POST' });
    expect((await env.whoami(sessionCookie(thief))).kind).toBe('session');

    const b = createTestBrowser();
    const back = await signIn(b, 'emma', startUrl('?intent=recover&returnUrl=/elsewhere'));
    expect(back.location).toBe(`${env.base}${PREFIX}/auth/account?recovered=1`);
    expect((await revoke(b, '')).status).toBe(400); // not confirmed: nothing happens
    expect(env.revokedPasskeysOf).toEqual([]);

    const done = await revoke(b);
    expect(done.status).toBe(303);
    expect(done.location).toBe(`${env.base}${PREFIX}/auth/account?recovered=1&revoked=2`);
    expect(env.revokedPasskeysOf).toEqual(['u-emma']);
    expect((await env.whoami(sessionCookie(thief))).kind).toBe('expired-session');
    expect((await env.whoami(sessionCookie(b))).kind).toBe('session');
  });

  it('refuses to revoke passkeys from a passkey session, or an organisation sign-in older than 10 minutes', async () => {
    const passkey = createTestBrowser();
    await passkey.fetch(`${env.base}${PREFIX}/test/passkey-sign-in?user=u-ola`, { method: 'POST' });
    const refused = await revoke(passkey);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('Sign in with your organisation again');

    const b = createTestBrowser();
    await signIn(b, 'ola', startUrl('?intent=recover'));
    env.advance(11 * 60_000);
    try {
      expect((await revoke(b)).status).toBe(403);
    } finally {
      env.advance(-11 * 60_000);
    }
    expect(env.revokedPasskeysOf).not.toContain('u-ola');
  });

  it('signs out every other session and keeps this one, only within 10 minutes of the organisation sign-in', async () => {
    const signOutOthers = (b: TestBrowser) =>
      b.fetch(`${env.base}${PREFIX}/auth/sign-out-everywhere`, {
        method: 'POST',
        headers: { origin: env.base, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ keepThisSession: true }),
      });
    const lost = createTestBrowser();
    await lost.fetch(`${env.base}${PREFIX}/test/passkey-sign-in?user=u-siri`, { method: 'POST' });
    const b = createTestBrowser();
    await signIn(b, 'siri', startUrl('?intent=recover'));

    env.advance(11 * 60_000);
    try {
      const late = await signOutOthers(b);
      expect(late.status).toBe(403);
      expect(late.headers.get('content-type')).toBe('application/problem+json');
      expect(JSON.parse(late.body)).toMatchObject({ type: 'urn:strangler-proxy:oidc:recent-organisation-sign-in-required' });
      expect((await env.whoami(sessionCookie(lost))).kind).toBe('session');
    } finally {
      env.advance(-11 * 60_000);
    }

    const done = await signOutOthers(b);
    expect(done.status).toBe(200);
    expect(JSON.parse(done.body)).toEqual({ endedSessions: 1, keptThisSession: true });
    expect((await env.whoami(sessionCookie(lost))).kind).toBe('expired-session');
    expect((await env.whoami(sessionCookie(b))).kind).toBe('session');
    expect(env.logText()).toContain('signed out everywhere else');
  });
});
