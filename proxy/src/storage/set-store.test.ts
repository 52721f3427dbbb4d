import type KeyvRedis from '@keyv/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisHandle } from '../../../test-support/redis-server.ts';
import { sharedKeyvs, type SharedKeyvs } from '../../../test-support/shared-keyvs.ts';
import { until } from '../../../test-support/until.ts';
import { createSetStore } from './set-store.ts';
import { StoreUnavailableError } from './store-unavailable.ts';

let redis: RedisHandle;
const opened: SharedKeyvs[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  redis.resume(); // a failed test must not leave it stopped for the next
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(() => redis?.stop());

function open(redisUrl: string | undefined, opts: { throwOnErrors?: boolean } = {}) {
  const shared = sharedKeyvs(redisUrl, { namespace: 'sets', timeoutMs: 300, ...opts });
  opened.push(shared);
  return { a: createSetStore(shared.a), b: createSetStore(shared.b), keyv: shared.a };
}

const ids = Array.from({ length: 40 }, (_, i) => `sid-${i}`);
const sorted = (xs: string[]) => [...xs].sort();

describe.each([
  ['in memory', () => undefined],
  ['on one Redis', () => redis.url],
])('sets %s', (_, url) => {
  it('keep every member two instances add and remove at the same moment', async () => {
    const { a, b } = open(url());
    await Promise.all(ids.map((id, i) => (i % 2 ? a : b).add('u:alice', [id], 60_000)));
    expect(sorted(await b.members('u:alice'))).toEqual(sorted(ids));

    await Promise.all(ids.slice(0, 20).map((id, i) => (i % 2 ? b : a).remove('u:alice', [id])));
    expect(sorted(await a.members('u:alice'))).toEqual(sorted(ids.slice(20)));
    expect(await a.has('u:alice', 'sid-25')).toBe(true);
    expect(await b.has('u:alice', 'sid-3')).toBe(false);
    expect(await a.members('u:nobody')).toEqual([]);
  });

  it('end as a whole when their time to live runs out, and renew it with each add', async () => {
    const { a } = open(url());
    await a.add('u:bob', ['one'], 60_000);
    await a.add('u:bob', ['two'], 150);
    await a.add('u:kept', ['x']);
    await until(async () => (await a.members('u:bob')).length === 0);
    expect(await a.members('u:kept')).toEqual(['x']);
  });
});

describe('sets on Redis', () => {
  it('live under the Keyv namespace as Redis sets with the expiry of the last add', async () => {
    const { a, keyv } = open(redis.url);
    await a.add('u:carol', ['s1', 's2'], 30_000);
    const client = await (keyv.store as KeyvRedis<unknown>).getClient();
    expect(await client.type('sets::u:carol')).toBe('set');
    const ttl = await client.pTTL('sets::u:carol');
    expect(ttl).toBeGreaterThan(20_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    await a.remove('u:carol', ['s1', 's2']);
    expect(await client.exists('sets::u:carol')).toBe(0);
  });

  it('fail with StoreUnavailableError within the deadline when Redis stops answering, and work again once it resumes', async () => {
    const { a } = open(redis.url);
    const failingOpen = open(redis.url, { throwOnErrors: false }).a;
    await a.add('u:dan', ['s1']);
    await failingOpen.add('u:dan', ['s2']);
    redis.pause();
    await expect(a.has('u:dan', 's1')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(a.add('u:dan', ['s3'], 1_000)).rejects.toThrow(/did not answer sadd within 300 ms/);
    // A store made to fail open (counters, the status index) reads as empty instead.
    expect(await failingOpen.members('u:dan')).toEqual([]);
    expect(await failingOpen.has('u:dan', 's1')).toBe(false);
    redis.resume();
    // A command that timed out may still have been carried out once Redis woke up.
    expect(await a.members('u:dan')).toEqual(expect.arrayContaining(['s1', 's2']));
  });
});
