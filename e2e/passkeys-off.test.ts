import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentityProvider, type IdentityProvider } from '../legacy-stub/src/identity-provider/server.ts';
import { createTestBrowser } from '../legacy-stub/src/identity-provider/test-browser.ts';
import { startLegacyStub, type LegacyStub } from '../legacy-stub/src/server.ts';
import { launchBrowser } from '../test-support/browser.ts';
import { reservePort } from '../test-support/free-port.ts';
import { runProxyToExit, startProxyProcess, type ProxyProcess } from '../test-support/proxy-process.ts';
import { startStack, type Stack } from '../test-support/stack.ts';

/**
 * A public URL on an IP address (PUBLIC_URL=http://127.0.0.1:18080) is no WebAuthn RP ID. The
 * proxy starts anyway, with passkeys off and one warning naming RP_ID; the passkey API says so;
 * the sign-in page does not offer them; organisation sign-in and legacy tokens work as before.
 */
let legacy: LegacyStub;
let proxy: ProxyProcess;

beforeAll(async () => {
  legacy = await startLegacyStub({ quiet: true });
  proxy = await startProxyProcess({
    LEGACY_URL: legacy.url,
    PUBLIC_URL: 'http://127.0.0.1:18080',
    // Organisation sign-in is on (offered on the page); its provider is not reached here.
    OIDC_ISSUER: 'http://127.0.0.1:9',
    OIDC_CLIENT_SECRET: 'passkeys-off-secret',
  });
});
afterAll(async () => {
  await proxy?.stop();
  await legacy?.close();
});

const origin = 'http://127.0.0.1:18080';
const call = (path: string, init: RequestInit = {}) =>
  fetch(`${proxy.url}/_proxy/auth${path}`, { ...init, headers: { origin, 'content-type': 'application/json', ...init.headers } });

describe('passkeys off: a public URL on an IP address', () => {
  it('starts, with one warning that names RP_ID', () => {
    const lines = proxy.output().split('\n');
    const warnings = lines.filter((l) => /passkeys are off/.test(l));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, msg: expect.stringMatching(/IP address.*set RP_ID to the site's host name/) });
    expect(lines.filter((l) => l.includes('RP_ID'))).toHaveLength(1);
  });

  it('answers the passkey API with a 404 problem that says passkeys are off and how to turn them on', async () => {
    for (const [method, path] of [
      ['POST', '/passkeys/authenticate/options'],
      ['POST', '/passkeys/register/options'],
      ['GET', '/passkeys'],
      ['DELETE', '/passkeys/abc'],
    ] as const) {
      const res = await call(path, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const body = await res.json();
      expect(body).toMatchObject({ type: 'urn:strangler-proxy:passkey:off', title: 'Passkeys are off', status: 404, correlationId: res.headers.get('x-correlation-id') });
      expect(body.detail).toMatch(/Sign in with your organisation instead.*RP_ID/);
    }
    // Not only for our own pages: a script without an Origin learns the same.
    expect((await fetch(`${proxy.url}/_proxy/auth/passkeys/authenticate/options`, { method: 'POST' })).status).toBe(404);
  });

  it('offers organisation sign-in, and no passkey, on the sign-in page', async () => {
    const html = await (await call('/sign-in')).text();
    expect(html).not.toContain('data-testid="passkey-sign-in"');
    expect(html).toContain('data-testid="oidc-sign-in"');
  });

  it('keeps /me, sign-out and legacy tokens working', async () => {
    const token = legacy.issueToken('ingrid');
    const me = await call('/me', { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ userId: 'u-ingrid', via: 'legacy-jwt' });
    expect((await call('/sign-out', { method: 'POST' })).status).toBe(204);
    const profile = await fetch(`${proxy.url}/api/users/profile`, { headers: { authorization: `Bearer ${token}` } });
    expect(profile.status).toBe(200);
    expect((await profile.json()).id).toBe('u-ingrid');
  });

  it('still refuses an explicit RP_ID that is an IP address, naming RP_ID', async () => {
    const r = await runProxyToExit({ LEGACY_URL: legacy.url, RP_ID: '127.0.0.1' });
    expect(r.code).toBe(1);
    expect(r.output).toContain('RP_ID="127.0.0.1": an IP address is not a valid WebAuthn RP ID');
  });
});

describe('passkeys off: organisation sign-in end to end', () => {
  let idp: IdentityProvider;
  let stack: Stack;
  beforeAll(async () => {
    const reserved = await reservePort();
    const ipOrigin = `http://127.0.0.1:${reserved.port}`;
    idp = await startIdentityProvider({
      clients: [
        {
          client_id: 'strangler-proxy',
          client_secret: 'passkeys-off-secret',
          redirect_uris: [`${ipOrigin}/_proxy/auth/oidc/callback`],
          post_logout_redirect_uris: [`${ipOrigin}/_proxy/auth/sign-in`],
        },
      ],
    });
    stack = await startStack({ reserved, env: { PUBLIC_URL: ipOrigin, OIDC_ISSUER: idp.issuer, OIDC_CLIENT_SECRET: 'passkeys-off-secret' } });
  }, 30_000);
  afterAll(async () => {
    await stack?.stop();
    await idp?.close();
  });

  it('signs in with the organisation on the IP origin; the session reaches the legacy API with a minted token', async () => {
    const ipOrigin = stack.proxyUrl;
    const isCallback = (url: string) => url.startsWith(`${ipOrigin}/_proxy/auth/oidc/callback`);
    const b = createTestBrowser();
    const signInPage = await b.fetch(`${ipOrigin}/_proxy/auth/sign-in`);
    const start = /data-testid="oidc-sign-in" href="([^"]+)"/.exec(signInPage.body)![1]!.replace(/&#38;/g, '&');
    let page = await b.go(new URL(start, ipOrigin).href, isCallback);
    if (!page.location) page = await b.submit(page, { username: 'ingrid', password: 'password' }, isCallback);
    expect(page.location && isCallback(page.location)).toBe(true);
    const back = await b.fetch(page.location!);
    expect(back.status).toBe(303);

    const me = await b.fetch(`${ipOrigin}/_proxy/auth/me`);
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body)).toMatchObject({ userId: 'u-ingrid', via: 'session', authMethod: 'oidc' });
    const profile = await b.fetch(`${ipOrigin}/api/users/profile`);
    expect(profile.status).toBe(200);
    expect(JSON.parse(profile.body).id).toBe('u-ingrid');
    expect(stack.logs.filter((l) => /passkeys are off/.test(String(l.msg)))).toHaveLength(1);
  });

  it('in a browser: the pages work without passkeys, from sign-in to the account page and out', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${stack.proxyUrl}/_proxy/auth/sign-in?returnUrl=${encodeURIComponent('/_proxy/auth/account')}`);
      expect(await page.getByTestId('passkey-sign-in').count()).toBe(0);
      await page.getByTestId('oidc-sign-in').click();
      await page.getByLabel(/username/i).fill('ola');
      await page.getByLabel(/password/i).fill('password');
      await page.getByRole('button', { name: /sign in/i }).click();
      await page.waitForURL(`${stack.proxyUrl}/_proxy/auth/account`);
      await expect.poll(() => page.getByTestId('auth-status').textContent(), { timeout: 10_000 }).toMatch(/^Signed in as /);
      expect(await page.getByTestId('passkey-register').count()).toBe(0);
      await page.getByTestId('sign-out').click();
      await expect.poll(() => page.getByTestId('auth-status').textContent(), { timeout: 10_000 }).toBe('You are signed out.');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
