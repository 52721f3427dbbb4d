import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express, { type ErrorRequestHandler } from 'express';
import type { Keyv } from 'keyv';
import {
  seedIdpUsers,
  startIdentityProvider,
  type IdentityProvider,
  type IdpUser,
  type TokenLifetimes,
} from '../../../../legacy-stub/src/identity-provider/server.ts';
export { createTestBrowser, type Page, type TestBrowser } from '../../../../legacy-stub/src/identity-provider/test-browser.ts';
import { createLogger } from '../../edge/logging.ts';
import { ProblemError, sendProblem } from '../../edge/problem.ts';
import { createCutoff } from '../cutoff.ts';
import { createTestKey, signTestToken, startJwksServer, type JwksServer, type TestKey } from '../legacy-jwt/jwks-test-server.ts';
import { closeKeyv, createKeyv } from '../../storage/keyv-store.ts';
import { createLegacyJwtVerifier } from '../legacy-jwt/legacy-jwt.ts';
import { createOidcRouter, type OidcRouter } from './oidc-router.ts';
import { createPasskeyRouter } from '../passkeys/passkey-router.ts';
import { createCallerResolver, type Resolution } from '../resolve-caller.ts';
import { createSessions, type Sessions } from '../sessions/sessions.ts';

/**
 * Test support: the real dev identity provider on a free loopback port, and a small Express app
 * with the OIDC router, real sessions over in-memory Keyv and a real legacy JWT verifier. The
 * passkey API is mounted beside it (its sign-out-everywhere serves the recovery view), on the
 * same clock.
 */
export const PREFIX = '/_proxy';
export const CLIENT_ID = 'strangler-proxy';
const CLIENT_SECRET = 'test-only-client-secret';
const LEGACY = { issuer: 'https://legacy.education.example', audience: 'education-platform' };

export interface OidcTestEnv {
  base: string;
  op: IdentityProvider;
  router: OidcRouter;
  sessions: Sessions;
  redirectUri: string;
  postLogoutRedirectUri: string;
  /** The Keyv of each namespace the router asked for, to look at what is stored. */
  stores: Map<string, Keyv>;
  /** Every log line the router wrote (level debug and up). */
  logText(): string;
  /** userIds whose passkeys recovery revoked. */
  revokedPasskeysOf: string[];
  /** A legacy bearer JWT the verifier accepts. */
  legacyToken(sub: string, name: string, role: string): Promise<string>;
  whoami(cookie?: string): Promise<Resolution>;
  /** Shifts the router's clock (token refresh decisions, recent sign-in checks). */
  advance(ms: number): void;
  /**
   * With `redisUrl`: the OIDC router of a second proxy instance, with its own connections to the
   * same Redis (sessions included) and the same clock.
   */
  anotherInstance(): Promise<OidcRouter>;
  stop(): Promise<void>;
}

export async function startOidcTestEnv(
  opts: { extraUsers?: IdpUser[]; ttl?: TokenLifetimes; linkClaim?: string | null; redisUrl?: string } = {},
): Promise<OidcTestEnv> {
  // The app's port goes into the redirect URI the provider registers: bind it first.
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const redirectUri = `${base}${PREFIX}/auth/oidc/callback`;
  const postLogoutRedirectUri = `${base}${PREFIX}/auth/sign-in`;

  const op = await startIdentityProvider({
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [redirectUri], post_logout_redirect_uris: [postLogoutRedirectUri] }],
    users: [...seedIdpUsers(), ...(opts.extraUsers ?? [])],
    ...(opts.ttl ? { ttl: opts.ttl } : {}),
  });
  const key: TestKey = await createTestKey('legacy-test');
  const jwks: JwksServer = await startJwksServer([key.publicJwk]);

  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const log = createLogger('debug', sink);
  const opened: Keyv[] = [];
  const open = (namespace: string) => {
    const keyv = createKeyv({ namespace, redisUrl: opts.redisUrl }) as Keyv;
    opened.push(keyv);
    return keyv;
  };
  const jwt = createLegacyJwtVerifier({ jwksUrl: jwks.url, ...LEGACY });
  const stores = new Map<string, Keyv>();
  const revokedPasskeysOf: string[] = [];
  let skew = 0;

  /** One proxy instance's sessions and OIDC router. */
  async function instance(record: boolean) {
    const sessions = createSessions({ keyv: open('sess'), secret: 'an-oidc-test-session-secret-0123456789', secure: false });
    const resolveCaller = createCallerResolver({ sessions, jwt, cutoff: createCutoff(undefined) });
    const router = await createOidcRouter({
      issuer: op.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri,
      postLogoutRedirectUri,
      allowInsecure: true,
      ...(opts.linkClaim === null ? {} : { linkClaim: opts.linkClaim ?? 'legacy_user_id' }),
      keyv: (namespace) => {
        const keyv = open(namespace);
        if (record) stores.set(namespace, keyv);
        return keyv;
      },
      sessions,
      resolveCaller,
      onRevokePasskeys: async (userId) => {
        revokedPasskeysOf.push(userId);
        return 2;
      },
      prefix: PREFIX,
      secureCookies: false,
      log,
      now: () => Date.now() + skew,
    });
    return { sessions, resolveCaller, router };
  }
  const { sessions, resolveCaller, router } = await instance(true);
  const passkeys = createPasskeyRouter({
    rpId: 'localhost',
    rpName: 'OIDC test',
    origins: [base],
    keyv: open,
    sessions,
    resolveCaller,
    prefix: PREFIX,
    log,
    now: () => Date.now() + skew,
  });

  const app = express();
  app.use(`${PREFIX}/auth/oidc`, router);
  app.use(`${PREFIX}/auth`, passkeys);
  app.get(`${PREFIX}/whoami`, async (req, res) => {
    res.json(await resolveCaller(req, res));
  });
  // A passkey sign-in stand-in, for tests that need a non-OIDC session.
  app.post(`${PREFIX}/test/passkey-sign-in`, sessions.middleware, async (req, res) => {
    await sessions.establish(req, { userId: String(req.query['user']), roles: [], authMethod: 'passkey', credentialId: 'cred-1' });
    res.status(204).end();
  });
  // The passkey API throws its refusals for the app's error handler to render, as in the proxy.
  const renderProblems: ErrorRequestHandler = (err, _req, res, next) =>
    err instanceof ProblemError ? sendProblem(res, err.problem, 'test', err.headers) : next(err);
  app.use(renderProblems);
  server.on('request', app);

  return {
    base,
    op,
    router,
    sessions,
    redirectUri,
    postLogoutRedirectUri,
    stores,
    logText: () => lines.join(''),
    revokedPasskeysOf,
    legacyToken: (sub, name, role) => signTestToken(key, { sub, name, role }, LEGACY),
    async whoami(cookie) {
      const res = await fetch(`${base}${PREFIX}/whoami`, { headers: cookie ? { cookie } : {} });
      return (await res.json()) as Resolution;
    },
    advance(ms) {
      skew += ms;
    },
    async anotherInstance() {
      if (!opts.redisUrl) throw new Error('a second instance shares state only through Redis: start the env with redisUrl');
      return (await instance(false)).router;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([op.close(), jwks.stop(), ...opened.map((k) => closeKeyv(k))]);
    },
  };
}
