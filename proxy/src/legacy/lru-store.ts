import type { KeyvStoreAdapter } from 'keyv';

interface Entry {
  value: unknown;
  expiresAt: number;
}

/**
 * A bounded in-memory Keyv store: at most `maxEntries` entries, the least recently
 * used one goes first. A Map keeps insertion order, so re-inserting on every read
 * makes its first key the least recently used one.
 *
 * Keyv already checks expiry on read; the store drops expired entries too, so they do
 * not take room from live ones.
 */
export class LruStore implements KeyvStoreAdapter {
  readonly opts: { maxEntries: number; dialect: string };
  namespace?: string;
  private readonly entries = new Map<string, Entry>();

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new Error(`LruStore needs a positive whole number of entries, got ${maxEntries}`);
    }
    this.opts = { maxEntries, dialect: 'lru-memory' };
  }

  get size(): number {
    return this.entries.size;
  }

  async get<Value>(key: string): Promise<Value | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= Date.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value as Value;
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: ttl ? Date.now() + ttl : Number.POSITIVE_INFINITY });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
    return true;
  }

  async has(key: string): Promise<boolean> {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expiresAt > Date.now();
  }

  async delete(key: string): Promise<boolean> {
    return this.entries.delete(key);
  }

  async clear(): Promise<void> {
    this.entries.clear();
  }

  /** Keyv listens for store errors; this store has none to report. */
  on(): this {
    return this;
  }
}
