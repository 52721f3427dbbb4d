import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type KeyvRedis from '@keyv/redis';
import { startRedis, type RedisHandle } from '../../../test-support/redis-server.ts';
import { closeKeyv, createKeyv } from './keyv-store.ts';

describe('createKeyv in memory', () => {
  it('stores values as copies and honours the default TTL', async () => {
    const keyv = createKeyv<{ n: number }>({ namespace: 'test', ttlMs: 40 });
    const value = { n: 1 };
    await keyv.set('a', value);
    value.n = 2; // a stored value is a snapshot, as it would be in Redis
    expect(await keyv.get('a')).toEqual({ n: 1 });
    await new Promise((r) => setTimeout(r, 60));
    expect(await keyv.get('a')).toBeUndefined();
  });
});

describe('createKeyv over Redis', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('prefixes keys with the namespace exactly once and lets Redis expire them', async () => {
    const keyv = createKeyv<string>({ redisUrl: redis.url, namespace: 'sess', ttlMs: 60_000 });
    try {
      await keyv.set('s:abc', 'hello');
      const client = await (keyv.store as KeyvRedis<string>).getClient();
      expect(await client.keys('*')).toEqual(['sess::s:abc']);
      const ttl = await client.pTTL('sess::s:abc');
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      await closeKeyv(keyv);
    }
  });

  it('shares state between two instances and keeps namespaces apart', async () => {
    const a = createKeyv<string>({ redisUrl: redis.url, namespace: 'shared' });
    const b = createKeyv<string>({ redisUrl: redis.url, namespace: 'shared' });
    const other = createKeyv<string>({ redisUrl: redis.url, namespace: 'other' });
    try {
      await a.set('k', 'from a');
      expect(await b.get('k')).toBe('from a');
      expect(await other.get('k')).toBeUndefined();
    } finally {
      await Promise.all([closeKeyv(a), closeKeyv(b), closeKeyv(other)]);
    }
  });

  it('rejects when Redis is unreachable instead of pretending the key is missing', async () => {
    const down = createKeyv<string>({ redisUrl: 'redis://127.0.0.1:1', namespace: 'x', connectTimeoutMs: 500 });
    await expect(down.get('k')).rejects.toThrow();
  });
});

describe('a freshly created Keyv over Redis', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('answers every one of many concurrent first calls (none fails while the connection is being made)', async () => {
    const keyv = createKeyv<number>({ redisUrl: redis.url, namespace: 'first' });
    try {
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => keyv.set(`k${i}`, i)));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(await keyv.get('k19')).toBe(19);
    } finally {
      await closeKeyv(keyv);
    }
  });
});
