import type { RequestHandler, Response } from 'express';
import { conduitErrors } from './errors.ts';
import type { ConduitUser, ConduitWorld } from './seed.ts';
import type { ConduitTokens } from './tokens.ts';

// Conduit's own scheme. A `Bearer` header is no credential here, however valid its token.
const TOKEN_SCHEME = /^Token +(\S+)$/i;

/**
 * Reads `Authorization: Token <token>` into res.locals.caller and res.locals.token. No
 * header (or another scheme): anonymous. A Token header this API refuses is a 401 even where
 * anonymous callers are welcome, as the reference implementations answer.
 */
export function identifyCaller(world: ConduitWorld, tokens: ConduitTokens): RequestHandler {
  return (req, res, next) => {
    const token = TOKEN_SCHEME.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined) return next();
    let claims;
    try {
      claims = tokens.claimsOf(token);
    } catch {
      throw conduitErrors.unauthorized();
    }
    const user = world.users.find((u) => u.id === claims.id);
    if (!user || (claims.username !== undefined && claims.username !== user.username)) throw conduitErrors.unauthorized();
    res.locals.caller = user;
    res.locals.token = token;
    next();
  };
}

export const requireCaller: RequestHandler = (_req, res, next) => {
  if (!res.locals.caller) throw conduitErrors.unauthorized();
  next();
};

export function callerOf(res: Response): ConduitUser | undefined {
  return res.locals.caller as ConduitUser | undefined;
}

/** After requireCaller. */
export function signedIn(res: Response): { user: ConduitUser; token: string } {
  return { user: res.locals.caller as ConduitUser, token: res.locals.token as string };
}
