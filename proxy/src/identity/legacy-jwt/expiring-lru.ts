/**
 * A bounded in-process cache whose entries carry their own expiry. Only for values any
 * instance can recompute on a miss (verified tokens, minted tokens): never for state a
 * request needs from another instance.
 */
export interface ExpiringLru<V> {
  get(key: string): V | undefined;
  set(key: string, value: V, expiresAt: number): void;
  readonly size: number;
}

export function createExpiringLru<V>(maxEntries: number, now: () => number = Date.now): ExpiringLru<V> {
  // A Map iterates in insertion order: re-inserting on a hit keeps the oldest entry first.
  const entries = new Map<string, { value: V; expiresAt: number }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      if (now() >= entry.expiresAt) return undefined;
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value, expiresAt) {
      entries.delete(key);
      entries.set(key, { value, expiresAt });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}
