import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser } from 'playwright-core';
import { startIdentityProvider, type IdentityProvider } from '../legacy-stub/src/identity-provider/server.ts';
import { createTestBrowser } from '../legacy-stub/src/identity-provider/test-browser.ts';
import { generateDevKeyPair } from '../proxy/src/identity/legacy-jwt/mint-legacy-token.ts';
import { launchBrowser } from '../test-support/browser.ts';
import { reservePort } from '../test-support/free-port.ts';
import { passkeySession } from '../test-support/passkey-session.ts';
import { rawRequest } from '../test-support/raw-http.ts';
import { startRedis, type RedisHandle } from '../test-support/redis-server.ts';
import { startProxy, startStack, type ProxyInFront, type Stack } from '../test-support/stack.ts';

/**
 * Recovery through the organisation, end to end: a real OpenID Provider (oidc-provider), two
 * proxy instances sharing one real Redis, and the person in headless Chromium. Emma's lost
 * device is still signed in twice (a passkey session made on instance A, an organisation
 * sign-in made on instance B). On a new browser she gets back in through her organisation,
 * lands on the account page, and signs out every other session: the lost device's sessions
 * end on both instances, hers here stays, and nobody else's changes.
 */
const REDIRECT = '/_proxy/auth/oidc/callback';
const POLL = { timeout: 10_000 };

let redis: RedisHandle;
let idp: IdentityProvider;
let a: Stack;
let b: ProxyInFront;
let browser: Browser;
/** PUBLIC_URL of both instances: the origin a browser uses, served by A. */
let origin: string;

beforeAll(async () => {
  const reserved = await reservePort(); // A's, held until it listens: the redirect URI names it
  origin = `http://localhost:${reserved.port}`;
  const secret = 'recovery-e2e-client-secret';
  [redis, idp] = await Promise.all([
    startRedis(),
    startIdentityProvider({
      issuerHost: 'localhost',
      clients: [
        {
          client_id: 'strangler-proxy',
          client_secret: secret,
          redirect_uris: [`${origin}${REDIRECT}`],
          post_logout_redirect_uris: [`${origin}/_proxy/auth/sign-in`],
        },
      ],
    }),
  ]);
  // One minting key for both instances, so the legacy stand-in accepts what either sends.
  const mint = await generateDevKeyPair('recovery-mint-key');
  const env = {
    REDIS_URL: redis.url,
    PUBLIC_URL: origin,
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_SECRET: secret,
    MINT_PRIVATE_KEY: mint.privateKeyPem,
    MINT_KEY_ID: 'recovery-mint-key',
    AUTH_RATE_LIMIT_PER_MIN: '120',
  };
  a = await startStack({ reserved, env, legacy: { trustedKeys: [mint.publicJwk] } });
  [b, browser] = await Promise.all([startProxy({ legacyUrl: a.legacy.url, env }), launchBrowser()]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await Promise.allSettled([b?.stop(), a?.stop()]);
  await Promise.allSettled([idp?.close(), redis?.stop()]);
});

/** A proxied legacy call, as the unchanged frontend makes it: 200 with a live session. */
const profile = (proxy: { proxyPort: number }, cookie: string) =>
  rawRequest({
    port: proxy.proxyPort,
    path: '/api/users/profile',
    headers: ['Host', `localhost:${proxy.proxyPort}`, 'Cookie', cookie, 'Accept', 'application/json'],
  });

/** The recovery view's action, sent by hand: from our own origin, JSON, as the account page sends it. */
function signOutOthers(
  proxy: { proxyPort: number },
  credential: string[],
  { body = '{"keepThisSession":true}', type = 'application/json', from = origin } = {},
) {
  return rawRequest({
    port: proxy.proxyPort,
    method: 'POST',
    path: '/_proxy/auth/sign-out-everywhere',
    headers: ['Host', `localhost:${proxy.proxyPort}`, 'Origin', from, 'Content-Type', type, 'Accept', 'application/json', ...credential],
    body,
  });
}

/** An organisation sign-in over plain HTTP (its own cookie jar), started at `startAt`; returns the session cookie. */
async function organisationSignIn(startAt: { proxyPort: number }, username: string, intent = 'signin'): Promise<string> {
  const jar = createTestBrowser();
  const isCallback = (url: string) => url.startsWith(`${origin}${REDIRECT}`);
  let page = await jar.go(`http://localhost:${startAt.proxyPort}/_proxy/auth/oidc/start?intent=${intent}`, isCallback);
  if (!page.location) page = await jar.submit(page, { username, password: 'password' }, isCallback);
  expect(page.location && isCallback(page.location)).toBe(true);
  const back = await jar.fetch(page.location!);
  expect(back.status).toBe(303);
  return `sp_session=${jar.cookie('localhost', 'sp_session')}`;
}

const problemOf = (res: { body: Buffer }) => JSON.parse(res.body.toString()) as Record<string, unknown>;
const sidOf = (cookie: string) => decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.')[0]!;

describe('recovery through the organisation offers "sign out every other session"', () => {
  it("ends the lost device's sessions on every instance, keeps this one, and says how many", async () => {
    // The lost device: a passkey session (made on A) and an organisation sign-in (started on B).
    const lostPasskey = (await passkeySession(a, a.legacy.issueToken('emma'))).cookie;
    const lostOrganisation = await organisationSignIn(b, 'emma');
    const someoneElse = (await passkeySession(a, a.legacy.issueToken('ola'))).cookie;
    for (const proxy of [a, b]) {
      for (const cookie of [lostPasskey, lostOrganisation, someoneElse]) expect((await profile(proxy, cookie)).status).toBe(200);
    }

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/_proxy/auth/oidc/start?intent=recover`);
    await page.waitForURL(new RegExp(`^${idp.issuer}`), POLL);
    await page.getByLabel(/username/i).fill('emma');
    await page.getByLabel(/password/i).fill('password');
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.waitForURL(`${origin}/_proxy/auth/account?recovered=1`, POLL);

    // The offer, beside removing the old passkeys.
    const offer = page.getByTestId('sign-out-others');
    await expect.poll(() => offer.isVisible(), POLL).toBe(true);
    expect(await page.getByTestId('passkey-revoke-all').isVisible()).toBe(true);
    const answer = page.waitForResponse((r) => r.url().endsWith('/_proxy/auth/sign-out-everywhere'));
    await offer.click();
    expect(await (await answer).json()).toEqual({ endedSessions: 2, keptThisSession: true });
    await expect.poll(() => page.getByTestId('auth-status').textContent(), POLL).toBe('2 other sessions were ended. You are still signed in here.');

    const here = (await context.cookies()).find((c) => c.name === 'sp_session');
    expect(here).toBeDefined();
    const hereCookie = `sp_session=${here!.value}`;
    for (const proxy of [b, a]) {
      for (const lost of [lostPasskey, lostOrganisation]) {
        const refused = await profile(proxy, lost);
        expect(refused.status).toBe(401);
        expect(problemOf(refused).type).toBe('urn:strangler-proxy:session-expired');
      }
      expect((await profile(proxy, hereCookie)).status).toBe(200);
      expect((await profile(proxy, someoneElse)).status).toBe(200);
    }
    // The page itself still knows her after a reload.
    await page.reload();
    await expect.poll(() => page.getByTestId('sign-out').isVisible(), POLL).toBe(true);
    await context.close();

    const logged = a.logs.find((l) => l.msg === 'signed out everywhere else');
    expect(logged).toMatchObject({ userId: 'u-emma', endedSessions: 2, keptThisSession: true });
    for (const cookie of [hereCookie, lostPasskey, lostOrganisation]) {
      expect(a.logText()).not.toContain(sidOf(cookie));
      expect(b.logText()).not.toContain(sidOf(cookie));
    }
  });

  it('is refused without a recent organisation sign-in (problem+json), and then nothing ends', async () => {
    const passkey = (await passkeySession(a, a.legacy.issueToken('kari'))).cookie;
    const fromPasskey = await signOutOthers(b, ['Cookie', passkey]);
    expect(fromPasskey.status).toBe(403);
    expect(fromPasskey.headers['content-type']).toBe('application/problem+json');
    expect(problemOf(fromPasskey)).toMatchObject({
      type: 'urn:strangler-proxy:oidc:recent-organisation-sign-in-required',
      signInUrl: '/_proxy/auth/oidc/start?intent=recover',
      correlationId: expect.any(String),
    });

    // A legacy token proves no sign-in through the organisation either.
    const byToken = await signOutOthers(a, ['Authorization', `Bearer ${a.legacy.issueToken('kari')}`]);
    expect(byToken.status).toBe(403);
    expect(problemOf(byToken).type).toBe('urn:strangler-proxy:oidc:recent-organisation-sign-in-required');

    // Guarded like every account action: another site's page, or a misspelt option, changes nothing.
    // (An organisation sign-in older than 10 minutes is refused too: oidc-linking.test.ts moves the clock.)
    const organisation = await organisationSignIn(a, 'kari', 'recover');
    const forged = await signOutOthers(a, ['Cookie', organisation], { from: 'https://evil.example' });
    expect(forged.status).toBe(403);
    expect(forged.headers['content-type']).toBe('application/problem+json');
    for (const bad of [{ body: '{"keepThisSesion":true}' }, { body: 'keepThisSession=1', type: 'application/x-www-form-urlencoded' }]) {
      const refused = await signOutOthers(a, ['Cookie', organisation], bad);
      expect(refused.status).toBe(400);
      expect(refused.headers['content-type']).toBe('application/problem+json');
    }

    for (const proxy of [a, b]) {
      expect((await profile(proxy, passkey)).status).toBe(200);
      expect((await profile(proxy, organisation)).status).toBe(200);
    }
  });
});
