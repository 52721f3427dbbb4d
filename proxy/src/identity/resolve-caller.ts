import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../routing/route.ts';
import type { Cutoff } from './cutoff.ts';
import type { LegacyJwtFailure, LegacyJwtVerifier } from './legacy-jwt/legacy-jwt.ts';
import { callerOf } from './sessions/session-user.ts';
import type { Sessions } from './sessions/sessions.ts';

export type Resolution =
  | { kind: 'session'; caller: Caller }
  /** Our cookie came, but names no live session (expired, revoked, tampered, past the cap). */
  | { kind: 'expired-session' }
  | { kind: 'legacy-jwt'; caller: Caller }
  | { kind: 'legacy-jwt-invalid'; reason: LegacyJwtFailure }
  /** A valid legacy JWT, but the dual-auth window has closed. */
  | { kind: 'legacy-jwt-after-cutoff'; caller: Caller }
  /** Authorization in a scheme we do not handle (Basic, API keys): the legacy API's business. */
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
  jwt: LegacyJwtVerifier;
  cutoff: Cutoff;
}

const RESOLUTION = Symbol('strangler-proxy.resolution');
type Memo = { [RESOLUTION]?: Promise<Resolution> };

export function createCallerResolver(deps: CallerResolverDeps): ResolveCaller {
  async function resolveOnce(req: IncomingMessage, res: ServerResponse): Promise<Resolution> {
    // A session cookie wins. Only a request that carries ours pays for the store read.
    if (deps.sessions.carriesCookie(req)) {
      const user = await deps.sessions.current(req, res);
      // Not downgraded to the next scheme: the browser believes it is signed in and must be told.
      return user ? { kind: 'session', caller: callerOf(user) } : { kind: 'expired-session' };
    }
    const authorization = req.headers.authorization;
    if (authorization === undefined || authorization.trim() === '') return { kind: 'anonymous' };
    const token = bearerToken(authorization);
    if (token === undefined) return { kind: 'foreign-authorization' };
    if (token === null) return { kind: 'legacy-jwt-invalid', reason: 'malformed' };
    const verdict = await deps.jwt.verify(token);
    if (!verdict.ok) return { kind: 'legacy-jwt-invalid', reason: verdict.reason };
    if (deps.cutoff.passed()) return { kind: 'legacy-jwt-after-cutoff', caller: verdict.caller };
    return { kind: 'legacy-jwt', caller: verdict.caller };
  }

  return (req, res) => {
    const memo = req as Memo;
    const pending = memo[RESOLUTION] ?? resolveOnce(req, res);
    memo[RESOLUTION] = pending;
    return pending;
  };
}

/** The token of a `Bearer` header; null for a Bearer header without a usable token; undefined for other schemes. */
function bearerToken(header: string): string | null | undefined {
  const match = /^\s*(\S+)(?:\s+(.*))?$/.exec(header);
  if (!match || match[1]!.toLowerCase() !== 'bearer') return undefined;
  const token = match[2]?.trim();
  return token && !/\s/.test(token) ? token : null;
}
