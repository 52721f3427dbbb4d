import type { IncomingMessage, ServerResponse } from 'node:http';
import { problems, sendProblem } from '../edge/problem.ts';
import { refuse, stateOf } from '../edge/request-state.ts';

/**
 * How the proxy says "sign in again": page navigations are sent to the sign-in page (and
 * come back afterwards); API calls get 401 problem+json naming the sign-in page. Never a
 * redirect for an API call: a fetch() would follow it and hand the frontend HTML.
 */
export interface Refusals {
  expiredSession(req: IncomingMessage, res: ServerResponse): void;
  afterCutoff(req: IncomingMessage, res: ServerResponse): void;
  unauthenticated(req: IncomingMessage, res: ServerResponse): void;
  /** The legacy API's keys (or its "who am I" endpoint) cannot be reached, so a token cannot be checked: 503, try again shortly. */
  cannotVerify(req: IncomingMessage, res: ServerResponse): void;
  csrf(req: IncomingMessage, res: ServerResponse, reason: string): void;
  /** After the cutoff, a page load with no session: to the sign-in page, and back afterwards. */
  signInFirst(req: IncomingMessage, res: ServerResponse): void;
  /** After the cutoff, the legacy API's own login: a problem pointing at the sign-in page, never a token the proxy then refuses. */
  legacyLoginRetired(req: IncomingMessage, res: ServerResponse): void;
  signInUrl(returnUrl?: string): string;
}

export function createRefusals(opts: { prefix: string; cutoffDate: Date | null; clearCookie: (res: ServerResponse) => void }): Refusals {
  const signIn = `${opts.prefix}/auth/sign-in`;
  const signInUrl = (returnUrl?: string) => (returnUrl ? `${signIn}?returnUrl=${encodeURIComponent(returnUrl)}` : signIn);

  function toSignIn(req: IncomingMessage, res: ServerResponse): boolean {
    if (!isNavigation(req)) return false;
    res.statusCode = 303;
    res.setHeader('Location', signInUrl(req.url));
    res.setHeader('Cache-Control', 'no-store');
    res.end();
    return true;
  }

  return {
    signInUrl,
    expiredSession(req, res) {
      refuse(req, 'session-expired');
      opts.clearCookie(res);
      if (toSignIn(req, res)) return;
      sendProblem(
        res,
        { ...problems.unauthorized('Your session has ended. Sign in again to continue.'), type: 'urn:strangler-proxy:session-expired', signInUrl: signIn },
        stateOf(req).correlationId,
        { 'WWW-Authenticate': `Cookie realm="strangler-proxy", sign-in="${signIn}"` },
      );
    },
    afterCutoff(req, res) {
      refuse(req, 'legacy-token-retired');
      if (toSignIn(req, res)) return;
      const since = opts.cutoffDate?.toISOString().slice(0, 10) ?? 'now';
      sendProblem(
        res,
        {
          ...problems.unauthorized(`Sign-in with the old login is no longer accepted (since ${since}). Sign in with a passkey or your organisation account.`),
          type: 'urn:strangler-proxy:legacy-token-retired',
          signInUrl: signIn,
        },
        stateOf(req).correlationId,
        { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="legacy tokens are no longer accepted; sign in at ${signIn}"` },
      );
    },
    cannotVerify(req, res) {
      refuse(req, 'token-unverifiable');
      sendProblem(
        res,
        {
          ...problems.serviceUnavailable('The proxy cannot verify your sign-in token right now (the legacy API cannot be reached to check it). Try again shortly.'),
          type: 'urn:strangler-proxy:token-unverifiable',
        },
        stateOf(req).correlationId,
        { 'Retry-After': '5' },
      );
    },
    unauthenticated(req, res) {
      refuse(req, 'unauthenticated');
      sendProblem(res, { ...problems.unauthorized(), signInUrl: signIn }, stateOf(req).correlationId, {
        'WWW-Authenticate': `Bearer realm="strangler-proxy", sign-in="${signIn}"`,
      });
    },
    signInFirst(req, res) {
      refuse(req, 'sign-in-required');
      if (toSignIn(req, res)) return;
      sendProblem(res, { ...problems.unauthorized(), signInUrl: signIn }, stateOf(req).correlationId);
    },
    legacyLoginRetired(req, res) {
      refuse(req, 'legacy-login-retired');
      if (toSignIn(req, res)) return;
      const since = opts.cutoffDate?.toISOString().slice(0, 10) ?? 'now';
      sendProblem(
        res,
        {
          ...problems.unauthorized(`This sign-in form is no longer in use (since ${since}). Sign in with a passkey or your organisation account at ${signIn}.`),
          type: 'urn:strangler-proxy:legacy-login-retired',
          signInUrl: signIn,
        },
        stateOf(req).correlationId,
        { 'WWW-Authenticate': `Cookie realm="strangler-proxy", sign-in="${signIn}"` },
      );
    },
    csrf(req, res, reason) {
      refuse(req, 'csrf');
      sendProblem(
        res,
        { ...problems.forbidden('This request came from a page the proxy does not trust, so it was refused.'), type: 'urn:strangler-proxy:csrf', reason },
        stateOf(req).correlationId,
      );
    },
  };
}

/** A top-level page load, as opposed to a fetch() from the frontend. */
export function isNavigation(req: IncomingMessage): boolean {
  const mode = req.headers['sec-fetch-mode'];
  if (mode !== undefined) return mode === 'navigate';
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}
