import type { RequestHandler, Response } from 'express';
import { legacyErrors } from './legacy-error.ts';
import { findUser } from './queries.ts';
import type { SeedUser, World } from './seed.ts';
import type { TokenService } from './tokens.ts';

/** Bearer JWT in, the calling seed user out (res.locals.caller); anything else is a 401. */
export function requireAuth(world: World, tokens: TokenService): RequestHandler {
  return (req, res, next) => {
    const match = /^Bearer +([^\s]+)$/i.exec(req.headers.authorization ?? '');
    if (!match) throw legacyErrors.unauthorized('Missing bearer token.');
    let subject: string;
    try {
      subject = tokens.verify(match[1]!).sub;
    } catch (err) {
      throw legacyErrors.unauthorized(`Invalid token: ${(err as Error).message}.`);
    }
    const caller = findUser(world, subject);
    if (!caller) throw legacyErrors.unauthorized('The token names an unknown user.');
    res.locals.caller = caller;
    next();
  };
}

export function callerOf(res: Response): SeedUser {
  return res.locals.caller as SeedUser;
}

/** Users read their own data; administrators read anyone's. */
export function assertSelfOrAdmin(caller: SeedUser, userId: string): void {
  if (caller.id !== userId && caller.roleCode !== 'ADMIN')
    throw legacyErrors.forbidden('You may only read your own data.');
}
