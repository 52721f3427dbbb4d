import type { IncomingMessage, ServerResponse } from 'node:http';
import { stateOf, type RequestState } from '../edge/request-state.ts';
import type { Caller } from '../routing/route.ts';
import type { Cutoff } from './cutoff.ts';
import type { LegacyJwtFailure, LegacyJwtVerifier } from './legacy-jwt/legacy-jwt.ts';
import { createTokenLocation, type TokenLocation } from './legacy-jwt/token-location.ts';
import { callerOf } from './sessions/session-user.ts';
import { noteIdentity } from '../tracing/server-span.ts';
import type { Sessions } from './sessions/sessions.ts';

export type Resolution =
  | { kind: 'session'; caller: Caller }
  /** Our cookie came, but names no live session (expired, revoked, tampered, past the cap). */
  | { kind: 'expired-session' }
  /** A verified legacy token (a JWT, or an opaque token the legacy API vouched for). */
  | { kind: 'legacy-jwt'; caller: Caller }
  | { kind: 'legacy-jwt-invalid'; reason: LegacyJwtFailure }
  /** A valid legacy token, but the dual-auth window has closed. */
  | { kind: 'legacy-jwt-after-cutoff'; caller: Caller }
  /** Authorization in a scheme the legacy token does not use (Basic, API keys): the legacy API's business. */
  | { kind: 'foreign-authorization' }
  | { kind: 'anonymous' };

/**
 * Who is calling, worked out at most once per request. Call it before the response's headers
 * go out: a session request may renew its cookie. A store failure rejects (the pipeline
 * answers 503) rather than pass for a signed-out caller.
 */
export type ResolveCaller = (req: IncomingMessage, res: ServerResponse) => Promise<Resolution>;

export interface CallerResolverDeps {
  sessions: Pick<Sessions, 'carriesCookie' | 'current'>;
  /** Checks a legacy token: a JWT verifier, or the "who am I" introspection. */
  jwt: LegacyJwtVerifier;
  cutoff: Cutoff;
  /** Where the legacy token travels (default: `Authorization: Bearer`). */
  location?: TokenLocation;
}

const RESOLUTION = Symbol('strangler-proxy.resolution');
type Memo = { [RESOLUTION]?: Promise<Resolution> };

export function createCallerResolver(deps: CallerResolverDeps): ResolveCaller {
  const location = deps.location ?? createTokenLocation();

  async function resolveOnce(req: IncomingMessage, res: ServerResponse): Promise<Resolution> {
    // A session cookie wins. Only a request that carries ours pays for the store read.
    if (deps.sessions.carriesCookie(req)) {
      const user = await deps.sessions.current(req, res);
      // Not downgraded to the next scheme: the browser believes it is signed in and must be told.
      return user ? { kind: 'session', caller: callerOf(user) } : { kind: 'expired-session' };
    }
    const token = location.read(req);
    if (token === undefined) {
      const authorization = req.headers.authorization;
      return authorization === undefined || authorization.trim() === '' ? { kind: 'anonymous' } : { kind: 'foreign-authorization' };
    }
    if (token === null) return { kind: 'legacy-jwt-invalid', reason: 'malformed' };
    const verdict = await deps.jwt.verify(token, location.asSent(req));
    if (!verdict.ok) return { kind: 'legacy-jwt-invalid', reason: verdict.reason };
    if (deps.cutoff.passed()) return { kind: 'legacy-jwt-after-cutoff', caller: verdict.caller };
    return { kind: 'legacy-jwt', caller: verdict.caller };
  }

  return (req, res) => {
    const memo = req as Memo;
    const pending = memo[RESOLUTION] ?? resolveOnce(req, res).then((resolution) => noteVerified(req, resolution));
    memo[RESOLUTION] = pending;
    return pending;
  };
}

/** The dual-auth window counts what was verified, not what the headers looked like. */
export function authKindOf(resolution: Resolution): RequestState['arrivedWith'] {
  switch (resolution.kind) {
    case 'session':
      return 'session';
    case 'legacy-jwt':
    case 'legacy-jwt-after-cutoff':
      return 'legacyJwt';
    case 'legacy-jwt-invalid':
    case 'expired-session':
      return 'unverified';
    default:
      return 'other';
  }
}

function noteVerified(req: IncomingMessage, resolution: Resolution): Resolution {
  // Requests outside the pipeline (the identity pages' own tests) have no state record.
  const state = stateOf(req) as RequestState | undefined;
  if (state) state.arrivedWith = authKindOf(resolution);
  if (state?.trace) noteIdentity(state, resolution.kind, resolution.kind === 'legacy-jwt-invalid' ? resolution.reason : undefined);
  return resolution;
}
