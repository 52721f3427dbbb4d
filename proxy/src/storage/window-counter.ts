import type { Keyv } from 'keyv';
import { memoryStateOf } from './memory-state.ts';
import { orFailOpen, redisBehind } from './redis-behind.ts';

export interface WindowCount {
  count: number;
  /** ms since the epoch when this window ends and counting starts again from zero. */
  resetAt: number;
}

/**
 * Fixed-window hit counters that every instance adds to at once (rate limits): the window
 * starts with a key's first hit and lasts `windowMs`. In Redis each hit is one script (INCR,
 * and PEXPIRE on the first), so no hit is lost; in memory a Map does the same.
 * A Keyv made to fail open counts nothing while the store is away: a hit reads as the first.
 */
export interface WindowCounter {
  hit(key: string): Promise<WindowCount>;
  peek(key: string): Promise<WindowCount | undefined>;
  /** Takes one hit back (never below zero), leaving the window as it is. */
  undo(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}

const HIT = `local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`;
const PEEK = `local n = redis.call('GET', KEYS[1])
if not n then return nil end
return {tonumber(n), redis.call('PTTL', KEYS[1])}`;
const UNDO = `if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then return redis.call('DECR', KEYS[1]) end
return 0`;

export function createWindowCounter(keyv: Keyv, windowMs: number): WindowCounter {
  // Apart from the Keyv's values: an old whole-value window under the same key would make INCR fail.
  const counterKey = (key: string) => `hits:${key}`;
  const redis = redisBehind(keyv);
  if (!redis) return memoryCounter(keyv, windowMs, counterKey);
  const count = (reply: unknown): WindowCount | undefined => {
    if (!Array.isArray(reply)) return undefined;
    const [n, ttl] = reply.map(Number) as [number, number];
    return { count: n, resetAt: Date.now() + Math.max(0, ttl) };
  };
  const run = (what: string, script: string, key: string, args: string[] = []) =>
    redis.call(what, (r) => r.eval(script, { keys: [redis.key(counterKey(key))], arguments: args }));
  return {
    async hit(key) {
      const firstHit = { count: 1, resetAt: Date.now() + windowMs };
      return count(await orFailOpen(redis, run('hit', HIT, key, [String(windowMs)]), null)) ?? firstHit;
    },
    async peek(key) {
      return count(await orFailOpen(redis, run('peek', PEEK, key), null));
    },
    async undo(key) {
      await orFailOpen(redis, run('undo', UNDO, key), 0);
    },
    async reset(key) {
      await orFailOpen(redis, redis.call('del', (r) => r.del(redis.key(counterKey(key)))), 0);
    },
  };
}

function memoryCounter(keyv: Keyv, windowMs: number, counterKey: (key: string) => string): WindowCounter {
  const state = memoryStateOf(keyv);
  const read = (key: string): WindowCount | undefined => {
    const n = state.get<number>(counterKey(key));
    return n === undefined ? undefined : { count: n, resetAt: Date.now() + state.ttlOf(counterKey(key))! };
  };
  return {
    async hit(key) {
      const n = (state.get<number>(counterKey(key)) ?? 0) + 1;
      state.set(counterKey(key), n, n === 1 ? windowMs : undefined);
      return read(key)!;
    },
    peek: async (key) => read(key),
    async undo(key) {
      const n = state.get<number>(counterKey(key));
      if (n !== undefined && n > 0) state.set(counterKey(key), n - 1);
    },
    async reset(key) {
      state.delete(counterKey(key));
    },
  };
}
