import type { Keyv } from 'keyv';
import { memoryStateOf } from './memory-state.ts';
import { orFailOpen, redisBehind } from './redis-behind.ts';

/**
 * Sets of strings that every instance changes at once without losing a change: Redis sets
 * (SADD, SREM) under the Keyv's namespace, or a Set per key in memory. Each call is one atomic
 * step. Failures are StoreUnavailableError; a Keyv made to fail open reads as an empty set.
 */
export interface SetStore {
  /** With `ttlMs`, the whole set expires that long after this write (each add renews it). */
  add(key: string, members: readonly string[], ttlMs?: number): Promise<void>;
  remove(key: string, members: readonly string[]): Promise<void>;
  members(key: string): Promise<string[]>;
  has(key: string, member: string): Promise<boolean>;
}

// SADD and PEXPIRE in one step: a set must never be left without its expiry.
const ADD_WITH_TTL = `redis.call('SADD', KEYS[1], unpack(ARGV, 2))
return redis.call('PEXPIRE', KEYS[1], ARGV[1])`;

export function createSetStore(keyv: Keyv): SetStore {
  const redis = redisBehind(keyv);
  if (!redis) return memorySets(keyv);
  return {
    async add(key, members, ttlMs) {
      if (members.length === 0) return;
      const k = redis.key(key);
      const work =
        ttlMs === undefined
          ? redis.call('sadd', (r) => r.sAdd(k, [...members]))
          : redis.call('sadd', (r) => r.eval(ADD_WITH_TTL, { keys: [k], arguments: [String(Math.max(1, Math.ceil(ttlMs))), ...members] }));
      await orFailOpen(redis, work, undefined);
    },
    async remove(key, members) {
      if (members.length === 0) return;
      await orFailOpen(redis, redis.call('srem', (r) => r.sRem(redis.key(key), [...members])), 0);
    },
    members: (key) => orFailOpen(redis, redis.call('smembers', (r) => r.sMembers(redis.key(key))), []),
    has: (key, member) => orFailOpen(redis, redis.call('sismember', async (r) => Number(await r.sIsMember(redis.key(key), member)) === 1), false),
  };
}

function memorySets(keyv: Keyv): SetStore {
  const state = memoryStateOf(keyv);
  const setKey = (key: string) => `set:${key}`;
  return {
    async add(key, members, ttlMs) {
      if (members.length === 0) return;
      const set = new Set(state.get<Set<string>>(setKey(key)));
      for (const m of members) set.add(m);
      state.set(setKey(key), set, ttlMs);
    },
    async remove(key, members) {
      const current = state.get<Set<string>>(setKey(key));
      if (!current) return;
      const set = new Set([...current].filter((m) => !members.includes(m)));
      // Redis drops a set once it is empty; so does this.
      if (set.size === 0) state.delete(setKey(key));
      else state.set(setKey(key), set);
    },
    members: async (key) => [...(state.get<Set<string>>(setKey(key)) ?? [])],
    has: async (key, member) => state.get<Set<string>>(setKey(key))?.has(member) ?? false,
  };
}
