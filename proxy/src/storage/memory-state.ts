import type { Keyv } from 'keyv';

/**
 * Where the atomic primitives keep their state when there is no Redis (REDIS_URL unset: one
 * process, dev and tests). Plain Maps are atomic there: nothing else runs between a read and
 * a write in the same synchronous step. One map per Keyv, so every primitive over the same
 * Keyv (the session store and revoke-all, say) sees the same sets.
 */
export interface MemoryState {
  get<T>(key: string): T | undefined;
  /** Keeps the entry's expiry unless `ttlMs` is given. */
  set<T>(key: string, value: T, ttlMs?: number): void;
  delete(key: string): void;
  /** Milliseconds the entry has left; Infinity when it never expires, undefined when absent. */
  ttlOf(key: string): number | undefined;
}

interface Entry {
  value: unknown;
  expiresAt: number;
}

const SWEEP_EVERY_MS = 60_000;
const states = new WeakMap<Keyv, MemoryState>();

export function memoryStateOf(keyv: Keyv): MemoryState {
  let state = states.get(keyv);
  if (!state) {
    state = createMemoryState();
    states.set(keyv, state);
  }
  return state;
}

function createMemoryState(): MemoryState {
  const entries = new Map<string, Entry>();
  let nextSweepAt = Date.now() + SWEEP_EVERY_MS;

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  // Expired entries nobody reads again (a user who never came back) would otherwise stay for good.
  function sweep(now: number): void {
    if (now < nextSweepAt) return;
    nextSweepAt = now + SWEEP_EVERY_MS;
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
  }

  return {
    get: <T>(key: string) => live(key)?.value as T | undefined,
    set(key, value, ttlMs) {
      const now = Date.now();
      sweep(now);
      const expiresAt = ttlMs !== undefined ? now + ttlMs : (live(key)?.expiresAt ?? Infinity);
      entries.set(key, { value, expiresAt });
    },
    delete: (key) => void entries.delete(key),
    ttlOf(key) {
      const entry = live(key);
      return entry ? entry.expiresAt - Date.now() : undefined;
    },
  };
}
