import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { addVirtualAuthenticator, launchBrowser } from '../test-support/browser.ts';
import { startProxy, type ProxyInFront } from '../test-support/stack.ts';
import { startRedis, type RedisHandle } from '../test-support/redis-server.ts';
import { startLegacyStub, type LegacyStub } from '../legacy-stub/src/server.ts';
import { generateDevKeyPair } from '../proxy/src/identity/legacy-jwt/mint-legacy-token.ts';

/**
 * The unchanged frontend survives the cutoff, in headless Chromium. Before it, a person adds a
 * passkey through the existing frontend. The proxy is then redeployed with the dual-auth
 * window closed (same Redis, so the passkey and sessions carry over). Opening the frontend
 * lands on the sign-in page, not in a loop between the old login form and 401s; the passkey
 * signs in, and the frontend works on the session. The old login endpoint now answers a
 * problem that points at sign-in instead of a token the proxy would refuse.
 */
let redis: RedisHandle;
let legacy: LegacyStub;
let browser: Browser;
let page: Page;
let mint: Awaited<ReturnType<typeof generateDevKeyPair>>;
const POLL = { timeout: 15_000 };

beforeAll(async () => {
  mint = await generateDevKeyPair('cutoff-test-key');
  [redis, legacy, browser] = await Promise.all([startRedis(), startLegacyStub({ quiet: true, trustedKeys: [mint.publicJwk] }), launchBrowser()]);
  page = await (await browser.newContext()).newPage();
  await addVirtualAuthenticator(page);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await legacy?.close();
  await redis?.stop();
});

/** One deployment of the proxy: the same store, keys and legacy API, with or without the cutoff passed. */
const deploy = (env: Record<string, string> = {}) =>
  startProxy({
    legacyUrl: legacy.url,
    flags: { 'route.dashboard': { rollout: 100 } },
    env: { REDIS_URL: redis.url, MINT_PRIVATE_KEY: mint.privateKeyPem, MINT_KEY_ID: 'cutoff-test-key', LEGACY_LOGIN_ENDPOINT: 'POST /api/auth/login', ...env },
  });

describe('after the cutoff, the unchanged frontend', () => {
  it('before: a person signs in with the old form and adds a passkey', async () => {
    const before = await deploy();
    try {
      await page.goto(`${before.publicOrigin}/`);
      await page.getByTestId('username').fill('ingrid');
      await page.getByTestId('password').fill('password');
      await page.getByTestId('login-submit').click();
      await expect.poll(() => page.getByTestId('profile').isVisible(), POLL).toBe(true);
      await page.goto(`${before.publicOrigin}/_proxy/auth/account`);
      await page.getByLabel('Name for the new passkey').fill('Laptop');
      await page.getByTestId('passkey-register').click();
      await expect.poll(() => page.getByTestId('auth-status').textContent(), POLL).toMatch(/Passkey “Laptop” added/);
      await page.evaluate(() => localStorage.clear());
    } finally {
      await before.stop();
    }
  });

  describe('once the window has closed', () => {
    let after: ProxyInFront;
    beforeAll(async () => {
      after = await deploy({ AUTH_CUTOFF: '2020-01-01T00:00:00Z' });
    });
    afterAll(() => after?.stop());

    it('opening it lands on the sign-in page with a way back; the passkey signs in; the frontend works on the session', async () => {
      await page.goto(`${after.publicOrigin}/courses?tab=mine`);
      await page.waitForURL(`${after.publicOrigin}/_proxy/auth/sign-in?returnUrl=%2Fcourses%3Ftab%3Dmine`, POLL);
      await page.goto(`${after.publicOrigin}/`);
      await page.waitForURL(`${after.publicOrigin}/_proxy/auth/sign-in?returnUrl=%2F`, POLL);
      await page.getByTestId('passkey-sign-in').click();
      await page.waitForURL(`${after.publicOrigin}/`, POLL);
      await expect.poll(() => page.getByTestId('profile').isVisible(), POLL).toBe(true);
      expect(await page.getByTestId('profile-name').textContent()).toBe('Ingrid Solberg');
      await expect.poll(() => page.getByTestId('dashboard-course').count(), POLL).toBeGreaterThan(0);
      expect(await page.evaluate(() => localStorage.getItem('legacyToken'))).toBeNull();
    });

    it("the old login endpoint answers a problem pointing at sign-in, and issues no token", async () => {
      const before = legacy.received.filter((r) => r.url === '/api/auth/login').length;
      const res = await fetch(`${after.proxyUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ username: 'ingrid', password: 'password' }),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ type: 'urn:strangler-proxy:legacy-login-retired', signInUrl: '/_proxy/auth/sign-in' });
      expect(legacy.received.filter((r) => r.url === '/api/auth/login').length).toBe(before);
    });

    it('what is not a page load is not redirected: scripts, styles and API calls still reach the legacy API', async () => {
      const script = await fetch(`${after.proxyUrl}/app.js`, { headers: { 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script' } });
      expect(script.status).toBe(200);
      const api = await fetch(`${after.proxyUrl}/api/courses?orgId=org-uninett`, { headers: { accept: 'application/json' } });
      expect(api.status).toBe((await fetch(`${legacy.url}/api/courses?orgId=org-uninett`, { headers: { accept: 'application/json' } })).status);
    });
  });
});
