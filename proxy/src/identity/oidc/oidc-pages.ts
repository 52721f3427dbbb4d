import type { Request, Response } from 'express';
import { sendProblem } from '../../edge/problem.ts';

/**
 * What a person sees when organisation sign-in does not work out: what happened and what to
 * do next, as a small HTML page for a browser and as problem+json for scripts. Never a stack
 * trace, never a provider's raw error text.
 */
export interface OidcOutcome {
  slug: string;
  status: number;
  title: string;
  detail: string;
  /** The way on: `[label, path]`. */
  next: [string, string];
}

export function oidcOutcomes(prefix: string) {
  const signIn = `${prefix}/auth/sign-in`;
  const account = `${prefix}/auth/account`;
  const outcome = (slug: string, status: number, title: string, detail: string, next: [string, string]): OidcOutcome => ({
    slug,
    status,
    title,
    detail,
    next,
  });
  return {
    cancelled: () =>
      outcome('cancelled', 400, 'You cancelled sign-in', 'Nothing was changed. You can sign in another way, or try again.', [
        'Back to sign-in',
        signIn,
      ]),
    expired: () =>
      outcome(
        'expired',
        400,
        'This sign-in link has expired, start again',
        'Sign-in links work once and for 10 minutes, in the browser that started them.',
        ['Start again', signIn],
      ),
    providerFailed: () =>
      outcome(
        'provider-error',
        502,
        'Your organisation could not sign you in',
        'The organisation sign-in did not complete. Try again in a moment, or sign in with your passkey.',
        ['Back to sign-in', signIn],
      ),
    unavailable: () =>
      outcome(
        'unavailable',
        503,
        'Organisation sign-in is unavailable right now',
        'We could not reach your organisation. Try again in a moment, or sign in with your passkey.',
        ['Back to sign-in', signIn],
      ),
    unlinked: () =>
      outcome(
        'not-linked',
        403,
        'Your organisation account is not linked yet',
        'We do not know which account of ours this organisation account belongs to, and we never guess from an ' +
          'email address. To link it: sign in with the usual sign-in form first, then choose ' +
          '"Link your organisation account". After that, organisation sign-in works on its own.',
        ['Sign in with the usual form', signIn],
      ),
    linkedElsewhere: () =>
      outcome(
        'linked-to-another-account',
        409,
        'This organisation account belongs to another user',
        'It is already linked to a different account here, so it was not linked to yours. Contact support if this is wrong.',
        ['Back to your account', account],
      ),
    signInFirst: () =>
      outcome(
        'sign-in-first',
        401,
        'Sign in first',
        'To link your organisation account, sign in with the usual sign-in form first, then choose "Link your organisation account".',
        ['Sign in', signIn],
      ),
    badRequest: (detail: string) => outcome('bad-request', 400, 'That did not work', detail, ['Back to sign-in', signIn]),
    linkFromAccountPage: () =>
      outcome(
        'link-from-account-page',
        405,
        'Start linking from your account page',
        'Linking your organisation account starts with the "Link your organisation account" button on your account page.',
        ['Go to your account', account],
      ),
    crossSite: () =>
      outcome('cross-site', 403, 'Refused', 'This request did not come from our own pages.', ['Back to sign-in', signIn]),
    recentSignInRequired: () =>
      outcome(
        'recent-organisation-sign-in-required',
        403,
        'Sign in with your organisation again',
        'Removing your old passkeys needs a sign-in through your organisation in the last 10 minutes.',
        ['Sign in with your organisation', `${prefix}/auth/oidc/start?intent=recover`],
      ),
  };
}

/** Answers with the outcome: problem+json when the client asks for JSON, else an HTML page. */
export function sendOutcome(req: Request, res: Response, outcome: OidcOutcome): void {
  res.setHeader('cache-control', 'no-store');
  const correlationId = headerValue(req.headers['x-correlation-id']);
  if (req.accepts(['html', 'json']) === 'json') {
    sendProblem(
      res,
      { type: `urn:strangler-proxy:oidc:${outcome.slug}`, title: outcome.title, status: outcome.status, detail: outcome.detail },
      correlationId,
    );
    return;
  }
  const reference = correlationId ? `<p class="ref">Reference: ${escapeHtml(correlationId)}</p>` : '';
  res
    .status(outcome.status)
    .type('html')
    .send(
      `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(outcome.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}.ref{color:#666;font-size:.85rem}</style>
</head>
<body>
<h1>${escapeHtml(outcome.title)}</h1>
<p>${escapeHtml(outcome.detail)}</p>
<p><a href="${escapeHtml(outcome.next[1])}">${escapeHtml(outcome.next[0])}</a></p>
${reference}
</body>
</html>`,
    );
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
