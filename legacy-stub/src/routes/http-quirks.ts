import express, { Router } from 'express';
import { legacyErrors } from '../legacy-error.ts';
import type { StubContext } from '../context.ts';

const TERMS = {
  version: '2024-08',
  title: 'Terms of use',
  text: 'Use the education platform for learning. Be kind. Report problems to your school.',
};
const TERMS_ETAG = `"terms-${TERMS.version}"`;

/**
 * The things real APIs do that a transparent proxy must carry unharmed: absolute
 * Locations to the legacy origin, several Set-Cookie headers, conditional requests,
 * bodiless answers. None of them needs a token.
 */
export function httpQuirkRoutes({ origin, cookieDomain }: StubContext): Router {
  const router = Router();
  const feedback = new Map<string, { id: string; message: string; createdAt: string }>();

  // An old alias kept for old clients: a 302 to the absolute legacy address.
  router.get('/api/me', (_req, res) => {
    res.redirect(302, `${origin()}/api/users/profile`);
  });

  router.post('/api/feedback', express.json({ limit: '10kb' }), (req, res) => {
    const message = (req.body as { message?: unknown } | undefined)?.message;
    if (typeof message !== 'string' || message.length === 0 || message.length > 2000)
      throw legacyErrors.badRequest('A JSON body with "message" (1 to 2000 characters) is required.');
    const item = { id: `f-${feedback.size + 1}`, message, createdAt: new Date().toISOString() };
    feedback.set(item.id, item);
    res.status(201).location(`${origin()}/api/feedback/${item.id}`).json(item);
  });

  router.get('/api/feedback/:id', (req, res) => {
    const item = feedback.get(req.params.id);
    if (!item) throw legacyErrors.notFound(`No feedback with id "${req.params.id}".`);
    res.json(item);
  });

  // Two cookies in one answer, one scoped to the legacy host by Domain: a proxy on another origin must deal with it.
  router.get('/api/preferences', (req, res) => {
    const cookies = parseCookies(req.headers.cookie);
    const lang = cookieWord(cookies.get('legacy_lang')) ?? 'nb';
    const theme = cookieWord(cookies.get('legacy_theme')) ?? 'light';
    res.setHeader('set-cookie', [
      `legacy_lang=${lang}; Domain=${cookieDomain()}; Path=/; Max-Age=31536000; SameSite=Lax`,
      `legacy_theme=${theme}; Path=/; HttpOnly; SameSite=Lax`,
    ]);
    res.json({ lang, theme });
  });

  // Express answers HEAD through this GET route: same headers, no body.
  router.get('/api/terms', (req, res) => {
    res.set({ etag: TERMS_ETAG, 'cache-control': 'no-cache' });
    if (etagMatches(req.headers['if-none-match'], TERMS_ETAG)) {
      res.status(304).end();
      return;
    }
    res.json(TERMS);
  });

  // The frontend's activity beacon: accepted, nothing to say.
  router.post('/api/activity', (req, res) => {
    req.resume();
    req.once('end', () => res.status(204).end());
  });

  return router;
}

/** If-None-Match uses weak comparison: W/"x" matches "x"; `*` matches anything. */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const strip = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || strip(tag) === strip(etag));
}

/** Only plain words are reflected back into Set-Cookie. */
function cookieWord(value: string | undefined): string | undefined {
  return value && /^[A-Za-z0-9_-]{1,20}$/.test(value) ? value : undefined;
}

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const pair of (header ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return cookies;
}
