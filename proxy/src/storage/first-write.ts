import type { Keyv } from 'keyv';
import { memoryStateOf } from './memory-state.ts';
import { redisBehind } from './redis-behind.ts';

/**
 * Values that are set once and never change (a user's WebAuthn handle), where two instances
 * may both try to set one first: the first write wins and both callers get the winner's value.
 * SET NX in Redis (raw strings beside the Keyv's values), a Map entry in memory.
 */
export interface FirstWrites {
  /** Stores `value` unless the key has one already; resolves with the value in force. */
  claim(key: string, value: string): Promise<string>;
  get(key: string): Promise<string | undefined>;
}

const CLAIM = `if redis.call('SET', KEYS[1], ARGV[1], 'NX') then return ARGV[1] end
return redis.call('GET', KEYS[1])`;

export function createFirstWrites(keyv: Keyv): FirstWrites {
  const redis = redisBehind(keyv);
  if (!redis) {
    const state = memoryStateOf(keyv);
    const k = (key: string) => `first:${key}`;
    return {
      async claim(key, value) {
        const existing = state.get<string>(k(key));
        if (existing !== undefined) return existing;
        state.set(k(key), value);
        return value;
      },
      get: async (key) => state.get<string>(k(key)),
    };
  }
  return {
    claim: (key, value) => redis.call('claim', async (r) => String(await r.eval(CLAIM, { keys: [redis.key(key)], arguments: [value] }))),
    get: (key) => redis.call('get', async (r) => (await r.get(redis.key(key))) ?? undefined),
  };
}
