import type KeyvRedis from '@keyv/redis';
import { describe, expect, it } from 'vitest';
import { redisSuite } from '../../../test-support/shared-keyvs.ts';
import { DAY } from './traffic-buckets.ts';
import { createTrafficStore } from './traffic-store.ts';

const suite = redisSuite();

function open(namespace: string) {
  const shared = suite.shared(suite.redis.url, { namespace, throwOnErrors: false });
  return shared;
}

describe('the status instance index on one Redis', () => {
  it('lists every instance that first flushes at the same moment, whichever instance reads it', async () => {
    const { a, b } = open('status-burst');
    const now = Date.now();
    const ids = Array.from({ length: 12 }, (_, i) => `instance-${i}`);
    const results = await Promise.all(
      ids.map((id, i) => createTrafficStore(i % 2 ? a : b, 60_000).write(id, { startedAt: now, lastFlushAt: now }, [], null, [], true)),
    );
    expect(results.every(Boolean)).toBe(true);
    const view = await createTrafficStore(a, 60_000).read('reader', { startedAt: now, lastFlushAt: now }, now);
    expect(view.instances.map((i) => i.id).sort()).toEqual([...ids, 'reader'].sort());
  });

  it('forgets an instance silent for longer than the counts are kept, and drops it from the set', async () => {
    const { a, b } = open('status-forget');
    const now = Date.now();
    await createTrafficStore(a, 60_000).write('long-gone', { startedAt: now - 20 * DAY, lastFlushAt: now - 17 * DAY }, [], null, [], true);
    await createTrafficStore(a, 60_000).write('recent', { startedAt: now - DAY, lastFlushAt: now }, [], null, [], true);
    const view = await createTrafficStore(b, 60_000).read('reader', { startedAt: now, lastFlushAt: now }, now);
    expect(view.instances.map((i) => i.id).sort()).toEqual(['reader', 'recent']);
    const client = await (a.store as KeyvRedis<unknown>).getClient();
    expect(await client.sMembers('status-forget::instance-ids')).toEqual(['recent']);
  });

  it('still counts the instances an earlier version listed in its one-value index', async () => {
    const { a } = open('status-legacy');
    const now = Date.now();
    await a.set('instances', { 'before-upgrade': { startedAt: now - DAY, lastFlushAt: now - 60_000 } });
    await createTrafficStore(a, 60_000).write('after-upgrade', { startedAt: now, lastFlushAt: now }, [], null, [], true);
    const view = await createTrafficStore(a, 60_000).read('reader', { startedAt: now, lastFlushAt: now }, now);
    expect(view.instances.map((i) => i.id).sort()).toEqual(['after-upgrade', 'before-upgrade', 'reader']);
    expect(view.countingSince).toBe(now - DAY);
  });
});
