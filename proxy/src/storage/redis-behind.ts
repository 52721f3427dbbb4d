import KeyvRedis from '@keyv/redis';
import type { Keyv } from 'keyv';
import { connectedClient } from './first-connection.ts';
import { storeCall, storeDeadlineOf } from './store-deadline.ts';

/** The few commands the atomic primitives send (node-redis 5 spells them so). */
export interface RedisCommands {
  sAdd(key: string, members: string[]): Promise<number>;
  sRem(key: string, members: string[]): Promise<number>;
  sMembers(key: string): Promise<string[]>;
  sIsMember(key: string, member: string): Promise<number>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options: { condition: 'NX'; expiration?: { type: 'PX'; value: number } }): Promise<string | null>;
  del(key: string): Promise<number>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

export interface RedisBehind {
  /** The key as Keyv writes it (`sess::sids:u-1`), so one namespace holds a concern's values and sets alike. */
  key(key: string): string;
  /** Runs commands under the store's deadline; any failure is a StoreUnavailableError. */
  call<T>(what: string, work: (redis: RedisCommands) => Promise<T>): Promise<T>;
  /** The Keyv was made to fail open (caches, counters): callers answer "nothing there" instead of throwing. */
  failsOpen: boolean;
}

/**
 * The Redis connection a Keyv already holds, or undefined for an in-memory Keyv. Sets, counters
 * and locks that several instances change at once go through it as single commands or scripts:
 * Keyv itself offers only whole-value reads and writes, and read-modify-write loses updates.
 */
export function redisBehind(keyv: Keyv): RedisBehind | undefined {
  const adapter = keyv.store as unknown;
  if (!(adapter instanceof KeyvRedis)) return undefined;
  const redis = adapter as KeyvRedis<unknown>;
  const ms = storeDeadlineOf(redis);
  return {
    key: (key) => redis.createKeyPrefix(key, redis.namespace),
    call: (what, work) => storeCall(async () => work((await connectedClient(redis)) as unknown as RedisCommands), ms, what),
    failsOpen: !redis.throwOnErrors,
  };
}

/** `work`, or `fallback` when the store fails and was made to fail open. */
export async function orFailOpen<T>(redis: RedisBehind, work: Promise<T>, fallback: T): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (redis.failsOpen) return fallback;
    throw err;
  }
}
