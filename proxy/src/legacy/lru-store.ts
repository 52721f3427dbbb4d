interface Entry {
  value: unknown;
  expiresAt: number;
}

/**
 * A bounded in-memory store of parsed values: at most `maxEntries` entries, the least recently
 * used one goes first. A Map keeps insertion order, so re-inserting on every read makes its
 * first key the least recently used one. Synchronous and without serialising: a warm cache hit
 * costs a Map look-up, not a round trip through Keyv and JSON. Expired entries are dropped when
 * met, so they do not take room from live ones for long.
 */
export class LruStore {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new Error(`LruStore needs a positive whole number of entries, got ${maxEntries}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value itself, not a copy: the caller copies it before handing it out. */
  get(key: string): unknown {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= Date.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** `ttlMs` 0 or absent: kept until evicted. */
  set(key: string, value: unknown, ttlMs?: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: ttlMs ? Date.now() + ttlMs : Number.POSITIVE_INFINITY });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
