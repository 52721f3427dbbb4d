import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import * as oidc from 'openid-client';
import { decideAccount, providerRoles } from './oidc-account.ts';
import type { OidcContext } from './oidc-deps.ts';
import { classifyProviderError } from './oidc-errors.ts';
import { sendOutcome } from './oidc-pages.ts';

/**
 * GET /callback: the provider sends the browser back here. The transaction is taken (single
 * use) before anything else, the code is exchanged with the PKCE verifier, state and nonce
 * checked, the person's account decided, and a fresh session established. Tokens stay here.
 */
export function callback(ctx: OidcContext): RequestHandler {
  const { deps, outcomes, client, vault } = ctx;
  const log = deps.log;

  return async (req: Request, res: Response) => {
    const tx = await ctx.transactions.take(req, res);
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const params = new URLSearchParams(query);
    if (!tx) {
      log.info({ event: 'oidc.callback.refused', reason: 'no-transaction' }, 'sign-in return without a live transaction');
      return sendOutcome(req, res, outcomes.expired());
    }
    const state = params.get('state');
    if (state === null || !sameText(state, tx.state)) {
      log.warn({ event: 'oidc.callback.refused', reason: 'state-mismatch' }, 'sign-in return with a foreign state');
      return sendOutcome(req, res, outcomes.expired());
    }
    const error = params.get('error');
    if (error !== null) {
      const oauthError = /^[a-z_]{1,64}$/.test(error) ? error : 'malformed';
      log.info({ event: 'oidc.callback.provider-error', oauthError }, 'the identity provider returned an error');
      return sendOutcome(req, res, error === 'access_denied' ? outcomes.cancelled() : outcomes.providerFailed());
    }

    let config: oidc.Configuration;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    let userinfo: oidc.UserInfoResponse;
    try {
      config = await client.configuration();
      // The redirect URI as registered, not as this hop saw it (a load balancer may change host or scheme).
      const currentUrl = new URL(deps.redirectUri);
      currentUrl.search = params.toString();
      tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: tx.codeVerifier,
        expectedState: tx.state,
        expectedNonce: tx.nonce,
      });
      const sub = tokens.claims()!.sub;
      userinfo = await oidc.fetchUserInfo(config, tokens.access_token, sub);
    } catch (err) {
      const { failure, log: details } = classifyProviderError(err);
      log.warn({ event: 'oidc.callback.failed', failure, ...details }, 'could not complete the sign-in with the identity provider');
      if (failure === 'unreachable') return sendOutcome(req, res, outcomes.unavailable());
      return sendOutcome(req, res, failure === 'refused' ? outcomes.expired() : outcomes.providerFailed());
    }

    const idClaims = tokens.claims()!;
    const issuer = idClaims.iss;
    const sub = idClaims.sub;
    const decision = await decideAccount({
      links: ctx.links,
      issuer,
      sub,
      claims: { ...userinfo, ...idClaims },
      ...(deps.linkClaim !== undefined ? { linkClaim: deps.linkClaim } : {}),
      tx,
      now: ctx.now(),
      warn: (obj, msg) => log.warn(obj, msg),
    });
    if (!decision.ok) {
      log.info({ event: 'oidc.callback.refused', reason: decision.refusal, intent: tx.intent }, 'organisation account not signed in');
      return sendOutcome(req, res, decision.refusal === 'unlinked' ? outcomes.unlinked() : outcomes.linkedElsewhere());
    }

    const { user } = decision;
    const roles = providerRoles({ ...userinfo, ...idClaims }, deps.rolesClaim === undefined ? 'roles' : deps.rolesClaim);
    await deps.sessions.establish(req, {
      userId: user.userId,
      ...(user.username !== undefined ? { username: user.username } : {}),
      roles: user.roles,
      ...(roles.length > 0 ? { providerRoles: roles } : {}),
      authMethod: 'oidc',
      oidc: { issuer, sub, ...(tokens.id_token !== undefined ? { idTokenHint: tokens.id_token } : {}) },
      createdAt: ctx.now(),
    });
    await vault.save(req.sessionID, tokens);
    log.info(
      { event: 'oidc.signed-in', intent: tx.intent, userId: user.userId, linkedBy: decision.via },
      'signed in through the identity provider',
    );
    const destination = tx.intent === 'recover' ? `${deps.prefix}/auth/account?recovered=1` : tx.returnUrl;
    res.redirect(303, destination);
  };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
