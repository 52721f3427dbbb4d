import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import { pino } from 'pino';
import { ProblemError, problems, sendProblem } from '../../edge/problem.ts';
import type { Caller } from '../../routing/route.ts';
import { createCutoff } from '../cutoff.ts';
import { createKeyv } from '../../storage/keyv-store.ts';
import type { LegacyJwtVerifier } from '../legacy-jwt/legacy-jwt.ts';
import type { PasskeyDeps } from './passkey-deps.ts';
import { createPasskeyRouter, type PasskeyRouter } from './passkey-router.ts';
import { createAuthPagesRouter } from '../pages/auth-pages-router.ts';
import { createCallerResolver } from '../resolve-caller.ts';
import { createSessions, type Sessions } from '../sessions/sessions.ts';

/**
 * Test support: the passkey API and pages mounted at /_proxy/auth as the proxy mounts them,
 * over real sessions in in-memory Keyv and the real caller resolver. Legacy JWTs are stood in
 * for by `legacy-<user>` bearer tokens, for the users in USERS.
 */
export const USERS: Record<string, Caller> = {
  alice: { userId: 'u-alice', username: 'alice', roles: ['teacher'], via: 'legacy-jwt' },
  bob: { userId: 'u-bob', username: 'bob', roles: ['student'], via: 'legacy-jwt' },
};

const fakeJwt: LegacyJwtVerifier = {
  async verify(token) {
    const caller = USERS[token.replace(/^legacy-/, '')];
    return caller && token.startsWith('legacy-') ? { ok: true, caller, expiresAt: Date.now() + 3_600_000 } : { ok: false, reason: 'signature' };
  },
};

export interface PasskeyTestApp {
  base: string;
  /** The origin pages are served from (and WebAuthn responses must name). */
  origin: string;
  rpId: string;
  sessions: Sessions;
  passkeys: PasskeyRouter;
  clock: { now: number | null };
  stop(): Promise<void>;
}

export async function startPasskeyTestApp(opts: Partial<PasskeyDeps> = {}): Promise<PasskeyTestApp> {
  const server = http.createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  const origin = opts.origins?.[0] ?? `http://localhost:${port}`;
  const clock = { now: null as number | null };
  const now = () => clock.now ?? Date.now();
  const sessions = createSessions({ keyv: createKeyv({ namespace: 'sess' }), secret: 'a-test-secret-that-is-long-enough-0123456789', secure: false });
  const resolveCaller = createCallerResolver({ sessions, jwt: fakeJwt, cutoff: createCutoff(undefined) });
  const log = pino({ level: 'silent' });

  const app = express();
  const auth = express.Router();
  const passkeys = createPasskeyRouter({
    rpId: 'localhost',
    rpName: 'Education platform',
    origins: [origin],
    keyv: (namespace) => createKeyv({ namespace }),
    sessions,
    resolveCaller,
    prefix: '/_proxy',
    log,
    now,
    ...opts,
  });
  auth.use(passkeys);
  auth.use(createAuthPagesRouter({ prefix: '/_proxy', oidcEnabled: true }));
  app.use('/_proxy/auth', auth);
  app.use((req) => {
    throw new ProblemError(problems.notFound(`${req.method} ${req.originalUrl} is not here.`));
  });
  const renderProblems: ErrorRequestHandler = (err, _req, res, _next) => {
    if (err instanceof ProblemError) return sendProblem(res, err.problem, 'test', err.headers);
    const status = typeof err?.status === 'number' && err.status < 500 ? err.status : 500;
    if (status === 500) console.error(err);
    sendProblem(res, status === 500 ? problems.internal() : { title: 'Bad Request', status }, 'test');
  };
  app.use(renderProblems);
  server.on('request', app);

  return {
    base: `http://127.0.0.1:${port}/_proxy/auth`,
    origin,
    rpId: 'localhost',
    sessions,
    passkeys,
    clock,
    stop: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * A browser stand-in over fetch: keeps cookies (name=value only; Path and expiry are not
 * modelled, so it sends every cookie it holds) and sends our Origin unless told otherwise.
 */
export function createClient(app: PasskeyTestApp, jar = new Map<string, string>()) {
  async function request<T = any>(method: string, path: string, body?: unknown, extra: { bearer?: string; origin?: string | null } = {}): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (extra.origin !== null) headers.origin = extra.origin ?? app.origin;
    if (extra.bearer) headers.authorization = `Bearer ${extra.bearer}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(`${app.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at);
      const value = pair!.slice(at + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }
  return { jar, request };
}
