import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../test-support/browser.ts';
import { startStack, type Stack } from '../test-support/stack.ts';

/**
 * The existing frontend, unchanged, opened through the proxy in a real browser: it signs in
 * with the legacy form and shows the caller's profile, and its dashboard panel is served by
 * the legacy home screen or by the migrated route, whichever the flag says.
 */
let stack: Stack;
let browser: Browser;
let page: Page;
const POLL = { timeout: 10_000 };

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  page = await browser.newPage();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const byTestId = (id: string) => page.getByTestId(id);

describe('the existing frontend through the proxy', () => {
  it('signs in with the legacy form and shows the caller profile', async () => {
    await page.goto(`http://localhost:${stack.proxyPort}/`);
    await expect.poll(() => byTestId('login-form').isVisible(), POLL).toBe(true);
    await byTestId('username').fill('ingrid');
    await byTestId('password').fill('password');
    await byTestId('login-submit').click();
    await expect.poll(() => byTestId('profile').isVisible(), POLL).toBe(true);
    expect(await byTestId('profile-name').textContent()).toBe('Ingrid Solberg');
    expect(await byTestId('profile-role').textContent()).toBe('Teacher');
    // Everything the page asked for went through the proxy, to the legacy API, and came back.
    expect(stack.logs.some((l) => (l.req as { url?: string } | undefined)?.url === '/api/users/profile' && l.servedBy === 'legacy')).toBe(true);
  });

  it('shows the dashboard from the legacy home screen, then from the migrated route after a flag flip', async () => {
    await expect.poll(() => byTestId('dashboard-course').count(), POLL).toBe(5);
    const legacyText = await byTestId('dashboard').textContent();

    stack.setFlags({ 'route.dashboard': { rollout: 100 } });
    await new Promise((r) => setTimeout(r, 2_000));
    await page.reload();
    await expect.poll(() => byTestId('dashboard-course').count(), POLL).toBe(5);
    expect(await byTestId('dashboard').textContent()).toBe(legacyText);
    expect(stack.logs.some((l) => l.route === 'dashboard' && l.servedBy === 'migrated')).toBe(true);
  });
});
