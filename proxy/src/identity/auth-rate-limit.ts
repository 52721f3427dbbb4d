import type { RequestHandler } from 'express';
import { rateLimit, type ClientRateLimitInfo, type Store } from 'express-rate-limit';
import type { Keyv } from 'keyv';
import { ProblemError } from '../edge/problem.ts';
import { createWindowCounter, type WindowCount } from '../storage/window-counter.ts';

export interface AuthRateLimitOptions {
  /** Requests per window per client IP. Default 30. */
  limit?: number;
  /** Default one minute. */
  windowMs?: number;
  /**
   * Shared counters (createKeyv({ namespace: 'auth-rate', throwOnErrors: false })), so N proxy
   * instances do not allow N times the limit; a store that fails open lets requests through
   * while Redis is away. Absent: each instance counts for itself.
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
    ...(opts.keyv ? { store: sharedStore(opts.keyv, windowMs) } : {}),
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

/** express-rate-limit's Store over a window counter every instance adds to atomically. */
function sharedStore(keyv: Keyv, windowMs: number): Store {
  const counter = createWindowCounter(keyv, windowMs);
  const info = (c: WindowCount): ClientRateLimitInfo => ({ totalHits: c.count, resetTime: new Date(c.resetAt) });
  return {
    localKeys: false,
    prefix: 'auth-rate:',
    async get(key) {
      const c = await counter.peek(key);
      return c && info(c);
    },
    increment: async (key) => info(await counter.hit(key)),
    decrement: (key) => counter.undo(key),
    resetKey: (key) => counter.reset(key),
  };
}
