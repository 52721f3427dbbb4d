import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subFor } from '../../../../legacy-stub/src/identity-provider/server.ts';
import { createTestBrowser, PREFIX, CLIENT_ID, startOidcTestEnv, type OidcTestEnv, type TestBrowser } from './oidc-test-env.ts';

let env: OidcTestEnv;
beforeAll(async () => {
  env = await startOidcTestEnv();
});
afterAll(async () => {
  await env?.stop();
});

const isCallback = (url: string) => url.startsWith(env.redirectUri);
const sessionCookie = (b: TestBrowser) => {
  const value = b.cookie('127.0.0.1', 'sp_session');
  return value ? `sp_session=${value}` : undefined;
};
const sidOf = (cookie: string) => decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.')[0]!;
/** Values that must never appear in a log line: collected along the way, checked at the end. */
const secrets = new Set<string>();

function remember(url: string): void {
  const u = new URL(url);
  for (const name of ['code', 'state', 'nonce', 'code_challenge', 'id_token_hint']) {
    const value = u.searchParams.get(name);
    if (value) secrets.add(value);
  }
}

/** From the start link to the provider's redirect back (not yet delivered): the callback URL. */
async function toCallback(b: TestBrowser, username: string, query = 'returnUrl=/courses/c-101'): Promise<string> {
  let page = await b.go(`${env.base}${PREFIX}/auth/oidc/start?${query}`, isCallback);
  if (!page.location) {
    expect(page.body).toContain('name="password"');
    page = await b.submit(page, { username, password: 'password' }, isCallback);
  }
  expect(page.location && isCallback(page.location)).toBe(true);
  b.visited.forEach(remember);
  remember(page.location!);
  return page.location!;
}

async function rememberTokens(cookie: string): Promise<void> {
  const tokens = await env.stores.get('oidc-tokens')!.get<Record<string, string>>(`tokens:${sidOf(cookie)}`);
  for (const value of Object.values(tokens ?? {})) if (typeof value === 'string') secrets.add(value);
}

describe('organisation sign-in (OIDC) against the real dev provider', () => {
  it('links by the vouched claim, establishes a session and returns to the page the user came from', async () => {
    const b = createTestBrowser();
    const callbackUrl = await toCallback(b, 'ingrid');
    const authorize = new URL(b.visited.find((u) => u.startsWith(`${env.op.issuer}/auth?`))!);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();

    const back = await b.fetch(callbackUrl);
    expect(back.status).toBe(303);
    expect(back.location).toBe(`${env.base}/courses/c-101`);
    const cookie = sessionCookie(b)!;
    expect(await env.whoami(cookie)).toEqual({
      kind: 'session',
      caller: { userId: 'u-ingrid', username: 'Ingrid Solberg', roles: [], via: 'session' },
    });
    // The provider's subject is its own, not the legacy id: the link made the connection.
    const user = (await env.sessions.store.read(sidOf(cookie)))!.user!;
    expect(user.authMethod).toBe('oidc');
    expect(user.oidc).toMatchObject({ issuer: env.op.issuer, sub: subFor('ingrid') });
    expect(user.oidc!.sub).not.toBe('u-ingrid');
    // The transaction cookie is gone, and it was scoped to the callback path.
    expect(b.cookie('127.0.0.1', 'sp_oidc_tx')).toBeUndefined();
    const txCookie = b.transcript.find((t) => t.includes('sp_oidc_tx=') && t.includes('Max-Age=600'))!;
    expect(txCookie).toMatch(/sp_oidc_tx=[^;]+; Max-Age=600; Path=\/_proxy\/auth\/oidc\/callback; HttpOnly; SameSite=Lax/);
    await rememberTokens(cookie);
  });

  it("keeps the provider's roles claim apart from the legacy roles: the session has them, the caller does not", async () => {
    const b = createTestBrowser();
    expect((await b.fetch(await toCallback(b, 'kari'))).status).toBe(303);
    const cookie = sessionCookie(b)!;
    const user = (await env.sessions.store.read(sidOf(cookie)))!.user!;
    expect(user.providerRoles).toEqual(['staff']);
    // The caller is what the pipeline and the minted legacy token see: the legacy account's roles only.
    expect(await env.whoami(cookie)).toMatchObject({ kind: 'session', caller: { userId: 'u-kari', roles: [] } });
    await rememberTokens(cookie);

    const other = createTestBrowser();
    await other.fetch(await toCallback(other, 'nina'));
    expect((await env.sessions.store.read(sidOf(sessionCookie(other)!)))!.user!.providerRoles).toBeUndefined();
    await rememberTokens(sessionCookie(other)!);
  });

  it('keeps the tokens on the server: the browser never receives the access or refresh token', async () => {
    const b = createTestBrowser();
    await b.fetch(await toCallback(b, 'ola'));
    const tokens = (await env.stores.get('oidc-tokens')!.get<Record<string, string>>(`tokens:${sidOf(sessionCookie(b)!)}`))!;
    expect(tokens.accessToken).toBeTruthy();
    expect(tokens.refreshToken).toBeTruthy();
    const everything = b.transcript.join('\n');
    expect(everything).not.toContain(tokens.accessToken);
    expect(everything).not.toContain(tokens.refreshToken);
    expect(everything).not.toContain(tokens.idToken);
    await rememberTokens(sessionCookie(b)!);
  });

  it('refuses a replayed callback (same code and state), with or without a new transaction', async () => {
    const b = createTestBrowser();
    const callbackUrl = await toCallback(b, 'lars');
    const txId = b.cookie('127.0.0.1', 'sp_oidc_tx')!;
    const txCookie = `sp_oidc_tx=${txId}`;
    const transactions = env.stores.get('oidc-transactions')!;
    expect(await transactions.get(`tx:${txId}`)).toBeDefined();
    expect((await b.fetch(callbackUrl)).status).toBe(303);
    const signedIn = sessionCookie(b)!;
    expect(await transactions.get(`tx:${txId}`)).toBeUndefined();

    const replay = await b.fetch(callbackUrl);
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('This sign-in link has expired, start again');
    // Even with the transaction cookie kept (copied, or a browser that ignored its removal).
    const withCookie = await fetch(callbackUrl, { headers: { cookie: txCookie }, redirect: 'manual' });
    expect(withCookie.status).toBe(400);
    expect(withCookie.headers.getSetCookie().some((c) => c.startsWith('sp_session='))).toBe(false);
    // A fresh transaction in the same browser does not make the old answer valid either.
    await b.go(`${env.base}${PREFIX}/auth/oidc/start`, (url) => url.startsWith(env.op.issuer));
    const again = await b.fetch(callbackUrl);
    expect(again.status).toBe(400);
    expect(again.body).toContain('This sign-in link has expired, start again');
    // The session from the genuine sign-in is untouched.
    expect((await env.whoami(signedIn)).kind).toBe('session');
  });

  it('refuses a tampered state, and the transaction is used up', async () => {
    const b = createTestBrowser();
    const callbackUrl = new URL(await toCallback(b, 'emma'));
    const genuine = callbackUrl.href;
    const txCookie = `sp_oidc_tx=${b.cookie('127.0.0.1', 'sp_oidc_tx')}`;
    callbackUrl.searchParams.set('state', `${callbackUrl.searchParams.get('state')}x`);
    const tampered = await b.fetch(callbackUrl.href);
    expect(tampered.status).toBe(400);
    expect(tampered.body).toContain('This sign-in link has expired, start again');
    expect(sessionCookie(b)).toBeUndefined();
    expect((await fetch(genuine, { headers: { cookie: txCookie }, redirect: 'manual' })).status).toBe(400);
  });

  it('refuses a callback without the transaction cookie: the code alone is useless in another browser', async () => {
    const b = createTestBrowser();
    const callbackUrl = await toCallback(b, 'nina');
    const other = createTestBrowser();
    const stolen = await other.fetch(callbackUrl);
    expect(stolen.status).toBe(400);
    expect(stolen.body).toContain('This sign-in link has expired, start again');
    expect(stolen.body).toContain(`href="${PREFIX}/auth/sign-in"`);
    expect(sessionCookie(other)).toBeUndefined();
    // The rightful browser still finishes.
    expect((await b.fetch(callbackUrl)).status).toBe(303);
    expect((await env.whoami(sessionCookie(b))).kind).toBe('session');
  });

  it('sends the PKCE verifier: the provider requires S256 and refuses the code without it', async () => {
    const authorize = (extra: Record<string, string>) =>
      fetch(
        `${env.op.issuer}/auth?${new URLSearchParams({ client_id: CLIENT_ID, response_type: 'code', scope: 'openid', redirect_uri: env.redirectUri, state: 's', ...extra })}`,
        { redirect: 'manual' },
      ).then((res) => new URL(res.headers.get('location')!).searchParams);
    const withoutPkce = await authorize({});
    expect(withoutPkce.get('error')).toBe('invalid_request');
    expect(withoutPkce.get('error_description')).toMatch(/PKCE/);
    const plain = await authorize({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' });
    expect(plain.get('error')).toBe('invalid_request');

    // A real code, exchanged without its verifier, is refused: the proxy's exchanges that
    // succeed above can only have sent the right one.
    const b = createTestBrowser();
    const code = new URL(await toCallback(b, 'kari')).searchParams.get('code')!;
    const token = await fetch(`${env.op.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:test-only-client-secret`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: env.redirectUri }),
    });
    expect(token.status).toBe(400);
    expect(((await token.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('tells a person who cancelled at the provider so, with a way back', async () => {
    const b = createTestBrowser();
    const login = await b.go(`${env.base}${PREFIX}/auth/oidc/start`, isCallback);
    const cancelled = await b.submit(login, {}, isCallback, 'abort');
    expect(new URL(cancelled.location!).searchParams.get('error')).toBe('access_denied');
    remember(cancelled.location!);
    const page = await b.fetch(cancelled.location!);
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.body).toContain('You cancelled sign-in');
    expect(page.body).toContain(`href="${PREFIX}/auth/sign-in"`);
    expect(sessionCookie(b)).toBeUndefined();
  });

  it('answers scripts with problem+json', async () => {
    const res = await fetch(`${env.redirectUri}?code=x&state=y`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await res.json()).toMatchObject({ type: 'urn:strangler-proxy:oidc:expired', status: 400 });
  });

  it('logs out: session gone, then RP-initiated logout at the provider with id_token_hint', async () => {
    const b = createTestBrowser();
    await b.fetch(await toCallback(b, 'kari'));
    const cookie = sessionCookie(b)!;
    const sid = sidOf(cookie);
    await rememberTokens(cookie);

    const crossSite = await b.fetch(`${env.base}${PREFIX}/auth/oidc/logout`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect((await env.whoami(cookie)).kind).toBe('session');

    const out = await b.fetch(`${env.base}${PREFIX}/auth/oidc/logout`, { method: 'POST', headers: { origin: env.base } });
    expect(out.status).toBe(303);
    const endSession = new URL(out.location!);
    remember(endSession.href);
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${env.op.issuer}/session/end`);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(env.postLogoutRedirectUri);
    const hint = endSession.searchParams.get('id_token_hint')!;
    const payload = JSON.parse(Buffer.from(hint.split('.')[1]!, 'base64url').toString()) as { sub: string; aud: string };
    expect(payload).toMatchObject({ sub: subFor('kari'), aud: CLIENT_ID });

    expect(sessionCookie(b)).toBeUndefined();
    expect(await env.whoami(cookie)).toEqual({ kind: 'expired-session' });
    expect(await env.sessions.store.read(sid)).toBeNull();
    expect(await env.stores.get('oidc-tokens')!.get(`tokens:${sid}`)).toBeUndefined();

    // The provider accepts the hint and, once the person confirms, comes back to our sign-in page.
    const confirm = await b.go(endSession.href);
    expect(confirm.status).toBe(200);
    const done = await b.submit(confirm, { logout: 'yes' }, (url) => url.startsWith(env.postLogoutRedirectUri), 'op.logoutForm');
    expect(done.location).toBe(env.postLogoutRedirectUri);
  });

  it('logs no authorization code, token, state or nonce', () => {
    const logs = env.logText();
    expect(logs).toContain('oidc.signed-in');
    expect(logs).toContain('oidc.callback.refused');
    expect(secrets.size).toBeGreaterThan(20);
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
