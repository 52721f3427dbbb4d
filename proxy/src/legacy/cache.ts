import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import type { Logger } from 'pino';
import { createBroadcast } from '../storage/broadcast.ts';
import { throttledWarn } from '../edge/throttled-warn.ts';
import { jsonCopy } from './json-copy.ts';
import { LruStore } from './lru-store.ts';
import { createSingleFlight } from './single-flight.ts';

export type CacheScope = 'shared' | 'user';

export interface LegacyCacheOptions {
  /** Per-user answers go to Redis when set (shared by every proxy instance). */
  redisUrl?: string;
  sharedMaxEntries: number;
  userMaxEntries: number;
  /** A cache that does not answer within this is treated as a miss: it must never hold a request up. */
  opTimeoutMs: number;
  log: Logger;
}

export interface LegacyCache {
  /**
   * The cached answer for `key`, else `load`'s, stored for `ttlMs`. One load per key
   * at a time: concurrent callers share it. A load that throws stores nothing.
   */
  getOrFetch<T>(
    scope: CacheScope,
    key: string,
    ttlMs: number,
    load: (signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T>;
  invalidate(scope: CacheScope, key: string): Promise<void>;
  close(): Promise<void>;
}

/** Keys in Redis read `strangler:legacy-cache::user:<userId>:<path>`. */
const REDIS_NAMESPACE = 'strangler:legacy-cache';
/** Where one instance's invalidations reach all the others. */
const INVALIDATIONS = `${REDIS_NAMESPACE}::invalidations`;
const REDIS_CONNECT_TIMEOUT_MS = 2_000;
const WARN_EVERY_MS = 30_000;

/**
 * The cache key of a legacy path. Shared answers are the same for everyone; per-user
 * answers always carry the user id, so one user's answer can never be another's.
 */
export function cacheKey(scope: CacheScope, path: string, userId: string | undefined): string {
  if (scope === 'shared') return `shared:${path}`;
  if (!userId) {
    throw new Error('a user-scoped legacy cache entry needs the caller\'s user id (bind the client with userId)');
  }
  return `user:${encodeURIComponent(userId)}:${path}`;
}

/**
 * Shared answers live in a bounded in-memory LRU per instance; per-user answers in Redis when
 * a URL is configured, else in a second bounded LRU. With Redis, an invalidation is published
 * to every instance, which drops its own copy and forgets its loads in flight for the key.
 * The cache is an optimisation: when Redis fails or stalls, calls go to the legacy API as if
 * nothing were cached.
 *
 * In memory the parsed answer itself is kept, and a hit is a Map look-up and a copy: no Keyv,
 * no serialising, no timer (memory cannot stall). Redis goes through Keyv, bounded in time.
 */
export async function createLegacyCache(opts: LegacyCacheOptions): Promise<LegacyCache> {
  // While Redis is down every call fails the same way: say so once in a while, not per call.
  const warn = throttledWarn(opts.log, WARN_EVERY_MS);
  const shared = new LruStore(opts.sharedMaxEntries);
  const flights = createSingleFlight();
  // Only what this instance holds itself: a load in flight, a shared answer in memory.
  const dropLocal = (scope: CacheScope, key: string) => {
    flights.forget(key);
    if (scope === 'shared') shared.delete(key);
  };
  const onRedisError = (err: unknown) => warn({ err }, 'legacy cache: Redis error');
  const redis = opts.redisUrl ? await connectRedis(opts.redisUrl, onRedisError) : undefined;
  const userMemory = redis ? undefined : new LruStore(opts.userMaxEntries);
  const broadcast = redis
    ? await createBroadcast({
        adapter: redis.store as KeyvRedis<unknown>,
        channel: INVALIDATIONS,
        onMessage(message) {
          const { scope, key } = parseInvalidation(message) ?? {};
          if (scope && key) dropLocal(scope, key);
        },
        // Invalidations sent while this instance was cut off never reach it: start afresh.
        onResync: () => shared.clear(),
        onError: onRedisError,
      })
    : undefined;
  const memory: Record<CacheScope, LruStore | undefined> = { shared, user: userMemory };

  async function bounded<T>(op: string, work: Promise<T>, fallback: T): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<'stalled'>((resolve) => {
      timer = setTimeout(() => resolve('stalled'), opts.opTimeoutMs);
    });
    try {
      const result = await Promise.race([work, stalled]);
      if (result !== 'stalled') return result;
      warn({ op, timeoutMs: opts.opTimeoutMs }, 'legacy cache: no answer in time; carrying on without it');
    } catch (err) {
      warn({ op, err }, 'legacy cache: operation failed; carrying on without it');
    } finally {
      clearTimeout(timer);
    }
    return fallback;
  }

  return {
    async getOrFetch<T>(
      scope: CacheScope,
      key: string,
      ttlMs: number,
      load: (signal: AbortSignal) => Promise<T>,
      signal?: AbortSignal,
    ): Promise<T> {
      const local = memory[scope];
      if (local) {
        const hit = local.get(key);
        // Every caller gets its own copy: no handler sees another's edits.
        if (hit !== undefined) return jsonCopy(hit as T);
      } else {
        // Keyv's deserialising already makes a copy per read.
        const hit = await bounded('get', redis!.get(key), undefined);
        if (hit !== undefined) return hit as T;
      }
      const fresh = await flights.run(
        key,
        async (flight) => {
          const value = await load(flight.signal);
          // An invalidation while we fetched means this answer may predate the write.
          if (value !== undefined && !flight.forgotten()) {
            if (local) local.set(key, value, ttlMs);
            else await bounded('set', redis!.set(key, value, ttlMs), false);
          }
          return value;
        },
        signal,
      );
      // Waiters (and the in-memory store) share one result object; each gets its own copy.
      return jsonCopy(fresh);
    },
    async invalidate(scope: CacheScope, key: string): Promise<void> {
      dropLocal(scope, key);
      if (scope === 'user') userMemory?.delete(key);
      await Promise.all([
        scope === 'user' && redis ? bounded('delete', redis.delete(key), false) : undefined,
        broadcast ? bounded('publish', broadcast.publish(JSON.stringify({ scope, key })), undefined) : undefined,
      ]);
    },
    async close(): Promise<void> {
      await broadcast?.close();
      await redis?.disconnect();
    },
  };
}

/** An invalidation another instance published; undefined for anything else on the channel. */
function parseInvalidation(message: string): { scope: CacheScope; key: string } | undefined {
  try {
    const { scope, key } = JSON.parse(message) as Record<string, unknown>;
    return (scope === 'shared' || scope === 'user') && typeof key === 'string' ? { scope, key } : undefined;
  } catch {
    return undefined;
  }
}

async function connectRedis(url: string, onError: (err: unknown) => void): Promise<Keyv<unknown>> {
  const store = new KeyvRedis(
    {
      url,
      // Without this, commands wait in an offline queue while Redis is away and the
      // requests behind them hang; failing at once lets the call go to the legacy API.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2_000),
      },
    },
    { connectionTimeout: REDIS_CONNECT_TIMEOUT_MS, throwOnConnectError: true },
  );
  // The namespace lives on one side only (the adapter, which Keyv sets from its own);
  // with Keyv prefixing too, keys would carry it twice.
  const keyv = new Keyv<unknown>({ store, namespace: REDIS_NAMESPACE, useKeyPrefix: false });
  keyv.on('error', onError);
  try {
    await store.getClient();
  } catch {
    await keyv.disconnect().catch(() => undefined);
    throw new Error(`the Redis for the legacy cache (${safeHost(url)}) is unreachable`);
  }
  return keyv;
}

/** host:port only: a Redis URL may carry a password. */
function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'unparseable REDIS_URL';
  }
}
