import type { RequestHandler } from 'express';
import { rateLimit, type ClientRateLimitInfo, type Store } from 'express-rate-limit';
import type { Keyv } from 'keyv';
import { ProblemError } from '../edge/problem.ts';

export interface AuthRateLimitOptions {
  /** Requests per window per client IP. Default 30. */
  limit?: number;
  /** Default one minute. */
  windowMs?: number;
  /**
   * Shared counters (createKeyv({ namespace: 'auth-rate' })), so N proxy instances do not
   * allow N times the limit. Absent: each instance counts for itself.
   */
  keyv?: Keyv;
}

/**
 * Per-IP limit for the passkey ceremonies: cheap for a person (a sign-in is two requests), a
 * wall for a script hammering options (each stores a challenge) or verify. Behind a load
 * balancer the app must trust its X-Forwarded-For (Express 'trust proxy'), or every user
 * shares the balancer's IP.
 */
export function createAuthRateLimit(opts: AuthRateLimitOptions = {}): RequestHandler {
  const windowMs = opts.windowMs ?? 60_000;
  return rateLimit({
    windowMs,
    limit: opts.limit ?? 30,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    ...(opts.keyv ? { store: keyvStore(opts.keyv, windowMs) } : {}),
    handler: (_req, res, next) => {
      // express-rate-limit has set Retry-After (seconds) already.
      const seconds = Number(res.getHeader('retry-after')) || Math.ceil(windowMs / 1000);
      next(
        new ProblemError(
          {
            type: 'urn:strangler-proxy:rate-limited',
            title: 'Too many attempts',
            status: 429,
            detail: `Too many sign-in attempts from your network. Wait ${seconds} seconds, then try again.`,
          },
          { 'retry-after': String(seconds) },
        ),
      );
    },
  });
}

interface Window {
  hits: number;
  resetAt: number;
}

/**
 * express-rate-limit's Store over Keyv. Read-modify-write, not atomic: instances hitting the
 * same key in the same instant can under-count by a few, which a throttle can live with.
 */
function keyvStore(keyv: Keyv, windowMs: number): Store {
  const info = (w: Window): ClientRateLimitInfo => ({ totalHits: w.hits, resetTime: new Date(w.resetAt) });
  const current = async (key: string): Promise<Window | undefined> => {
    const w = await keyv.get<Window>(key);
    return w && w.resetAt > Date.now() ? w : undefined;
  };
  return {
    localKeys: false,
    prefix: 'auth-rate:',
    async get(key) {
      const w = await current(key);
      return w ? info(w) : undefined;
    },
    async increment(key) {
      const now = Date.now();
      const w = (await current(key)) ?? { hits: 0, resetAt: now + windowMs };
      w.hits += 1;
      await keyv.set(key, w, w.resetAt - now);
      return info(w);
    },
    async decrement(key) {
      const w = await current(key);
      if (w && w.hits > 0) await keyv.set(key, { ...w, hits: w.hits - 1 }, w.resetAt - Date.now());
    },
    async resetKey(key) {
      await keyv.delete(key);
    },
  };
}
