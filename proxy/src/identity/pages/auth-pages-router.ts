import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import express, { type Response, type Router } from 'express';
import { DEFAULT_PAGE_CREDENTIAL, type PageCredential } from './page-credential.ts';
import { safeReturnUrl } from './return-url.ts';

export { safeReturnUrl } from './return-url.ts';

export interface AuthPagesDeps {
  /** The reserved prefix, e.g. '/_proxy'; the router is mounted at `${prefix}/auth`. */
  prefix: string;
  /** Offer "Sign in with your organisation" (the OIDC router serves `${prefix}/auth/oidc/start`). */
  oidcEnabled: boolean;
  /** Offer passkeys (off when the public URL is on an IP address). Default true. */
  passkeysEnabled?: boolean;
  /** Where the existing frontend keeps its legacy token, and how to send it (LEGACY_TOKEN_BROWSER_STORAGE). */
  legacyCredential?: PageCredential;
}

const ASSETS = new URL('./assets/', import.meta.url);
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

// Pages take no inline script or style: everything comes from /assets, so the policy can forbid the
// rest. No form-action: Chromium applies it to redirects too, and the organisation-link form's
// POST is answered with a redirect to the identity provider.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // The page URL carries returnUrl: keep it out of other sites' logs.
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * The sign-in and account pages, plain HTML with small ES-module scripts (no build step):
 *   GET /sign-in?returnUrl=   GET /account   GET /assets/<file>
 * Values reach the page's script through data- attributes on <body>, HTML-escaped.
 */
export function createAuthPagesRouter(deps: AuthPagesDeps): Router {
  const base = `${deps.prefix}/auth`;
  // Read once at start-up: a file list fixed at build time is also the whitelist of what /assets serves.
  const assets = new Map(
    readdirSync(ASSETS)
      .filter((name) => TYPES[extname(name)] && !name.endsWith('.html'))
      .map((name) => [name, readFileSync(new URL(name, ASSETS), 'utf8')] as const),
  );
  const signInTemplate = readFileSync(new URL('sign-in.html', ASSETS), 'utf8');
  const accountTemplate = readFileSync(new URL('account.html', ASSETS), 'utf8');

  const passkeys = deps.passkeysEnabled ?? true;
  const sections = { oidc: deps.oidcEnabled, passkeys, 'no-method': !deps.oidcEnabled && !passkeys };
  const flags = { oidc: String(deps.oidcEnabled), passkeys: String(passkeys) };
  const credential = tokenAttributes(deps.legacyCredential ?? DEFAULT_PAGE_CREDENTIAL);

  const router = express.Router();
  router.get('/sign-in', (req, res) => {
    const returnUrl = safeReturnUrl(req.query['returnUrl']);
    const oidcStart = `${base}/oidc/start?returnUrl=${encodeURIComponent(returnUrl)}`;
    sendPage(res, fill(signInTemplate, { base, returnUrl, oidcStart, ...flags }, sections));
  });
  router.get('/account', (_req, res) => {
    const signIn = `${base}/sign-in?returnUrl=${encodeURIComponent(`${base}/account`)}`;
    sendPage(res, fill(accountTemplate, { base, signIn, ...flags, ...credential }, sections));
  });
  router.get('/assets/:file', (req, res, next) => {
    const body = assets.get(req.params.file);
    if (body === undefined) return next();
    res.setHeader('content-type', TYPES[extname(req.params.file)]!);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cache-control', 'no-cache');
    res.send(body);
  });
  return router;
}

/** Places and names only, never a token: the page reads the token itself, where the frontend left it. */
function tokenAttributes(credential: PageCredential): Record<string, string> {
  if (credential.storage === 'none') return { tokenStorage: 'none', tokenKey: '', tokenHeader: '', tokenScheme: '' };
  return { tokenStorage: credential.storage, tokenKey: credential.key, tokenHeader: credential.header, tokenScheme: credential.scheme ?? '' };
}

function sendPage(res: Response, html: string): void {
  res.set(PAGE_HEADERS).type('html').send(html);
}

/**
 * `{{name}}` -> escaped value; `<!--name-->...<!--/name-->` kept only when `sections[name]`
 * (`oidc`: organisation sign-in is on; `passkeys`: passkeys are on; `no-method`: neither).
 */
function fill(template: string, values: Record<string, string>, sections: Record<string, boolean>): string {
  const keep = (html: string): string =>
    html.replace(/<!--([a-z-]+)-->([\s\S]*?)<!--\/\1-->/g, (_m, name: string, inner: string) => {
      if (!(name in sections)) throw new Error(`page template has an unknown section <!--${name}-->`);
      return sections[name] ? keep(inner) : '';
    });
  return keep(template).replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`page template needs a value for {{${key}}}`);
    return escapeHtml(value);
  });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
