import { randomBytes } from 'node:crypto';
import type { Keyv } from 'keyv';
import { memoryStateOf } from './memory-state.ts';
import { redisBehind } from './redis-behind.ts';

export interface LockOptions {
  /** How long a holder keeps the lock at most: a crashed holder blocks no one for longer. */
  leaseMs: number;
  /** How long to wait for a holder to finish before giving up with LockBusyError. */
  waitMs: number;
}

export interface Locks {
  /** Runs `work` while no other caller, on any instance, runs work under the same key. */
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
}

/** Someone else held the lock for longer than this caller would wait. */
export class LockBusyError extends Error {
  constructor(key: string, waitedMs: number) {
    super(`the lock on ${key} stayed taken for ${waitedMs} ms`);
    this.name = 'LockBusyError';
  }
}

// Only the holder's token releases: a holder that outlived its lease must not free the next one's.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const FIRST_RETRY_MS = 20;
const LAST_RETRY_MS = 200;

/**
 * Cross-instance mutual exclusion: SET NX PX with a random token in Redis (released by a
 * compare-and-delete script), an entry in memory without Redis. Waiting is bounded and
 * retried with growing pauses; a store failure surfaces as StoreUnavailableError.
 */
export function createLocks(keyv: Keyv, opts: LockOptions): Locks {
  const redis = redisBehind(keyv);
  const state = memoryStateOf(keyv);
  const lockKey = (key: string) => `lock:${key}`;

  const tryAcquire = async (key: string, token: string): Promise<boolean> => {
    if (!redis) {
      if (state.get(lockKey(key)) !== undefined) return false;
      state.set(lockKey(key), token, opts.leaseMs);
      return true;
    }
    const k = redis.key(lockKey(key));
    const ok = await redis.call('lock', (r) => r.set(k, token, { condition: 'NX', expiration: { type: 'PX', value: opts.leaseMs } }));
    return ok !== null;
  };

  const release = async (key: string, token: string): Promise<void> => {
    if (!redis) {
      if (state.get(lockKey(key)) === token) state.delete(lockKey(key));
      return;
    }
    const k = redis.key(lockKey(key));
    // A release that fails leaves the lock to its lease: the next holder waits, nothing breaks.
    await redis.call('unlock', (r) => r.eval(RELEASE, { keys: [k], arguments: [token] })).catch(() => undefined);
  };

  return {
    async withLock(key, work) {
      const token = randomBytes(16).toString('base64url');
      const giveUpAt = Date.now() + opts.waitMs;
      for (let pause = FIRST_RETRY_MS; !(await tryAcquire(key, token)); pause = Math.min(pause * 2, LAST_RETRY_MS)) {
        const left = giveUpAt - Date.now();
        if (left <= 0) throw new LockBusyError(key, opts.waitMs);
        await new Promise((resolve) => setTimeout(resolve, Math.min(left, pause * (0.5 + Math.random()))));
      }
      try {
        return await work();
      } finally {
        await release(key, token);
      }
    },
  };
}
