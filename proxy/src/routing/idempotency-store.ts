import { randomBytes } from 'node:crypto';
import type { Keyv } from 'keyv';
import type { Problem } from '../edge/problem.ts';
import { memoryStateOf } from '../storage/memory-state.ts';
import { redisBehind } from '../storage/redis-behind.ts';

/** An answer as the handler gave it: a result (sent as JSON) or a problem it threw. */
export type KeptAnswer =
  | { status: number; headers: Record<string, string>; body: unknown }
  | { problem: Problem; headers: Record<string, string> };

/** What the store holds per caller, route and key. */
export type IdempotencyRecord =
  /** Claimed by a request still running (until its lease ends, should its instance die). */
  | { state: 'running'; fingerprint: string; token: string }
  | { state: 'answered'; fingerprint: string; token: string; answer: KeptAnswer }
  /** Done, but its answer was too large to keep: only what a client needs to find the outcome. */
  | { state: 'too-large'; fingerprint: string; token: string; status: number; location?: string };

export type Finished = Exclude<IdempotencyRecord, { state: 'running' }>;

export type Claim = { claimed: true; token: string } | { claimed: false; record: IdempotencyRecord };

/**
 * Idempotency records that every instance reads and claims at once: one atomic step decides
 * which of two concurrent requests with a key runs. In Redis: SET NX PX (a script answers the
 * record already there in the same step) and compare-and-set scripts on the claim's token, under
 * the Keyv's namespace and store deadline; in memory, a Map entry. Every failure is a
 * StoreUnavailableError: the caller decides what a missing record may cost.
 */
export interface IdempotencyStore {
  /** Claims `id` for `leaseMs` unless a record exists; else resolves with that record. */
  claim(id: string, fingerprint: string, leaseMs: number): Promise<Claim>;
  /** Replaces the claim by its outcome, kept `ttlMs`. False when the claim was no longer this token's (its lease ran out). */
  finish(id: string, record: Finished, ttlMs: number): Promise<boolean>;
  /** Drops the claim, so that a retry runs again. Only the claim's own token does. */
  release(id: string, token: string): Promise<void>;
}

const CLAIM = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return redis.call('GET', KEYS[1])`;
const FINISH = `local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).token == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;
const RELEASE = `local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).token == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export function createIdempotencyStore(keyv: Keyv): IdempotencyStore {
  const recordKey = (id: string) => `rec:${id}`;
  const redis = redisBehind(keyv);
  if (!redis) return memoryRecords(keyv, recordKey);
  const run = (what: string, script: string, id: string, args: string[]) =>
    redis.call(what, (r) => r.eval(script, { keys: [redis.key(recordKey(id))], arguments: args }));
  const ms = (n: number) => String(Math.max(1, Math.ceil(n)));
  return {
    async claim(id, fingerprint, leaseMs) {
      const token = randomBytes(16).toString('base64url');
      const record: IdempotencyRecord = { state: 'running', fingerprint, token };
      const reply = await run('idempotency claim', CLAIM, id, [JSON.stringify(record), ms(leaseMs)]);
      return reply === 1 ? { claimed: true, token } : { claimed: false, record: JSON.parse(String(reply)) as IdempotencyRecord };
    },
    async finish(id, record, ttlMs) {
      return (await run('idempotency finish', FINISH, id, [record.token, JSON.stringify(record), ms(ttlMs)])) === 1;
    },
    async release(id, token) {
      await run('idempotency release', RELEASE, id, [token]);
    },
  };
}

function memoryRecords(keyv: Keyv, recordKey: (id: string) => string): IdempotencyStore {
  // Kept as JSON text, as in Redis: a replay sends what was answered, whatever happens to the objects since.
  const state = memoryStateOf(keyv);
  const read = (id: string) => {
    const text = state.get<string>(recordKey(id));
    return text === undefined ? undefined : (JSON.parse(text) as IdempotencyRecord);
  };
  return {
    async claim(id, fingerprint, leaseMs) {
      const existing = read(id);
      if (existing) return { claimed: false, record: existing };
      const token = randomBytes(16).toString('base64url');
      state.set(recordKey(id), JSON.stringify({ state: 'running', fingerprint, token }), leaseMs);
      return { claimed: true, token };
    },
    async finish(id, record, ttlMs) {
      if (read(id)?.token !== record.token) return false;
      state.set(recordKey(id), JSON.stringify(record), ttlMs);
      return true;
    },
    async release(id, token) {
      if (read(id)?.token === token) state.delete(recordKey(id));
    },
  };
}
