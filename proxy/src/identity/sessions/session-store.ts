import session, { type SessionData } from 'express-session';
import type { Keyv } from 'keyv';
import { createSessionIndex, sessionKey, type SessionIndex } from './session-index.ts';
import './session-user.ts';

export interface KeyvSessionStoreOptions {
  /** Sessions older than this (from `user.createdAt`) are gone, however active. */
  absoluteMs: number;
  /**
   * How often a session is written back to extend its lifetime and checked against its user's
   * index (revocation). Between rechecks a request costs one read and no write.
   */
  recheckMs?: number;
  now?: () => number;
}

type StoredSession = SessionData & { refreshedAt?: number };
type Callback = (err?: unknown) => void;

/**
 * express-session's store over Keyv (memory or Redis), so sessions are shared by all proxy
 * instances. TTLs follow the cookie's sliding expiry, capped by the absolute lifetime.
 */
export class KeyvSessionStore extends session.Store {
  readonly index: SessionIndex;
  private readonly absoluteMs: number;
  private readonly recheckMs: number;
  private readonly now: () => number;

  constructor(
    private readonly keyv: Keyv,
    opts: KeyvSessionStoreOptions,
  ) {
    super();
    this.absoluteMs = opts.absoluteMs;
    this.recheckMs = opts.recheckMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    this.index = createSessionIndex(keyv, this.absoluteMs);
  }

  override get(sid: string, cb: (err: unknown, sess?: SessionData | null) => void): void {
    this.read(sid).then((sess) => cb(null, sess), (err: unknown) => cb(err));
  }

  override set(sid: string, sess: SessionData, cb?: Callback): void {
    settle(this.write(sid, sess), cb);
  }

  override destroy(sid: string, cb?: Callback): void {
    settle(this.remove(sid), cb);
  }

  /** Called on every request that did not change the session: writes only when a recheck is due. */
  override touch(sid: string, sess: SessionData, cb?: Callback): void {
    settle(this.due(sess) ? this.write(sid, sess) : Promise.resolve(), cb);
  }

  /** A live session, or null when it is missing, past its absolute cap, or revoked. */
  async read(sid: string): Promise<StoredSession | null> {
    const sess = await this.keyv.get<StoredSession>(sessionKey(sid));
    if (!sess) return null;
    if (this.expired(sess)) {
      await this.remove(sid);
      return null;
    }
    if (sess.user && this.due(sess) && !(await this.index.has(sess.user.userId, sid))) {
      // Not listed: revoked (perhaps on another instance) while this session was in flight.
      await this.keyv.delete(sessionKey(sid));
      return null;
    }
    return sess;
  }

  async remove(sid: string): Promise<void> {
    const sess = await this.keyv.get<StoredSession>(sessionKey(sid));
    await this.keyv.delete(sessionKey(sid));
    if (sess?.user) await this.index.remove(sess.user.userId, [sid]);
  }

  private async write(sid: string, sess: SessionData): Promise<void> {
    const now = this.now();
    const ttl = this.ttlOf(sess, now);
    if (ttl <= 0) {
      await this.remove(sid);
      return;
    }
    const record: StoredSession = { ...sess, refreshedAt: now };
    if (!(await this.keyv.set(sessionKey(sid), record, ttl))) throw new Error('the session store refused a write');
  }

  private ttlOf(sess: SessionData, now: number): number {
    const expires = sess.cookie?.expires ? new Date(sess.cookie.expires).getTime() : now + this.absoluteMs;
    const absoluteEnd = sess.user ? sess.user.createdAt + this.absoluteMs : now + this.absoluteMs;
    return Math.min(expires, absoluteEnd) - now;
  }

  private expired(sess: StoredSession): boolean {
    const now = this.now();
    if (sess.user && now - sess.user.createdAt >= this.absoluteMs) return true;
    // Keyv's TTL should already have dropped it; the stored expiry is the contract.
    const expires = sess.cookie?.expires ? new Date(sess.cookie.expires).getTime() : Infinity;
    return now >= expires;
  }

  private due(sess: StoredSession): boolean {
    return this.now() - (sess.refreshedAt ?? 0) >= this.recheckMs;
  }
}

function settle(work: Promise<unknown>, cb: Callback | undefined): void {
  work.then(
    () => cb?.(),
    (err: unknown) => cb?.(err),
  );
}
