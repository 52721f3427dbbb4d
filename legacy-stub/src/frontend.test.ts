import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startLegacyStub, type LegacyStub } from './server.ts';

// The existing frontend in a real browser, against the stub alone. Through the
// proxy it is exercised by the end-to-end suite.
describe('the existing frontend (public/)', () => {
  let stub: LegacyStub;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [stub, browser] = await Promise.all([
      startLegacyStub({ quiet: true }),
      chromium.launch({
        executablePath: '/usr/lib/chromium/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
      }),
    ]);
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await stub?.close();
  });

  const byTestId = (id: string) => page.getByTestId(id);
  // A shared two-core machine can make a browser slow; waiting longer costs nothing when it is not.
  const POLL = { timeout: 10_000 };

  it('shows the sign-in form when nobody is signed in, and says why a sign-in failed', async () => {
    await page.goto(stub.url);
    await expect.poll(() => byTestId('login-form').isVisible(), POLL).toBe(true);
    await page.getByLabel('Username').fill('ingrid');
    await page.getByLabel('Password').fill('wrong');
    await byTestId('login-submit').click();
    await expect.poll(() => byTestId('login-error').textContent(), POLL).toBe('Wrong username or password.');
  });

  it('signs in, shows the profile, and reports the dashboard unavailable when /api/dashboard is not 200', async () => {
    await byTestId('password').fill('password');
    await byTestId('login-submit').click();
    // The panel is shown once the organisation's name is in, the last thing it fetches.
    await expect.poll(() => byTestId('profile').isVisible(), POLL).toBe(true);
    expect(await byTestId('profile-name').textContent()).toBe('Ingrid Solberg');
    expect(await byTestId('profile-role').textContent()).toBe('Teacher');
    expect(await byTestId('profile-organisation').textContent()).toBe('Uninett');
    expect(await page.evaluate(() => localStorage.getItem('legacyToken'))).toMatch(/^ey/);
    // The stub has no /api/dashboard (the proxy serves it), so the panel degrades and the rest works.
    await expect.poll(() => byTestId('dashboard-error').isVisible(), POLL).toBe(true);
    expect(await byTestId('dashboard-error').textContent()).toBe('Dashboard unavailable');
    expect(await byTestId('login-form').isVisible()).toBe(false);
  });

  it('renders the dashboard panel when /api/dashboard answers with the home screen', async () => {
    // Stand in for the proxy: answer /api/dashboard from the old /api/home, same token.
    await page.route('**/api/dashboard', (route) => route.continue({ url: `${stub.url}/api/home` }));
    await page.reload();
    await expect.poll(() => byTestId('dashboard-course').count(), POLL).toBe(5);
    expect(await byTestId('dashboard-course').first().textContent()).toContain('Mathematics — Year 9 (MATH-9)');
    expect(await byTestId('dashboard-notifications').textContent()).toBe('3');
    expect(await byTestId('dashboard-error').isVisible()).toBe(false);
    await page.unroute('**/api/dashboard');
  });

  it('signs out: the token is gone and the form is back', async () => {
    await byTestId('sign-out').click();
    await expect.poll(() => byTestId('login-form').isVisible(), POLL).toBe(true);
    expect(await page.evaluate(() => localStorage.getItem('legacyToken'))).toBeNull();
    expect(await byTestId('profile').isVisible()).toBe(false);
    await page.reload();
    await expect.poll(() => byTestId('login-form').isVisible(), POLL).toBe(true);
  });
});
