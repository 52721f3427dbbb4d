import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Keyv } from 'keyv';
import { startRedis, type RedisHandle } from './redis-server.ts';
import { closeKeyv, createKeyv, type KeyvStoreOptions } from '../proxy/src/storage/keyv-store.ts';

export interface SharedKeyvs {
  /** Instance A's and B's Keyv for the same namespace. */
  a: Keyv;
  b: Keyv;
  close(): Promise<void>;
}

/**
 * Two proxy instances' views of one store: two Keyvs, each with its own connection, on one
 * Redis; or, without a Redis URL, one in-memory Keyv for both (in memory there is only ever
 * one process).
 */
export function sharedKeyvs(redisUrl: string | undefined, opts: Omit<KeyvStoreOptions, 'redisUrl'>): SharedKeyvs {
  const a = createKeyv({ ...opts, redisUrl }) as Keyv;
  const b = redisUrl ? (createKeyv({ ...opts, redisUrl }) as Keyv) : a;
  return {
    a,
    b,
    close: async () => {
      await Promise.all([...new Set([a, b])].map((k) => closeKeyv(k)));
    },
  };
}

/**
 * A real Redis for one test file, and two instances' stores on it per test: `shared()` opens
 * them, and what a test opened is closed after it (the Redis resumed first, in case the test
 * paused it). Registers the file's hooks; call it at the top level of a test file.
 */
export function redisSuite() {
  let redis: RedisHandle | undefined;
  const opened: SharedKeyvs[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    redis?.resume();
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  afterAll(() => redis?.stop());
  return {
    get redis(): RedisHandle {
      return redis!;
    },
    shared(redisUrl: string | undefined, opts: Omit<KeyvStoreOptions, 'redisUrl'>): SharedKeyvs {
      const s = sharedKeyvs(redisUrl, opts);
      opened.push(s);
      return s;
    },
  };
}
