import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { addVirtualAuthenticator, launchBrowser } from '../test-support/browser.ts';
import { startProxy, type ProxyInFront } from '../test-support/stack.ts';
import { startConduitStub, SEED_PASSWORD, type ConduitStub } from '../legacy-stub/src/conduit/server.ts';

/**
 * The passkey transition in front of an API with other conventions than our stand-in's (the
 * Conduit profile: `Authorization: Token <jwt>`, and a frontend that keeps the token in
 * `localStorage.jwt`), in headless Chromium with a virtual authenticator. The account page must
 * find the token where that frontend left it and send it as that frontend does
 * (LEGACY_TOKEN_BROWSER_STORAGE), or a signed-in legacy user cannot add a passkey.
 */
const POLL = { timeout: 10_000 };
let conduit: ConduitStub;
let browser: Browser;

/** The Conduit profile as conduit-profile.test.ts runs it, with the token's place in the browser on top. */
const conduitEnv = (extra: Record<string, string>) => ({
  LEGACY_JWT_SECRET: conduit.secret,
  LEGACY_JWT_ALGORITHMS: 'HS256',
  LEGACY_JWT_ISSUER: 'none',
  LEGACY_JWT_AUDIENCE: 'none',
  LEGACY_USER_ID_CLAIM: 'id',
  LEGACY_USERNAME_CLAIM: 'username',
  ...extra,
});

beforeAll(async () => {
  [conduit, browser] = await Promise.all([startConduitStub({ quiet: true }), launchBrowser()]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await conduit?.close();
});

describe('a Conduit user moves to a passkey', () => {
  let proxy: ProxyInFront;
  let page: Page;
  let legacyToken: string;
  const app = (path: string) => `${proxy.publicOrigin}${path}`;
  const byTestId = (id: string) => page.getByTestId(id);

  beforeAll(async () => {
    proxy = await startProxy({
      legacyUrl: conduit.url,
      env: conduitEnv({ LEGACY_TOKEN_SCHEMES: 'Token', LEGACY_TOKEN_BROWSER_STORAGE: 'localStorage:jwt' }),
    });
    page = await (await browser.newContext()).newPage();
    await addVirtualAuthenticator(page);
  }, 30_000);
  afterAll(async () => {
    await page?.context().close();
    await proxy?.stop();
  });

  it('signs in to the existing frontend, and the account page adds a passkey with its token', async () => {
    // What Conduit's frontend does at login: POST /api/users/login, keep user.token in localStorage.jwt.
    await page.goto(app('/api/tags'));
    const email = conduit.users.find((u) => u.username === 'jake')!.email;
    const loggedIn: string = await page.evaluate(
      async ({ email, password }) => {
        const res = await fetch('/api/users/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user: { email, password } }),
        });
        const { user } = (await res.json()) as { user: { token: string } };
        localStorage.setItem('jwt', user.token);
        return user.token;
      },
      { email, password: SEED_PASSWORD },
    );
    legacyToken = loggedIn;

    await page.goto(app('/_proxy/auth/account'));
    await expect.poll(() => byTestId('auth-status').textContent(), POLL).toBe('Signed in as jake through the existing app.');
    await page.getByLabel('Name for the new passkey').fill('Work laptop');
    await byTestId('passkey-register').click();
    await expect.poll(() => byTestId('auth-status').textContent(), POLL).toBe('Passkey “Work laptop” added. You can now use it to sign in.');
    await expect.poll(() => byTestId('passkey-item').count(), POLL).toBe(1);
  });

  it('signs out of the frontend, signs in with the passkey, and reaches Conduit’s GET /api/user with a minted token', async () => {
    // Conduit's frontend signs out by forgetting its token.
    await page.evaluate(() => localStorage.removeItem('jwt'));

    await page.goto(app(`/_proxy/auth/sign-in?returnUrl=${encodeURIComponent('/api/user')}`));
    const answer = page.waitForResponse((res) => res.url() === app('/api/user'), POLL);
    await byTestId('passkey-sign-in').click();
    const res = await answer;
    expect(res.status()).toBe(200);
    expect(((await res.json()) as { user: { username: string } }).user.username).toBe('jake');

    // The browser holds no legacy token: the session cookie carried the caller, the proxy minted one in Conduit's scheme.
    expect(await page.evaluate(() => localStorage.getItem('jwt'))).toBeNull();
    const seen = conduit.received.filter((r) => r.url === '/api/user').at(-1)!.rawHeaders;
    const auth = seen.filter((_, i) => i > 0 && seen[i - 1]!.toLowerCase() === 'authorization');
    expect(auth).toHaveLength(1);
    expect(auth[0]).toMatch(/^Token ey/);
    // Neither the token the page sent on the user's behalf nor the minted one is written down.
    expect(legacyToken).toMatch(/^ey/);
    for (const token of [legacyToken, auth[0]!.slice('Token '.length)]) expect(proxy.logText()).not.toContain(token);
  });
});

describe('other places the existing frontend keeps its token', () => {
  const cases: Array<{ name: string; env: Record<string, string>; leave(page: Page, token: string): Promise<void> }> = [
    {
      name: 'sessionStorage, sent alone in a header of its own',
      env: { LEGACY_TOKEN_HEADER: 'X-Conduit-Token', LEGACY_TOKEN_BROWSER_STORAGE: 'sessionStorage:auth-token' },
      leave: (page, token) => page.evaluate((t) => sessionStorage.setItem('auth-token', t), token),
    },
    {
      name: 'a cookie the browser sends by itself',
      env: { LEGACY_TOKEN_COOKIE: 'jwt' },
      // On `/`, as a frontend sets it: a cookie on a narrower path never reaches the proxy's pages.
      leave: (page, token) => page.evaluate((t) => void (document.cookie = `jwt=${t}; path=/; SameSite=Lax`), token),
    },
  ];

  for (const { name, env, leave } of cases) {
    it(`${name}: the account page knows the user and offers a passkey`, async () => {
      const proxy = await startProxy({ legacyUrl: conduit.url, env: conduitEnv(env) });
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${proxy.publicOrigin}/api/tags`);
        await leave(page, conduit.issueToken('ingrid'));
        await page.goto(`${proxy.publicOrigin}/_proxy/auth/account`);
        await expect.poll(() => page.getByTestId('auth-status').textContent(), POLL).toBe('Signed in as ingrid through the existing app.');
        expect(await page.getByTestId('passkey-register').isVisible()).toBe(true);
      } finally {
        await context.close();
        await proxy.stop();
      }
    });
  }
});
