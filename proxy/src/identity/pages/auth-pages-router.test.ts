import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthPagesRouter } from './auth-pages-router.ts';
import type { PageCredential } from './page-credential.ts';

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function start(oidcEnabled: boolean, passkeysEnabled = true, legacyCredential?: PageCredential): Promise<string> {
  const app = express();
  app.use('/_proxy/auth', createAuthPagesRouter({ prefix: '/_proxy', oidcEnabled, passkeysEnabled, legacyCredential }));
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/_proxy/auth`;
}

describe('auth pages', () => {
  it('serve the sign-in page with a strict CSP, no inline script, and the sanitised returnUrl', async () => {
    const base = await start(true);
    const res = await fetch(`${base}/sign-in?returnUrl=${encodeURIComponent('/courses?a=1&b="<x>"')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('data-return-url="/courses?a=1&#38;b=&#34;&#60;x&#62;&#34;"');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is a file
    expect(html).toContain('<h1>Sign in</h1>');
    expect(html).toContain('href="/_proxy/auth/oidc/start?intent=recover"');
    expect(html).toContain('data-testid="passkey-sign-in"');
    expect(html).toMatch(/<label for="username">/);
    expect(html).toContain(`href="/_proxy/auth/oidc/start?returnUrl=${encodeURIComponent('/courses?a=1&b="<x>"').replace(/&/g, '&#38;')}"`);
  });

  it('turn a foreign returnUrl into "/" and leave out the organisation option when OIDC is off', async () => {
    const base = await start(false);
    const html = await (await fetch(`${base}/sign-in?returnUrl=https://evil.example`)).text();
    expect(html).toContain('data-return-url="/"');
    expect(html).not.toContain('oidc/start');
    expect(html).not.toContain('Sign in with your organisation');
  });

  it('serve the account page with the controls the tests and people need', async () => {
    const base = await start(true);
    const html = await (await fetch(`${base}/account`)).text();
    for (const id of ['passkey-list', 'passkey-register', 'sign-out', 'auth-error', 'auth-status']) {
      expect(html).toContain(`data-testid="${id}"`);
    }
    expect(html).toContain(`href="/_proxy/auth/sign-in?returnUrl=%2F_proxy%2Fauth%2Faccount"`);
    expect(html).toContain('<form method="post" action="/_proxy/auth/oidc/start">');
    expect(html).toContain('action="/_proxy/auth/oidc/recover/revoke-passkeys"');
    const without = await (await fetch(`${await start(false)}/account`)).text();
    expect(without).not.toContain('/oidc/');
    expect(without).toContain('data-testid="passkey-register"');
  });

  it('offer no passkey when passkeys are off: organisation sign-in alone, or a plain word when there is none', async () => {
    const html = await (await fetch(`${await start(true, false)}/sign-in`)).text();
    expect(html).not.toContain('data-testid="passkey-sign-in"');
    expect(html.replace('data-passkeys="false"', '')).not.toMatch(/passkey/i); // not a word of them
    expect(html).toContain('data-testid="oidc-sign-in"');
    expect(html).not.toContain('no-sign-in-method');
    expect(html).toContain('data-passkeys="false"');

    const neither = await (await fetch(`${await start(false, false)}/sign-in`)).text();
    expect(neither).not.toContain('passkey-sign-in');
    expect(neither).not.toContain('oidc/start');
    expect(neither).toContain('data-testid="no-sign-in-method"');
    expect(await (await fetch(`${await start(true)}/sign-in`)).text()).not.toContain('no-sign-in-method');

    const account = await (await fetch(`${await start(true, false)}/account`)).text();
    for (const id of ['passkey-list', 'passkey-register', 'passkey-revoke-all']) expect(account).not.toContain(`data-testid="${id}"`);
    for (const id of ['oidc-link', 'sign-out']) expect(account).toContain(`data-testid="${id}"`);
  });

  it('tell the account page where the existing frontend keeps its token and how to send it; never a token', async () => {
    const bodyOf = async (credential?: PageCredential) => /<body[^>]*>/.exec(await (await fetch(`${await start(false, true, credential)}/account`)).text())![0];
    const standIn = await bodyOf();
    expect(standIn).toContain('data-token-storage="localStorage" data-token-key="legacyToken" data-token-header="Authorization" data-token-scheme="Bearer"');

    const conduit = await bodyOf({ storage: 'localStorage', key: 'jwt', header: 'Authorization', scheme: 'Token' });
    expect(conduit).toContain('data-token-storage="localStorage" data-token-key="jwt" data-token-header="Authorization" data-token-scheme="Token"');

    const ownHeader = await bodyOf({ storage: 'sessionStorage', key: 'persist:"auth"', header: 'x-auth-token', scheme: undefined });
    expect(ownHeader).toContain('data-token-storage="sessionStorage" data-token-key="persist:&#34;auth&#34;" data-token-header="x-auth-token" data-token-scheme=""');

    expect(await bodyOf({ storage: 'none' })).toContain('data-token-storage="none" data-token-key="" data-token-header="" data-token-scheme=""');
  });

  it('serve the page scripts and styles, and nothing else from the assets folder', async () => {
    const base = await start(true);
    const js = await fetch(`${base}/assets/passkeys.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toContain('export function toB64url');
    expect((await fetch(`${base}/assets/auth.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const path of ['/assets/sign-in.html', '/assets/..%2Fauth-pages-router.ts', '/assets/nope.js']) {
      expect((await fetch(`${base}${path}`)).status).toBe(404);
    }
  });
});
