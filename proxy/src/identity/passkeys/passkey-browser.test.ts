import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { addVirtualAuthenticator, launchBrowser } from '../../../../test-support/browser.ts';
import { startPasskeyTestApp, type PasskeyTestApp } from './passkey-test-app.ts';

/**
 * A real browser on the real pages: Chromium with a virtual platform authenticator, at
 * http://localhost:PORT (RP ID 'localhost'). An existing user of the legacy frontend (token in
 * localStorage) adds a passkey, and later signs in with it alone.
 */
let app: PasskeyTestApp;
let launched: Promise<Browser> | undefined;

beforeAll(async () => {
  app = await startPasskeyTestApp();
});

afterAll(async () => {
  await (await launched?.catch(() => undefined))?.close();
  await app?.stop();
});

/** Launched inside each test, so a missing Chromium fails every test rather than skipping them. */
async function freshPage() {
  const browser = await (launched ??= launchBrowser());
  const context = await browser.newContext();
  const page = await context.newPage();
  return { context, page, authenticator: await addVirtualAuthenticator(page) };
}

const auth = (path: string) => `${app.origin}/_proxy/auth${path}`;
const status = (page: Page) => page.getByTestId('auth-status');
const me = (page: Page) =>
  page.evaluate(async () => {
    const res = await fetch('/_proxy/auth/me');
    return { status: res.status, body: await res.json() };
  });

/** As a user of the legacy frontend (its token in localStorage), adds a passkey on /account. */
async function addPasskeyAsLegacyUser(page: Page, token: string, name: string) {
  await page.goto(auth('/account'));
  await page.evaluate((t) => localStorage.setItem('legacyToken', t), token);
  await page.reload();
  await page.getByLabel('Name for the new passkey').fill(name);
  await page.getByTestId('passkey-register').click();
  await expect.poll(() => status(page).textContent()).toBe(`Passkey “${name}” added. You can now use it to sign in.`);
  await page.evaluate(() => localStorage.removeItem('legacyToken')); // the legacy app signs out
}

async function signInWithPasskey(page: Page) {
  await page.goto(auth(`/sign-in?returnUrl=${encodeURIComponent('/_proxy/auth/account')}`));
  await page.getByTestId('passkey-sign-in').click();
  await page.waitForURL(auth('/account'));
}

describe('passkeys in a browser', () => {
  it('a legacy-frontend user adds a passkey, signs out, and signs in with the passkey alone', async () => {
    const { context, page, authenticator } = await freshPage();
    await page.goto(auth('/account'));
    await expect.poll(() => status(page).textContent()).toBe('You need to be signed in to do this. Sign in, then try again.');
    await page.evaluate(() => localStorage.setItem('legacyToken', 'legacy-alice'));
    await page.reload();
    await expect.poll(() => status(page).textContent()).toBe('Signed in as alice through the existing app.');

    await page.getByLabel('Name for the new passkey').fill('Test laptop');
    await page.getByTestId('passkey-register').click();
    await expect.poll(() => status(page).textContent()).toBe('Passkey “Test laptop” added. You can now use it to sign in.');
    const items = page.getByTestId('passkey-list').getByTestId('passkey-item');
    await expect.poll(() => items.count()).toBe(1);
    expect(await items.first().locator('h3').textContent()).toBe('Test laptop');
    const held = await authenticator.credentials();
    expect(held).toHaveLength(1);
    expect(held[0]!.isResidentCredential).toBe(true);
    expect(await items.first().getAttribute('data-id')).toBe(held[0]!.credentialId);

    // A second passkey on the same device: explained, not a crash.
    await page.getByTestId('passkey-register').click();
    await expect.poll(() => page.getByTestId('auth-error').textContent()).toMatch(/^This device already has a passkey for your account/);
    expect(await page.getByTestId('auth-error').isVisible()).toBe(true);
    expect(await authenticator.credentials()).toHaveLength(1);

    // The legacy app signs out; the passkey alone signs in, username-less.
    await page.evaluate(() => localStorage.removeItem('legacyToken'));
    await signInWithPasskey(page);
    await expect.poll(() => status(page).textContent()).toBe('Signed in as alice.');
    expect(await items.first().textContent()).toContain('You signed in with this passkey.');
    expect(await me(page)).toMatchObject({ status: 200, body: { userId: 'u-alice', username: 'alice', via: 'session', authMethod: 'passkey' } });
    expect((await context.cookies()).find((c) => c.name === 'sp_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    const item = items.first();
    await item.getByLabel('New name for “Test laptop”').fill('Work laptop');
    await item.getByTestId('passkey-rename').click();
    await expect.poll(() => status(page).textContent()).toBe('Renamed to “Work laptop”.');
    await expect.poll(() => items.first().locator('h3').textContent()).toBe('Work laptop');

    await page.getByTestId('sign-out').click();
    await expect.poll(() => status(page).textContent()).toBe('You are signed out.');
    expect((await me(page)).status).toBe(401);

    await signInWithPasskey(page);
    expect((await me(page)).body).toMatchObject({ userId: 'u-alice', via: 'session', authMethod: 'passkey' });
    await context.close();
  });

  it('deleting the passkey you signed in with signs you out, and it no longer signs in', async () => {
    const { context, page } = await freshPage();
    await addPasskeyAsLegacyUser(page, 'legacy-bob', 'Bob’s phone');
    await signInWithPasskey(page);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId('passkey-delete').click();
    await expect.poll(() => status(page).textContent()).toBe('Passkey “Bob’s phone” deleted. You signed in with it, so you have been signed out.');
    expect((await me(page)).status).toBe(401);

    // The device still holds it; the server says it is not registered, in words.
    await page.goto(auth('/sign-in'));
    await page.getByTestId('passkey-sign-in').click();
    await expect.poll(() => page.getByTestId('auth-error').textContent()).toMatch(/^This passkey is not registered with us/);
    await context.close();
  });

  it('a failed user verification reads as a cancelled sign-in with a way forward', async () => {
    const { context, page, authenticator } = await freshPage();
    await addPasskeyAsLegacyUser(page, 'legacy-alice', 'Desk');
    await authenticator.cdp.send('WebAuthn.setUserVerified', { authenticatorId: authenticator.id, isUserVerified: false });
    await page.goto(auth('/sign-in'));
    await page.getByTestId('passkey-sign-in').click();
    await expect.poll(() => page.getByTestId('auth-error').textContent(), { timeout: 20_000 }).toBe(
      'Signing in was cancelled or timed out. Try again when you are ready, or sign in with your organisation.',
    );
    expect((await me(page)).status).toBe(401);
    await context.close();
  });
});
