import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import * as oidc from 'openid-client';
import { checkCsrf } from '../csrf.ts';
import { callback } from './oidc-callback.ts';
import { createOidcClient } from './oidc-client.ts';
import type { OidcContext, OidcDeps } from './oidc-deps.ts';
import { classifyProviderError } from './oidc-errors.ts';
import { createAccountLinks } from './oidc-links.ts';
import { oidcOutcomes, sendOutcome } from './oidc-pages.ts';
import { createTokenVault, type OidcTokens } from './oidc-tokens.ts';
import { createTransactions, type LinkTarget, type OidcIntent } from './oidc-transactions.ts';
import { isRecentOrganisationSignIn } from './recent-sign-in.ts';
import { safeReturnUrl } from '../pages/return-url.ts';

export type { OidcDeps } from './oidc-deps.ts';
export type { OidcTokens } from './oidc-tokens.ts';

export type OidcRouter = Router & {
  /** The provider's tokens of a session (by session id), refreshed when within 60 s of expiry. */
  getFreshTokens(sessionKey: string): Promise<OidcTokens | null>;
};

const INTENTS = new Set<OidcIntent>(['signin', 'recover', 'link']);

/**
 * Organisation sign-in (OIDC), mounted at `${prefix}/auth/oidc`: the fallback beside passkeys
 * and the way back in for someone who lost them.
 *   GET  /start?intent=signin|recover&returnUrl=   redirect to the provider
 *   POST /start  intent=link (signed in: session or legacy JWT), also signin|recover
 *   GET  /callback                                 the provider's answer; establishes the session
 *   POST /logout                                   ends the session, then RP-initiated logout (303)
 *   POST /recover/revoke-passkeys                  revokeOldPasskeys=1, after a recent organisation sign-in
 * The recovery view's other action, signing out every other session, is the passkey API's
 * POST /sign-out-everywhere {keepThisSession: true}, under the same recent sign-in rule.
 */
export async function createOidcRouter(deps: OidcDeps): Promise<OidcRouter> {
  const client = createOidcClient(deps);
  const now = deps.now ?? Date.now;
  const ctx: OidcContext = {
    deps,
    client,
    transactions: createTransactions({
      keyv: deps.keyv('oidc-transactions'),
      callbackPath: new URL(deps.redirectUri).pathname,
      secure: deps.secureCookies,
    }),
    links: createAccountLinks(deps.keyv('oidc-links')),
    vault: createTokenVault({
      keyv: deps.keyv('oidc-tokens'),
      client,
      log: deps.log,
      now,
      ...(deps.tokenTtlMs !== undefined ? { ttlMs: deps.tokenTtlMs } : {}),
    }),
    outcomes: oidcOutcomes(deps.prefix),
    now,
  };
  // Discovery in the background: a provider that is down must not stop the proxy starting.
  client.configuration().catch((err: unknown) => {
    deps.log.warn({ event: 'oidc.discovery.failed', ...classifyProviderError(err).log }, 'identity provider not reachable yet');
  });

  // Bodies are parsed here, per route, never ahead of the catch-all.
  const body = [express.urlencoded({ extended: false, limit: '4kb' }), express.json({ limit: '4kb' })];
  const router = express.Router();
  router.use((_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    next();
  });
  router.get('/start', start(ctx));
  router.post('/start', sameSiteOnly(ctx), ...body, start(ctx));
  router.get('/callback', deps.sessions.middleware, callback(ctx));
  router.post('/logout', sameSiteOnly(ctx), deps.sessions.middleware, logout(ctx));
  if (deps.onRevokePasskeys) {
    router.post('/recover/revoke-passkeys', sameSiteOnly(ctx), ...body, deps.sessions.middleware, revokePasskeys(ctx, deps.onRevokePasskeys));
  }
  return Object.assign(router, {
    async getFreshTokens(sessionKey: string) {
      // A session that was revoked or expired gets nothing, whatever is still stored for it.
      if (!(await deps.sessions.store.read(sessionKey))) {
        await ctx.vault.remove(sessionKey);
        return null;
      }
      return ctx.vault.getFreshTokens(sessionKey);
    },
  });
}

function start(ctx: OidcContext): RequestHandler {
  const { deps, outcomes } = ctx;
  return async (req, res) => {
    const input = { ...(req.query as Record<string, unknown>), ...((req.body as Record<string, unknown> | undefined) ?? {}) };
    const intent = input['intent'] === undefined ? 'signin' : input['intent'];
    if (typeof intent !== 'string' || !INTENTS.has(intent as OidcIntent)) {
      return sendOutcome(req, res, outcomes.badRequest('Unknown sign-in intent: use signin, recover or link.'));
    }
    // Linking binds whoever is signed in to whatever organisation account comes back: it must
    // come from our own pages (POST, CSRF-checked), never from a link another site can plant.
    if (intent === 'link' && req.method !== 'POST') return sendOutcome(req, res, outcomes.linkFromAccountPage());

    let linkTo: LinkTarget | undefined;
    if (intent === 'link') {
      const who = await deps.resolveCaller(req, res);
      if (who.kind !== 'session' && who.kind !== 'legacy-jwt') return sendOutcome(req, res, outcomes.signInFirst());
      linkTo = { userId: who.caller.userId, ...(who.caller.username !== undefined ? { username: who.caller.username } : {}), roles: [...who.caller.roles] };
    }
    const returnUrl =
      input['returnUrl'] === undefined && intent === 'link' ? `${deps.prefix}/auth/account?linked=1` : safeReturnUrl(input['returnUrl']);

    let config: oidc.Configuration;
    try {
      config = await ctx.client.configuration();
    } catch (err) {
      deps.log.warn({ event: 'oidc.start.failed', ...classifyProviderError(err).log }, 'identity provider unreachable');
      return sendOutcome(req, res, outcomes.unavailable());
    }
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    await ctx.transactions.begin(res, { state, nonce, codeVerifier, intent: intent as OidcIntent, returnUrl, ...(linkTo ? { linkTo } : {}) });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: deps.redirectUri,
      scope: deps.scope ?? 'openid profile email offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      // Linking: the person proves, there and then, which organisation account they are linking.
      ...(intent === 'link' ? { prompt: 'login' } : {}),
    });
    deps.log.info({ event: 'oidc.start', intent }, 'sent to the identity provider');
    redirect(req, res, url.href);
  };
}

function logout(ctx: OidcContext): RequestHandler {
  const { deps } = ctx;
  return async (req, res) => {
    const user = await deps.sessions.current(req, res);
    const tokens = user ? await ctx.vault.remove(req.sessionID) : undefined;
    await deps.sessions.destroy(req, res);
    if (!user?.oidc) return redirect(req, res, deps.postLogoutRedirectUri);
    deps.log.info({ event: 'oidc.signed-out', userId: user.userId }, 'signed out; handing over to the identity provider');

    let config: oidc.Configuration;
    try {
      config = await ctx.client.configuration();
    } catch {
      return redirect(req, res, deps.postLogoutRedirectUri); // our session is gone; that is what matters
    }
    if (tokens?.refreshToken) revokeQuietly(ctx, config, tokens.refreshToken);
    const idTokenHint = tokens?.idToken ?? user.oidc.idTokenHint;
    let target = deps.postLogoutRedirectUri;
    try {
      target = oidc.buildEndSessionUrl(config, {
        post_logout_redirect_uri: deps.postLogoutRedirectUri,
        ...(idTokenHint !== undefined ? { id_token_hint: idTokenHint } : { client_id: deps.clientId }),
      }).href;
    } catch {
      // The provider has no end_session_endpoint: signing out here is all we can do.
    }
    redirect(req, res, target);
  };
}

/** Gives the refresh token back to the provider, without making the person wait for it. */
function revokeQuietly(ctx: OidcContext, config: oidc.Configuration, refreshToken: string): void {
  if (!config.serverMetadata().revocation_endpoint) return;
  oidc.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' }).catch((err: unknown) => {
    ctx.deps.log.info({ event: 'oidc.revocation.failed', ...classifyProviderError(err).log }, 'could not revoke a refresh token');
  });
}

function revokePasskeys(ctx: OidcContext, onRevokePasskeys: (userId: string) => Promise<number>): RequestHandler {
  const { deps, outcomes } = ctx;
  return async (req, res) => {
    const user = await deps.sessions.current(req, res);
    if (!user) return sendOutcome(req, res, outcomes.signInFirst());
    // A passkey session may be the thief's: only a fresh organisation sign-in may wipe the passkeys.
    if (!isRecentOrganisationSignIn(user, ctx.now())) {
      return sendOutcome(req, res, outcomes.recentSignInRequired());
    }
    const confirm = (req.body as Record<string, unknown> | undefined)?.['revokeOldPasskeys'];
    if (confirm !== '1' && confirm !== 1 && confirm !== true) {
      return sendOutcome(req, res, outcomes.badRequest('Nothing was changed: confirm with revokeOldPasskeys=1.'));
    }
    const revoked = await onRevokePasskeys(user.userId);
    // Whoever holds a lost device may still be signed in with it.
    const endedSessions = await deps.sessions.revokeWhere(user.userId, (u) => u.authMethod === 'passkey');
    deps.log.info({ event: 'oidc.recovery.passkeys-revoked', userId: user.userId, revoked, endedSessions }, 'old passkeys revoked');
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({ revoked, endedSessions });
      return;
    }
    res.redirect(303, `${deps.prefix}/auth/account?recovered=1&revoked=${revoked}`);
  };
}

function sameSiteOnly(ctx: OidcContext): RequestHandler {
  const origins = ctx.deps.allowedOrigins ?? [new URL(ctx.deps.redirectUri).origin];
  return (req, res, next) => {
    const verdict = checkCsrf(req, origins);
    if (verdict.ok) return next();
    ctx.deps.log.info({ event: 'oidc.cross-site-refused', reason: verdict.reason, path: req.path }, 'refused a cross-site request');
    sendOutcome(req, res, ctx.outcomes.crossSite());
  };
}

/** A browser form gets a redirect; a script (Accept: application/json) gets `{ redirectTo }` to navigate to. */
function redirect(req: Request, res: Response, url: string): void {
  if (req.method === 'POST' && req.accepts(['html', 'json']) === 'json') {
    res.json({ redirectTo: url });
    return;
  }
  res.redirect(req.method === 'POST' ? 303 : 302, url);
}
