import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addVirtualAuthenticator, launchBrowser } from '../test-support/browser.ts';
import { startStack, type Stack } from '../test-support/stack.ts';
import { startIdentityProvider } from '../legacy-stub/src/identity-provider/server.ts';
import { freePort, reservePort } from '../test-support/free-port.ts';

/**
 * The passkey transition as a person lives it, in headless Chromium with a virtual
 * authenticator, through the whole proxy: sign in to the existing frontend with the legacy
 * form, add a passkey, sign out, sign in with the passkey, and the unchanged frontend shows
 * the profile (a proxied route) and the dashboard (a migrated route). Then the same person
 * signs in through the organisation's identity provider (a real oidc-provider).
 */
let stack: Stack;
let idp: Awaited<ReturnType<typeof startIdentityProvider>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const POLL = { timeout: 10_000 };

beforeAll(async () => {
  const idpPort = await freePort();
  const reserved = await reservePort(); // the proxy's, held until it listens
  const origin = `http://localhost:${reserved.port}`;
  idp = await startIdentityProvider({
    port: idpPort,
    issuerHost: 'localhost',
    clients: [
      {
        client_id: 'strangler-proxy',
        client_secret: 'e2e-client-secret',
        redirect_uris: [`${origin}/_proxy/auth/oidc/callback`],
        post_logout_redirect_uris: [`${origin}/_proxy/auth/sign-in`],
      },
    ],
  });
  [stack, browser] = await Promise.all([
    startStack({
      reserved,
      flags: { 'route.dashboard': { rollout: 100 } },
      env: { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_SECRET: 'e2e-client-secret' },
    }),
    launchBrowser(),
  ]);
  context = await browser.newContext();
  page = await context.newPage();
  await addVirtualAuthenticator(page);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await idp?.close();
});

const byTestId = (id: string) => page.getByTestId(id);
const app = (path = '/') => `${stack.publicOrigin}${path}`;

async function expectFrontendSignedInAs(name: string) {
  await expect.poll(() => byTestId('profile').isVisible(), POLL).toBe(true);
  expect(await byTestId('profile-name').textContent()).toBe(name);
  await expect.poll(() => byTestId('dashboard-course').count(), POLL).toBeGreaterThan(0);
}

describe('from legacy sign-in to passkey, through the proxy', () => {
  it('a legacy user signs in through the existing frontend and adds a passkey', async () => {
    await page.goto(app('/'));
    await byTestId('username').fill('ingrid');
    await byTestId('password').fill('password');
    await byTestId('login-submit').click();
    await expectFrontendSignedInAs('Ingrid Solberg');

    // Same origin, so the account page finds the frontend's legacy token and can vouch with it.
    await page.goto(app('/_proxy/auth/account'));
    await page.getByLabel('Name for the new passkey').fill('Work laptop');
    await byTestId('passkey-register').click();
    await expect.poll(() => byTestId('auth-status').textContent(), POLL).toBe('Passkey “Work laptop” added. You can now use it to sign in.');
  });

  it('signs out of the frontend, signs in with the passkey, and the unchanged frontend shows profile and dashboard', async () => {
    await page.goto(app('/'));
    await byTestId('sign-out').click();
    await expect.poll(() => byTestId('login-form').isVisible(), POLL).toBe(true);
    expect(await page.evaluate(() => localStorage.getItem('legacyToken'))).toBeNull();

    await page.goto(app('/_proxy/auth/sign-in?returnUrl=%2F'));
    await byTestId('passkey-sign-in').click();
    await page.waitForURL(app('/'), POLL);
    // No legacy token anywhere: the session cookie carries the caller, the proxy mints the bearer.
    expect(await page.evaluate(() => localStorage.getItem('legacyToken'))).toBeNull();
    await expectFrontendSignedInAs('Ingrid Solberg');
    const served = stack.logs.filter((l) => l.route === 'dashboard' || (l.req as { url?: string } | undefined)?.url === '/api/users/profile');
    expect(served.some((l) => l.route === 'dashboard' && l.servedBy === 'migrated')).toBe(true);
    expect(served.some((l) => l.route === 'catch-all' && l.servedBy === 'legacy')).toBe(true);
    const session = (await context.cookies()).find((c) => c.name === 'sp_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  });

  it('signs out on the account page; the frontend then asks for a sign-in again', async () => {
    await page.goto(app('/_proxy/auth/account'));
    await byTestId('sign-out').click();
    await expect.poll(() => byTestId('auth-status').textContent(), POLL).toBe('You are signed out.');
    await page.goto(app('/'));
    await expect.poll(() => byTestId('login-form').isVisible(), POLL).toBe(true);
  });
});

describe('the identity provider as fallback', () => {
  it('signs in through the organisation (linked by the claim it vouches for) and the frontend shows the profile', async () => {
    await page.goto(app('/_proxy/auth/sign-in?returnUrl=%2F'));
    await page.getByRole('link', { name: /organisation/i }).first().click();
    await page.waitForURL(new RegExp(`^${idp.issuer}`), POLL);
    await page.getByLabel(/username/i).fill('ola');
    await page.getByLabel(/password/i).fill('password');
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.waitForURL(app('/'), POLL);
    await expectFrontendSignedInAs('Ola Nordmann');
  });
});
