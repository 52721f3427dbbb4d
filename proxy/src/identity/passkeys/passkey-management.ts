import type { Request, Response } from 'express';
import type { Caller } from '../../routing/route.ts';
import { isRecentOrganisationSignIn, recentSignInRequired } from '../oidc/recent-sign-in.ts';
import { isBase64Url } from './base64url.ts';
import { bodies, cleanName, parseBody } from './passkey-body.ts';
import { requireCaller } from './passkey-caller.ts';
import type { StoredCredential } from './passkey-credentials.ts';
import type { PasskeyContext } from './passkey-deps.ts';
import { fail, passkeyProblems } from './passkey-problems.ts';

/** What the account page sees of a passkey: never its key or counter. */
export interface PasskeyListItem {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  /** This session was signed in with it (deleting it signs you out). */
  current: boolean;
}

export function listItem(cred: StoredCredential, currentCredentialId: string | undefined): PasskeyListItem {
  return {
    id: cred.id,
    name: cred.name,
    createdAt: new Date(cred.createdAt).toISOString(),
    lastUsedAt: cred.lastUsedAt === null ? null : new Date(cred.lastUsedAt).toISOString(),
    current: cred.id === currentCredentialId,
  };
}

/** The passkey the current session signed in with, if the caller came by session. */
async function sessionCredential(ctx: PasskeyContext, caller: Caller, req: Request, res: Response) {
  return caller.via === 'session' ? (await ctx.deps.sessions.current(req, res))?.credentialId : undefined;
}

/** One of the caller's own passkeys; anyone else's is "not found", so ids cannot be probed. */
async function ownPasskey(ctx: PasskeyContext, caller: Caller, id: unknown): Promise<StoredCredential> {
  const cred = isBase64Url(id) ? await ctx.credentials.get(id) : undefined;
  if (!cred || cred.userId !== caller.userId) return fail(passkeyProblems.notFound());
  return cred;
}

/** GET /passkeys */
export function listPasskeys(ctx: PasskeyContext) {
  return async (req: Request, res: Response) => {
    const caller = await requireCaller(ctx.deps.resolveCaller, ctx.deps.sessions, req, res);
    const current = await sessionCredential(ctx, caller, req, res);
    const creds = await ctx.credentials.listFor(caller.userId);
    res.json(creds.sort((a, b) => a.createdAt - b.createdAt).map((c) => listItem(c, current)));
  };
}

/** PATCH /passkeys/:id {name} */
export function renamePasskey(ctx: PasskeyContext) {
  return async (req: Request, res: Response) => {
    const caller = await requireCaller(ctx.deps.resolveCaller, ctx.deps.sessions, req, res);
    const name = cleanName(parseBody(bodies.rename, req).name);
    if (!name) return fail(passkeyProblems.badRequest('Give the passkey a name.'));
    const cred = await ownPasskey(ctx, caller, req.params['id']);
    const renamed = { ...cred, name };
    if (!(await ctx.credentials.update(renamed))) return fail(passkeyProblems.notFound());
    res.json(listItem(renamed, await sessionCredential(ctx, caller, req, res)));
  };
}

/** DELETE /passkeys/:id: the passkey goes, and so does every session it signed in. */
export function deletePasskey(ctx: PasskeyContext) {
  return async (req: Request, res: Response) => {
    const { deps } = ctx;
    const caller = await requireCaller(deps.resolveCaller, deps.sessions, req, res);
    const cred = await ownPasskey(ctx, caller, req.params['id']);
    const signedOut = (await sessionCredential(ctx, caller, req, res)) === cred.id;
    await ctx.credentials.remove(cred);
    const revokedSessions = await deps.sessions.revokeWhere(caller.userId, (u) => u.credentialId === cred.id);
    // The store record is gone already; destroying the request's session too keeps express-session
    // from writing it back at the end of this response.
    if (signedOut) await deps.sessions.destroy(req, res);
    deps.log.info({ userId: caller.userId, credential: cred.id.slice(0, 8), revokedSessions }, 'passkey deleted');
    res.json({ deleted: true, revokedSessions, signedOut });
  };
}

/** GET /me: who is calling, or 401. */
export function me(ctx: PasskeyContext) {
  return async (req: Request, res: Response) => {
    const caller = await requireCaller(ctx.deps.resolveCaller, ctx.deps.sessions, req, res);
    const user = caller.via === 'session' ? await ctx.deps.sessions.current(req, res) : null;
    res.json({
      userId: caller.userId,
      username: caller.username ?? null,
      roles: caller.roles,
      via: caller.via,
      ...(user ? { authMethod: user.authMethod, signedInAt: new Date(user.createdAt).toISOString() } : {}),
    });
  };
}

/** POST /sign-out: ends the session (if any) and drops the cookie; always 204. */
export function signOut(ctx: PasskeyContext) {
  return async (req: Request, res: Response) => {
    await ctx.deps.sessions.destroy(req, res);
    res.status(204).end();
  };
}

/**
 * POST /sign-out-everywhere: ends every session of the caller, on every instance (the session
 * index is shared), this browser's included; for someone who lost a device or left a shared
 * computer signed in. 200 with how many ended.
 *
 * `{keepThisSession: true}` spares this browser's session: the recovery view's "sign out every
 * other session", for someone who just got back in through their organisation and wants the
 * lost device's sessions gone while staying here. Only within minutes of an organisation
 * sign-in: from any other session it would let a thief shut the owner out and stay in.
 */
export function signOutEverywhere(ctx: PasskeyContext) {
  return async (req: Request, res: Response) => {
    const caller = await requireCaller(ctx.deps.resolveCaller, ctx.deps.sessions, req, res);
    const { keepThisSession } = parseBody(bodies.signOutEverywhere, req);
    if (keepThisSession) {
      const user = caller.via === 'session' ? await ctx.deps.sessions.current(req, res) : null;
      if (!isRecentOrganisationSignIn(user, ctx.now())) {
        return fail(recentSignInRequired(ctx.deps.prefix, 'Signing out your other sessions while staying signed in here'));
      }
      const endedSessions = await ctx.deps.sessions.revokeUser(caller.userId, { except: req.sessionID });
      ctx.deps.log.info({ userId: caller.userId, endedSessions, keptThisSession: true }, 'signed out everywhere else');
      res.json({ endedSessions, keptThisSession: true });
      return;
    }
    const endedSessions = await ctx.deps.sessions.revokeUser(caller.userId);
    await ctx.deps.sessions.destroy(req, res);
    ctx.deps.log.info({ userId: caller.userId, endedSessions }, 'signed out everywhere');
    res.json({ endedSessions });
  };
}
