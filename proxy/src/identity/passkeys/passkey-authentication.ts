import { verifyAuthenticationResponse, type AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Request, Response } from 'express';
import { fromBase64Url, isBase64Url } from './base64url.ts';
import { bodies, parseBody } from './passkey-body.ts';
import type { StoredCredential } from './passkey-credentials.ts';
import type { CeremonyContext, LookedUpUser, PasskeyContext } from './passkey-deps.ts';
import { authenticationOptions } from './passkey-options.ts';
import { fail, passkeyProblems } from './passkey-problems.ts';
import { safeReturnUrl } from '../pages/return-url.ts';

/**
 * POST /passkeys/authenticate/options {username?}. Without a username (or with one we do not
 * know) the options are username-less: the browser offers whatever passkeys it holds for us.
 */
export function authenticateOptions(ctx: CeremonyContext) {
  return async (req: Request, res: Response) => {
    const { deps, credentials, challenges } = ctx;
    const username = parseBody(bodies.authenticateOptions, req).username?.trim();
    let userId: string | undefined;
    let allowed: StoredCredential[] | undefined;
    if (username) {
      userId = deps.lookupUser ? (await deps.lookupUser(username))?.userId : await credentials.userIdForUsername(username);
      const creds = userId ? await credentials.listFor(userId) : [];
      if (creds.length > 0) allowed = creds;
    }
    const options = await authenticationOptions(ctx.rpId, allowed);
    await challenges.issue(res, {
      ceremony: 'authentication',
      challenge: options.challenge,
      ...(allowed && userId ? { userId } : {}),
    });
    res.json(options);
  };
}

/** POST /passkeys/authenticate/verify {response, returnUrl?}: checks the assertion and signs the user in. */
export function authenticateVerify(ctx: CeremonyContext) {
  return async (req: Request, res: Response) => {
    const { deps, credentials, challenges, now } = ctx;
    // First, so that any attempt (malformed, forged, replayed) uses the challenge up.
    const taken = await challenges.take(req, res, 'authentication');
    const body = parseBody(bodies.authenticateVerify, req);
    if (!taken.ok) {
      deps.log.info({ reason: taken.reason }, 'passkey sign-in refused: no usable challenge');
      return fail(passkeyProblems.challengeExpired());
    }
    const response = body.response as unknown as AuthenticationResponseJSON;
    const cred = isBase64Url(response.id) ? await credentials.get(response.id) : undefined;
    // A passkey of another account than the one asked for by username is treated as unknown.
    if (!cred || (taken.record.userId !== undefined && cred.userId !== taken.record.userId)) {
      return fail(passkeyProblems.unknownCredential(response.id));
    }
    const handle = await credentials.existingHandle(cred.userId);
    if (response.response.userHandle !== undefined && response.response.userHandle !== handle) {
      deps.log.warn({ userId: cred.userId }, 'passkey sign-in refused: user handle does not match the credential');
      return fail(passkeyProblems.verificationFailed());
    }

    let info;
    try {
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: taken.record.challenge,
        expectedOrigin: deps.origins,
        expectedRPID: ctx.rpId,
        // Counter 0 here: the library would judge the counter before the signature; we judge
        // it below, once the signature proves the assertion really came from this passkey.
        credential: { id: cred.id, publicKey: fromBase64Url(cred.publicKey), counter: 0, transports: cred.transports },
        requireUserVerification: true,
      });
      if (!verification.verified) throw new Error('signature did not verify');
      info = verification.authenticationInfo;
    } catch (err) {
      deps.log.info({ userId: cred.userId, reason: (err as Error).message }, 'passkey sign-in refused');
      return fail(passkeyProblems.verificationFailed());
    }
    // Authenticators that count must count up; those that always say 0 are accepted.
    if ((cred.counter > 0 || info.newCounter > 0) && info.newCounter <= cred.counter) {
      deps.log.warn(
        { userId: cred.userId, credential: cred.id.slice(0, 8), stored: cred.counter, received: info.newCounter },
        'passkey sign-in refused: signature counter went backwards (possible cloned authenticator)',
      );
      return fail(passkeyProblems.counterRegression());
    }

    const user = await currentAccount(ctx, cred);
    if (!user) return fail(passkeyProblems.accountGone());
    const used = { ...cred, counter: info.newCounter, lastUsedAt: now(), backedUp: info.credentialBackedUp };
    if (!(await credentials.update(used))) return fail(passkeyProblems.unknownCredential(cred.id));
    await deps.sessions.establish(req, {
      userId: user.userId,
      ...(user.username !== undefined ? { username: user.username } : {}),
      roles: user.roles,
      authMethod: 'passkey',
      credentialId: cred.id, // deleting this passkey revokes the session
    });
    deps.log.info({ userId: user.userId, credential: cred.id.slice(0, 8) }, 'signed in with a passkey');
    res.json({ ok: true, returnUrl: safeReturnUrl(body.returnUrl) });
  };
}

type Account = Pick<LookedUpUser, 'userId' | 'roles'> & { username?: string };

/** The account as it is now (roles change), when there is a directory to ask; else as registered. */
async function currentAccount(ctx: PasskeyContext, cred: StoredCredential): Promise<Account | null> {
  if (!ctx.deps.lookupUser || cred.username === undefined) {
    return { userId: cred.userId, ...(cred.username !== undefined ? { username: cred.username } : {}), roles: cred.roles };
  }
  const user = await ctx.deps.lookupUser(cred.username);
  // A username now pointing at someone else is not the account this passkey was made for.
  return user && user.userId === cred.userId ? user : null;
}
