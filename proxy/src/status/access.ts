import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { problems, sendProblem } from '../edge/problem.ts';
import { stateOf } from '../edge/request-state.ts';
import { isNavigation, type Refusals } from '../identity/refusals.ts';
import type { SessionUser, Sessions } from '../identity/sessions/sessions.ts';

export type StatusGrant = { via: 'token' } | { via: 'session'; userId: string };

export interface StatusAccessOptions {
  sessions: Pick<Sessions, 'carriesCookie' | 'current'>;
  refusals: Pick<Refusals, 'expiredSession' | 'signInUrl'>;
  /** Compared case-insensitively with the session's roles (legacy roles and the identity provider's). */
  staffRoles: readonly string[];
  /** Legacy user ids or usernames that are staff whatever their roles. */
  staffUsers: readonly string[];
  /** For scripts: `Authorization: Bearer <token>`. Undefined: no token opens the page. */
  token: string | undefined;
}

/** Resolves with the grant, or null after answering the refusal itself. */
export type StatusAccess = (req: IncomingMessage, res: ServerResponse) => Promise<StatusGrant | null>;

const REALM = 'Bearer realm="strangler-proxy-status"';

/**
 * Who may read the status page and API: a signed-in session of a staff member (a staff role,
 * or a listed user), or a script with the status token. A legacy JWT is never enough: the page
 * belongs to the proxy and sits behind its own sign-in. Not signed in: 401 (a page load goes
 * to the sign-in page instead); signed in but not staff: 403.
 */
export function createStatusAccess(opts: StatusAccessOptions): StatusAccess {
  const roles = new Set(opts.staffRoles.map((r) => r.toLowerCase()));
  const users = new Set(opts.staffUsers);
  const tokenDigest = opts.token === undefined ? null : digest(opts.token);

  const isStaff = (user: SessionUser) =>
    users.has(user.userId) ||
    (user.username !== undefined && users.has(user.username)) ||
    [...user.roles, ...(user.providerRoles ?? [])].some((r) => roles.has(r.toLowerCase()));

  return async (req, res) => {
    const correlationId = stateOf(req).correlationId;
    const bearer = bearerToken(req.headers.authorization);
    // Digests of equal length, so the comparison takes the same time whatever was sent.
    if (bearer !== null && tokenDigest !== null && timingSafeEqual(digest(bearer), tokenDigest)) return { via: 'token' };

    if (opts.sessions.carriesCookie(req)) {
      const user = await opts.sessions.current(req, res);
      if (!user) {
        opts.refusals.expiredSession(req, res);
        return null;
      }
      if (isStaff(user)) return { via: 'session', userId: user.userId };
      sendProblem(res, problems.forbidden('The migration status is for staff. Your account does not have a staff role.'), correlationId);
      return null;
    }

    if (bearer !== null) {
      // A legacy JWT or a wrong status token: neither opens the page, and which one it was is not said.
      sendProblem(
        res,
        { ...problems.unauthorized('This bearer token does not open the status page. Scripts use the status token; people sign in as staff.'), signInUrl: opts.refusals.signInUrl() },
        correlationId,
        { 'WWW-Authenticate': `${REALM}, error="invalid_token"` },
      );
      return null;
    }
    if (isNavigation(req)) {
      res.statusCode = 303;
      res.setHeader('Location', opts.refusals.signInUrl((req as { originalUrl?: string }).originalUrl ?? req.url));
      res.setHeader('Cache-Control', 'no-store');
      res.end();
      return null;
    }
    sendProblem(res, { ...problems.unauthorized('Sign in as staff to read the migration status.'), signInUrl: opts.refusals.signInUrl() }, correlationId, {
      'WWW-Authenticate': REALM,
    });
    return null;
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : header.trim() === '' ? null : '';
}
