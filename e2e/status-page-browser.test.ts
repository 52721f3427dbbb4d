import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../test-support/browser.ts';
import { startStack, type Stack } from '../test-support/stack.ts';
import { passkeySession, until } from './status-support.ts';

/**
 * The status page in headless Chromium, signed in as staff (kari's passkey session): the rows
 * and state words show, the styles pass the page's Content-Security-Policy, sorting and the
 * correlation-id form work without JavaScript. Screenshots go to test-artifacts/.
 */
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startStack({ flags: { 'route.dashboard': { rollout: 35, shadow: true }, 'route.course-detail': { rollout: 100 }, 'route.enrollments': {} } }),
    launchBrowser(),
  ]);
  const staff = await passkeySession(stack, 'kari');

  // Some traffic, so the rows have numbers.
  const users = ['ingrid', 'ola', 'kari', 'lars', 'emma', 'nina'];
  for (const user of users) {
    const authorization = `Bearer ${stack.legacy.issueToken(user)}`;
    for (const p of ['/api/dashboard', '/api/courses/c-101', '/api/sessions/s-1001', '/api/users/u-ingrid/profile']) {
      const res = await fetch(`${stack.proxyUrl}${p}`, { headers: { authorization, 'x-correlation-id': `browser-${user}-${p.split('/')[2]}` } });
      await res.arrayBuffer();
    }
  }
  await until(() => {
    const s = stack.proxy.shadowStats.snapshot('dashboard');
    return s.match + s.mismatch + s.error + s.skipped > 0;
  });

  context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.addCookies([{ name: staff.name, value: staff.value, domain: 'localhost', path: '/', httpOnly: true, sameSite: 'Lax' }]);
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const rowIds = () => page.locator('#routes tbody tr th[scope="row"] > a').allTextContents();

describe('the status page in a browser', () => {
  it('shows the routes with their states, the unmigrated traffic and the auth window', async () => {
    const res = await page.goto(`${stack.publicOrigin}/_proxy/status`);
    expect(res?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Migration status');
    expect(await rowIds()).toEqual(['course-detail', 'dashboard', 'enrollments']);
    expect(await page.locator('#row-dashboard .state').textContent()).toBe('canary 35% + shadow');
    expect(await page.locator('#row-course-detail .state').textContent()).toBe('migrated');
    expect(await page.locator('#row-enrollments .state').textContent()).toBe('proxied');
    expect(await page.locator('#row-course-detail td.num').nth(1).textContent()).toBe('6');
    expect(await page.locator('#row-dashboard td.summary').textContent()).toMatch(/^35% of users are served by the new route since at least/);
    expect(await page.locator('#unmigrated tbody').textContent()).toContain('GET /api/sessions/:id');
    expect(await page.locator('#auth-days tbody tr').count()).toBe(1);
    expect(await page.locator('#counters').textContent()).toContain('in memory on this instance only');
    // The inline stylesheet is allowed by its hash: the state badges are styled.
    expect(await page.locator('#row-course-detail .state').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(218, 251, 225)');
    expect(problems).toEqual([]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('form').isVisible()).toBe(false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
  });

  it('sorts by a column through its header link', async () => {
    await page.getByRole('link', { name: 'Target date' }).click();
    expect(new URL(page.url()).search).toBe('?sort=target&dir=asc');
    expect(await rowIds()).toEqual(['dashboard', 'course-detail', 'enrollments']);
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toContain('Target date');
    await page.getByRole('link', { name: 'Target date' }).click();
    expect(await rowIds()).toEqual(['enrollments', 'course-detail', 'dashboard']);
    await page.getByRole('link', { name: 'last 7 days' }).click();
    expect(new URL(page.url()).searchParams.get('window')).toBe('week');
    expect(await rowIds()).toEqual(['enrollments', 'course-detail', 'dashboard']);
  });

  it('answers "which backend served this request?" from the form', async () => {
    await page.getByLabel('Correlation id').fill('browser-emma-courses');
    await page.getByRole('button', { name: 'Look up' }).click();
    const result = page.locator('#lookup-result');
    expect(await result.textContent()).toContain('the new route');
    expect(await result.textContent()).toContain('course-detail');
    expect(await result.textContent()).toContain('GET /api/courses/c-101');
  });
});
