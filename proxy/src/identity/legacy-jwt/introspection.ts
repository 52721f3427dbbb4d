import { createHash } from 'node:crypto';
import { createSingleFlight } from '../../legacy/single-flight.ts';
import { callerFromClaims, type ClaimPaths } from './claim-path.ts';
import { createExpiringLru } from './expiring-lru.ts';
import type { LegacyJwtResult, LegacyJwtVerifier } from './legacy-jwt.ts';

export interface IntrospectionOptions {
  /** The legacy API's "who am I" endpoint: GET, with the caller's credential as it came. */
  url: string;
  /** Where the user id, roles and username sit in its JSON answer. */
  claims: ClaimPaths;
  /** How long a token's answer is reused; 0: asked every time. */
  cacheSec: number;
  timeoutMs: number;
  /** How many tokens' answers to keep (least recently used out first). */
  maxCachedTokens?: number;
  log?: { warn(obj: object, msg: string): void };
  now?: () => number;
}

type Success = Extract<LegacyJwtResult, { ok: true }>;

// A who-am-I answer is a small JSON document; anything larger is not one.
const MAX_ANSWER_BYTES = 256 * 1024;
const WARN_EVERY_MS = 60_000;

/**
 * Opaque legacy tokens, checked by asking the legacy API who they belong to. Each token's
 * answer is kept for `cacheSec` (bounded memory, keyed by the token's hash so no token sits in
 * it), concurrent requests with the same token share one call, and nothing but a verified
 * caller is kept: a refusal, an outage or a timeout is asked again next time, so one bad
 * moment of the legacy API does not lock a user out for the cache's lifetime.
 * 400/401/403 mean the credential is bad; anything else that is not a usable 2xx answer means
 * the proxy cannot tell now.
 */
export function createIntrospectionVerifier(opts: IntrospectionOptions): LegacyJwtVerifier {
  const now = opts.now ?? Date.now;
  const answers = createExpiringLru<Success>(opts.maxCachedTokens ?? 10_000, now);
  const flights = createSingleFlight();
  let warnedAt = -Infinity;

  function warn(detail: object, msg: string): void {
    if (!opts.log || now() - warnedAt < WARN_EVERY_MS) return;
    warnedAt = now();
    opts.log.warn({ component: 'legacy-introspection', ...detail }, msg);
  }

  async function ask(asSent: Record<string, string>): Promise<LegacyJwtResult> {
    let res: Response;
    try {
      res = await fetch(opts.url, {
        headers: { accept: 'application/json', ...asSent },
        redirect: 'manual',
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
    } catch (err) {
      warn({ err: (err as Error).name }, 'the legacy "who am I" endpoint could not be reached: legacy tokens cannot be checked');
      return { ok: false, reason: 'introspection-unavailable' };
    }
    const text = await res.text().catch(() => undefined);
    if (res.status === 400 || res.status === 401 || res.status === 403) return { ok: false, reason: 'rejected' };
    if (res.status < 200 || res.status > 299 || text === undefined || text.length > MAX_ANSWER_BYTES) {
      warn({ status: res.status }, 'the legacy "who am I" endpoint gave no usable answer: legacy tokens cannot be checked');
      return { ok: false, reason: 'introspection-unavailable' };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      warn({ status: res.status }, 'the legacy "who am I" endpoint answered something other than JSON');
      return { ok: false, reason: 'introspection-unavailable' };
    }
    const caller = callerFromClaims(body, opts.claims, 'legacy-jwt');
    if (!caller) {
      warn({ userIdClaim: opts.claims.userId }, 'the legacy "who am I" answer has no user id where LEGACY_USER_ID_CLAIM says');
      return { ok: false, reason: 'claims' };
    }
    return Object.freeze({ ok: true, caller, expiresAt: now() + opts.cacheSec * 1000 });
  }

  return {
    async verify(token, asSent) {
      if (!asSent || Object.keys(asSent).length === 0) return { ok: false, reason: 'malformed' };
      const key = createHash('sha256').update(token).digest('base64url');
      const hit = answers.get(key);
      if (hit) return hit;
      return flights.run(key, async () => {
        const result = await ask(asSent);
        if (result.ok && opts.cacheSec > 0) answers.set(key, result, result.expiresAt);
        return result;
      });
    },
  };
}
