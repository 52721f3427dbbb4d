import type KeyvRedis from '@keyv/redis';
import { describe, expect, it } from 'vitest';
import { redisSuite } from '../../../test-support/shared-keyvs.ts';
import { createFirstWrites } from './first-write.ts';

const suite = redisSuite();

describe.each([
  ['in memory', () => undefined],
  ['on one Redis', () => suite.redis.url],
])('first writes %s', (_, url) => {
  it('give every concurrent claimant, on either instance, the one value that won', async () => {
    const shared = suite.shared(url(), { namespace: 'claims' });
    const [a, b] = [createFirstWrites(shared.a), createFirstWrites(shared.b)];
    expect(await a.get('handle:u-1')).toBeUndefined();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim('handle:u-1', `h-${i}`)));
    expect(new Set(results).size).toBe(1);
    expect(await b.get('handle:u-1')).toBe(results[0]);
    expect(await a.claim('handle:u-1', 'later')).toBe(results[0]);
  });
});

describe('first writes on Redis', () => {
  it('are plain strings under the Keyv namespace, without expiry', async () => {
    const shared = suite.shared(suite.redis.url, { namespace: 'claims' });
    await createFirstWrites(shared.a).claim('handle:u-2', 'abc');
    const client = await (shared.a.store as KeyvRedis<unknown>).getClient();
    expect(await client.get('claims::handle:u-2')).toBe('abc');
    expect(await client.pTTL('claims::handle:u-2')).toBe(-1);
  });
});
