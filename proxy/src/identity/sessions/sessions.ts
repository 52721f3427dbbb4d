import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import session, { type SessionData } from 'express-session';
import type { Keyv } from 'keyv';
import { sessionKey } from './session-index.ts';
import { KeyvSessionStore } from './session-store.ts';
import type { SessionUser } from './session-user.ts';

export type { SessionUser } from './session-user.ts';

/** What a sign-in ceremony hands over; `createdAt` defaults to now, `via` is always 'session'. */
export type NewSessionUser = Omit<SessionUser, 'createdAt' | 'via'> & { createdAt?: number; via?: 'session' };

export interface SessionsOptions {
  /** From createKeyv({ namespace: 'sess' }). */
  keyv: Keyv;
  /** Signs the cookie. Several: the first signs, all verify (rotation). 32+ characters each. */
  secret: string | string[];
  cookieName?: string;
  /** Secure cookie; false only for http://localhost development. */
  secure: boolean;
  /** Idle lifetime, renewed by every request. */
  slidingMs?: number;
  /** Lifetime from sign-in, however active. */
  absoluteMs?: number;
  recheckMs?: number;
  now?: () => number;
}

export interface Sessions {
  /** express-session over the Keyv store. Routes that establish or end sessions mount it. */
  middleware: RequestHandler;
  cookieName: string;
  store: KeyvSessionStore;
  /** Cheap: does the Cookie header carry our cookie at all? No parsing, no store. */
  carriesCookie(req: IncomingMessage): boolean;
  /** Runs the middleware if it has not run and returns the live session's user, if any. */
  current(req: IncomingMessage, res: ServerResponse): Promise<SessionUser | null>;
  /** Signs the user in on this request: new session id (no fixation), stored, indexed. */
  establish(req: IncomingMessage, user: NewSessionUser): Promise<void>;
  /** Signs out: the session is destroyed and the browser told to drop the cookie. */
  destroy(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Tells the browser to drop our cookie (e.g. with the 401 for an expired session). */
  clearCookie(res: ServerResponse): void;
  /**
   * Destroys every session of the user, on every instance; returns how many were live.
   * `except`: a session id to spare (the caller's own, when they sign out everywhere else).
   */
  revokeUser(userId: string, opts?: { except?: string }): Promise<number>;
  /** Destroys the user's sessions that match (e.g. those a deleted passkey created). */
  revokeWhere(userId: string, predicate: (user: SessionUser, sid: string) => boolean): Promise<number>;
}

type SessionRequest = IncomingMessage & {
  session?: session.Session & Partial<SessionData>;
  sessionID?: string;
};

const HOUR = 3_600_000;

export function createSessions(opts: SessionsOptions): Sessions {
  const secrets = Array.isArray(opts.secret) ? opts.secret : [opts.secret];
  if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < 32)) {
    throw new Error('session secrets must be strings of at least 32 characters');
  }
  const cookieName = opts.cookieName ?? (opts.secure ? '__Host-sp_session' : 'sp_session');
  if (cookieName.startsWith('__Host-') && !opts.secure) {
    throw new Error(`a ${cookieName} cookie must be Secure: browsers drop it otherwise`);
  }
  const now = opts.now ?? Date.now;
  const store = new KeyvSessionStore(opts.keyv, {
    absoluteMs: opts.absoluteMs ?? 24 * HOUR,
    recheckMs: opts.recheckMs,
    now,
  });
  const expressSession = session({
    name: cookieName,
    secret: secrets,
    store,
    resave: false,
    saveUninitialized: false, // no cookie before sign-in
    rolling: true, // every response renews the idle lifetime
    cookie: { httpOnly: true, secure: opts.secure, sameSite: 'lax', path: '/', maxAge: opts.slidingMs ?? 8 * HOUR },
  });

  const middleware: RequestHandler = (req, res, next) => {
    // express-session withholds a Secure cookie unless it sees TLS on this hop; behind a
    // TLS-terminating load balancer it would never sign anyone in. `secure: true` is the
    // operator saying browsers reach us over https, so the request is taken as secure.
    if (opts.secure && req.secure !== true) Object.defineProperty(req, 'secure', { value: true, configurable: true });
    expressSession(req, res, next);
  };

  function run(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if ((req as SessionRequest).session) return Promise.resolve();
    return new Promise((resolve, reject) =>
      middleware(req as Request, res as Response, (err?: unknown) => (err ? reject(err) : resolve())),
    );
  }

  const expiredCookie =
    `${cookieName}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax` +
    (opts.secure ? '; Secure' : '');

  function clearCookie(res: ServerResponse): void {
    const previous = res.getHeader('set-cookie');
    const cookies = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
    res.setHeader('set-cookie', [...cookies, expiredCookie]);
  }

  async function revokeWhere(userId: string, predicate: (user: SessionUser, sid: string) => boolean): Promise<number> {
    const sids = await store.index.list(userId);
    if (sids.length === 0) return 0;
    const records = await opts.keyv.getMany<SessionData>(sids.map(sessionKey));
    const doomed = sids.filter((sid, i) => {
      const user = records[i]?.user;
      return user !== undefined && user.userId === userId && predicate(user, sid);
    });
    await Promise.all(doomed.map((sid) => opts.keyv.delete(sessionKey(sid))));
    if (doomed.length > 0) await store.index.remove(userId, doomed);
    return doomed.length;
  }

  return {
    middleware,
    cookieName,
    store,
    carriesCookie: (req) => hasCookie(req.headers.cookie, cookieName),
    async current(req, res) {
      await run(req, res);
      return (req as SessionRequest).session?.user ?? null;
    },
    async establish(req, user) {
      const current = (req as SessionRequest).session;
      if (!current) throw new Error('sessions.middleware must run on a request before establish()');
      await new Promise<void>((resolve, reject) => current.regenerate((err) => (err ? reject(err) : resolve())));
      const fresh = (req as SessionRequest).session!;
      fresh.user = { ...user, via: 'session', createdAt: user.createdAt ?? now() };
      await new Promise<void>((resolve, reject) => fresh.save((err) => (err ? reject(err) : resolve())));
      await store.index.add(user.userId, fresh.id);
    },
    async destroy(req, res) {
      await run(req, res);
      const current = (req as SessionRequest).session;
      if (current) await new Promise<void>((resolve, reject) => current.destroy((err) => (err ? reject(err) : resolve())));
      clearCookie(res);
    },
    clearCookie,
    revokeUser: (userId, { except } = {}) => revokeWhere(userId, (_user, sid) => sid !== except),
    revokeWhere,
  };
}

/** True when the Cookie header has a cookie named exactly `name` (not `x${name}`). */
export function hasCookie(header: string | undefined, name: string): boolean {
  if (!header) return false;
  const needle = `${name}=`;
  for (let at = header.indexOf(needle); at !== -1; at = header.indexOf(needle, at + 1)) {
    if (at === 0 || header[at - 1] === ' ' || header[at - 1] === ';') return true;
  }
  return false;
}
