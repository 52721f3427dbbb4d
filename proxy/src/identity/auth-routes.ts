import express, { type Router } from 'express';
import type { Keyv } from 'keyv';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { createAuthRateLimit } from './auth-rate-limit.ts';
import { createKeyv } from '../storage/keyv-store.ts';
import { createOidcRouter } from './oidc/oidc-router.ts';
import { createAuthPagesRouter } from './pages/auth-pages-router.ts';
import { createPasskeyRouter } from './passkeys/passkey-router.ts';
import type { ResolveCaller } from './resolve-caller.ts';
import type { Sessions } from './sessions/sessions.ts';

/**
 * Everything under `${prefix}/auth`: the sign-in and account pages, the passkey ceremonies
 * and, when an identity provider is configured, OIDC sign-in, linking and recovery.
 * Returns the router and the Keyv stores it opened (to be closed at shutdown).
 */
export async function createAuthRoutes(deps: {
  config: Config;
  sessions: Sessions;
  resolveCaller: ResolveCaller;
  log: Logger;
}): Promise<{ router: Router; stores: Keyv[] }> {
  const { config, sessions, resolveCaller, log } = deps;
  const { auth, reservedPrefix: prefix } = config;
  const stores: Keyv[] = [];
  const keyv = (namespace: string, throwOnErrors = true) => {
    const store = createKeyv({ redisUrl: config.redisUrl, namespace, throwOnErrors, timeoutMs: config.storeTimeoutMs });
    stores.push(store as Keyv);
    return store as Keyv;
  };
  const origins = [...new Set([auth.publicOrigin, ...config.allowedOrigins])];
  if (auth.rpId === undefined) {
    log.warn(
      { component: 'passkeys', publicOrigin: auth.publicOrigin },
      `passkeys are off: the public URL ${auth.publicOrigin} is on an IP address, which WebAuthn refuses as a relying party id; set RP_ID to the site's host name (and PUBLIC_URL to match) to turn them on. Organisation sign-in and legacy tokens work as before`,
    );
  }

  const passkeys = createPasskeyRouter({
    rpId: auth.rpId,
    rpName: auth.rpName,
    origins,
    keyv: (ns) => keyv(ns),
    sessions,
    resolveCaller,
    prefix,
    log: log.child({ component: 'passkeys' }),
    // Counters shared between instances, failing open: a Redis blip must not lock everyone out.
    ceremonyLimiter: createAuthRateLimit({ limit: auth.rateLimitPerMinute, keyv: keyv('auth-rate', false) }),
  });

  const router = express.Router();
  router.use(
    createAuthPagesRouter({ prefix, oidcEnabled: auth.oidc !== undefined, passkeysEnabled: auth.rpId !== undefined, legacyCredential: config.legacyTokenInBrowser }),
  );
  router.use(passkeys);
  if (auth.oidc) {
    const oidc = await createOidcRouter({
      ...auth.oidc,
      redirectUri: `${auth.publicOrigin}${prefix}/auth/oidc/callback`,
      postLogoutRedirectUri: `${auth.publicOrigin}${prefix}/auth/sign-in`,
      keyv: (ns) => keyv(ns),
      sessions,
      resolveCaller,
      onRevokePasskeys: passkeys.revokeAllPasskeys,
      prefix,
      secureCookies: config.cookieSecure,
      allowedOrigins: origins,
      log: log.child({ component: 'oidc' }),
    });
    router.use('/oidc', createAuthRateLimit({ limit: auth.rateLimitPerMinute, keyv: keyv('auth-rate-oidc', false) }), oidc);
  }
  return { router, stores };
}
