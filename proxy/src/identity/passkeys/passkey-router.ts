import express, { type RequestHandler, type Router } from 'express';
import { ProblemError } from '../../edge/problem.ts';
import { checkCsrf } from '../csrf.ts';
import { authenticateOptions, authenticateVerify } from './passkey-authentication.ts';
import { createChallengeStore } from './passkey-challenges.ts';
import { createCredentialStore } from './passkey-credentials.ts';
import type { CeremonyContext, PasskeyContext, PasskeyDeps } from './passkey-deps.ts';
import { deletePasskey, listPasskeys, me, renamePasskey, signOut, signOutEverywhere } from './passkey-management.ts';
import { fail, passkeyProblems } from './passkey-problems.ts';
import { registerOptions, registerVerify } from './passkey-registration.ts';

export type { PasskeyDeps } from './passkey-deps.ts';

export type PasskeyRouter = Router & {
  /**
   * Deletes every passkey of a user; resolves with how many. For the OIDC recovery flow's
   * `onRevokePasskeys` (which ends the passkey sessions itself). It lives on the router because
   * it must use the router's own store: with in-memory Keyv, a second store would be empty.
   */
  revokeAllPasskeys(userId: string): Promise<number>;
};

/**
 * The passkey JSON API, mounted at `${prefix}/auth`:
 *   POST   /passkeys/register/options      signed in (session or legacy JWT)
 *   POST   /passkeys/register/verify       {response, name?}
 *   POST   /passkeys/authenticate/options  {username?}
 *   POST   /passkeys/authenticate/verify   {response, returnUrl?} -> {ok, returnUrl}
 *   GET    /passkeys                       the caller's passkeys
 *   PATCH  /passkeys/:id                   {name}
 *   DELETE /passkeys/:id                   also revokes the sessions it signed in
 *   POST   /sign-out                       204
 *   POST   /sign-out-everywhere            200 { endedSessions }: every session of the caller, on every instance;
 *                                          {keepThisSession: true} spares this one (after a recent organisation sign-in)
 *   GET    /me                             the caller, or 401
 * Errors are thrown as ProblemError for the app's error handler to render. Without an RP ID
 * (passkeys off) every /passkeys call answers 404 passkeyProblems.off(); /me and /sign-out
 * still serve the sessions organisation sign-in creates.
 */
export function createPasskeyRouter(deps: PasskeyDeps): PasskeyRouter {
  const secure = deps.origins.length > 0 && deps.origins.every((o) => o.startsWith('https://'));
  const ctx: PasskeyContext = {
    deps,
    credentials: createCredentialStore(deps.keyv('passkeys')),
    challenges: createChallengeStore({
      keyv: deps.keyv('passkey-challenges'),
      cookiePath: `${deps.prefix}/auth/passkeys`,
      secure,
      ...(deps.challengeTtlMs !== undefined ? { ttlMs: deps.challengeTtlMs } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    }),
    now: deps.now ?? Date.now,
  };
  // Bodies are parsed here, per route, never ahead of the catch-all (it would drain proxied bodies).
  const json = express.json({ limit: '64kb' });
  const limit: RequestHandler = deps.ceremonyLimiter ?? ((_req, _res, next) => next());

  const router = express.Router();
  // Scoped to our own paths: other routers (OIDC callbacks) share the `${prefix}/auth` mount.
  const ours = ['/passkeys', '/sign-out', '/sign-out-everywhere', '/me'];
  router.use(ours, noStore);
  // Off says so to every caller, before the same-site check: nothing here can change anything.
  if (deps.rpId === undefined) router.all(['/passkeys', '/passkeys/*rest'], () => fail(passkeyProblems.off()));
  router.use(ours, sameSiteOnly(deps));
  if (deps.rpId !== undefined) {
    const on: CeremonyContext = { ...ctx, rpId: deps.rpId };
    router.post('/passkeys/register/options', limit, registerOptions(on));
    router.post('/passkeys/register/verify', limit, json, registerVerify(on));
    router.post('/passkeys/authenticate/options', limit, json, authenticateOptions(on));
    // The session middleware must have run for establish() to give the request a fresh session.
    router.post('/passkeys/authenticate/verify', limit, json, deps.sessions.middleware, authenticateVerify(on));
    router.get('/passkeys', listPasskeys(ctx));
    router.patch('/passkeys/:id', json, renamePasskey(ctx));
    router.delete('/passkeys/:id', deletePasskey(ctx));
  }
  router.post('/sign-out', signOut(ctx));
  // Any body must be JSON: a form's `keepThisSession=1` would otherwise be read as no option at all.
  router.post('/sign-out-everywhere', express.json({ limit: '1kb', type: () => true }), signOutEverywhere(ctx));
  router.get('/me', me(ctx));
  return Object.assign(router, {
    async revokeAllPasskeys(userId: string) {
      const creds = await ctx.credentials.listFor(userId);
      for (const cred of creds) await ctx.credentials.remove(cred);
      deps.log.info({ userId, revoked: creds.length }, 'all passkeys of a user revoked');
      return creds.length;
    },
  });
}

const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('cache-control', 'no-store');
  next();
};

/**
 * Every state-changing call must come from our own pages. Sign-in is included: a forged
 * sign-in (login CSRF) would put the victim in an account of the attacker's choosing.
 */
function sameSiteOnly(deps: PasskeyDeps): RequestHandler {
  return (req, _res, next) => {
    const verdict = checkCsrf(req, deps.origins);
    if (verdict.ok) return next();
    deps.log.info({ reason: verdict.reason, path: req.path }, 'passkey API refused a cross-site request');
    next(new ProblemError(passkeyProblems.crossSite()));
  };
}
