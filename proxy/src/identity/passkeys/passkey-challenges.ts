import type { IncomingMessage } from 'node:http';
import type { Response } from 'express';
import type { Keyv } from 'keyv';
import { randomBase64Url } from './base64url.ts';

export type Ceremony = 'registration' | 'authentication';

/**
 * A pending ceremony, stored in Keyv (namespace `passkey-challenges`) as `chal:<id>`, with a TTL,
 * so whichever proxy instance receives the verify step can finish what another began.
 */
export interface ChallengeRecord {
  ceremony: Ceremony;
  /** base64url, exactly as sent in the options; clientDataJSON must echo it. */
  challenge: string;
  expiresAt: number;
  /** Registration: the account being given a passkey. Authentication by username: the account expected. */
  userId?: string;
}

export type TakeResult =
  | { ok: true; record: ChallengeRecord }
  | { ok: false; reason: 'no-cookie' | 'unknown-or-used' | 'expired' | 'other-ceremony' };

export interface ChallengeStore {
  /** Stores the challenge and hands the browser its id in a short-lived HttpOnly cookie. */
  issue(res: Response, record: Omit<ChallengeRecord, 'expiresAt'>): Promise<void>;
  /** Single use: the record is deleted by the first take, whatever the outcome of the ceremony. */
  take(req: IncomingMessage, res: Response, ceremony: Ceremony): Promise<TakeResult>;
}

export interface ChallengeStoreOptions {
  keyv: Keyv;
  /** The cookie goes only to the passkey API: `${prefix}/auth/passkeys`. */
  cookiePath: string;
  secure: boolean;
  ttlMs?: number;
  now?: () => number;
}

/**
 * Why a cookie and not the request body: the cookie is HttpOnly and SameSite=Strict, so a
 * ceremony can only be finished by the browser that started it. An assertion lifted from the
 * page (by an injected script, say) cannot be redeemed from another machine, and page script
 * never handles the id. One cookie per ceremony kind, so signing in and adding a passkey in two
 * tabs do not trample each other; two sign-ins at once do, and the older is told to start again.
 */
export function createChallengeStore(opts: ChallengeStoreOptions): ChallengeStore {
  const ttlMs = opts.ttlMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const cookieName = (ceremony: Ceremony) => (ceremony === 'registration' ? 'sp_passkey_reg' : 'sp_passkey_auth');
  const cookieOptions = { httpOnly: true, secure: opts.secure, sameSite: 'strict', path: opts.cookiePath } as const;

  return {
    async issue(res, record) {
      const id = randomBase64Url(24);
      const stored: ChallengeRecord = { ...record, expiresAt: now() + ttlMs };
      await opts.keyv.set(`chal:${id}`, stored, ttlMs);
      res.cookie(cookieName(record.ceremony), id, { ...cookieOptions, maxAge: ttlMs });
    },
    async take(req, res, ceremony) {
      const name = cookieName(ceremony);
      const id = readCookie(req.headers.cookie, name);
      res.clearCookie(name, cookieOptions);
      if (!id) return { ok: false, reason: 'no-cookie' };
      const record = await opts.keyv.get<ChallengeRecord>(`chal:${id}`);
      // Only the request whose delete removed the key may use it: with Redis, DEL is atomic, so
      // two instances racing with the same cookie cannot both pass.
      const mine = record ? await opts.keyv.delete(`chal:${id}`) : false;
      if (!record || !mine) return { ok: false, reason: 'unknown-or-used' };
      if (record.ceremony !== ceremony) return { ok: false, reason: 'other-ceremony' };
      if (now() >= record.expiresAt) return { ok: false, reason: 'expired' };
      return { ok: true, record };
    },
  };
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim() || undefined;
  }
  return undefined;
}
