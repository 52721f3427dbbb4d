import { describe, expect, it } from 'vitest';
import { redisSuite } from '../../../test-support/shared-keyvs.ts';
import { until } from '../../../test-support/until.ts';
import { StoreUnavailableError } from './store-unavailable.ts';
import { createWindowCounter } from './window-counter.ts';

const suite = redisSuite();

function open(redisUrl: string | undefined, windowMs: number, opts: { throwOnErrors?: boolean } = {}) {
  const shared = suite.shared(redisUrl, { namespace: 'counters', timeoutMs: 300, ...opts });
  return { a: createWindowCounter(shared.a, windowMs), b: createWindowCounter(shared.b, windowMs) };
}

describe.each([
  ['in memory', () => undefined],
  ['on one Redis', () => suite.redis.url],
])('window counters %s', (_, url) => {
  it('count every hit two instances make at the same moment, each hit seeing its own number', async () => {
    const { a, b } = open(url(), 60_000);
    const startedAt = Date.now();
    const counts = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).hit('ip:10.0.0.1')));
    expect(counts.map((c) => c.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // One window for all of them, from the first hit.
    for (const c of counts) {
      expect(c.resetAt).toBeGreaterThan(startedAt + 55_000);
      expect(c.resetAt).toBeLessThanOrEqual(Date.now() + 60_000);
    }
    expect((await b.peek('ip:10.0.0.1'))?.count).toBe(50);
    expect(await a.peek('ip:10.0.0.2')).toBeUndefined();
  });

  it('take a hit back without going below zero, and reset', async () => {
    const { a, b } = open(url(), 60_000);
    await a.hit('k');
    await b.hit('k');
    await b.undo('k');
    expect((await a.peek('k'))?.count).toBe(1);
    await a.undo('k');
    await a.undo('k');
    expect((await a.peek('k'))?.count).toBe(0);
    expect((await b.hit('k')).count).toBe(1);
    await b.reset('k');
    expect(await a.peek('k')).toBeUndefined();
  });

  it('start again from one once the window has passed', async () => {
    const { a, b } = open(url(), 1_000);
    await a.hit('k');
    expect((await b.hit('k')).count).toBe(2);
    await until(async () => (await a.peek('k')) === undefined, 5_000);
    expect((await b.hit('k')).count).toBe(1);
  });
});

describe('window counters on a Redis that stops answering', () => {
  it('fail open when made to (a hit counts as the first), else with StoreUnavailableError', async () => {
    const failingOpen = open(suite.redis.url, 60_000, { throwOnErrors: false }).a;
    const strict = open(suite.redis.url, 60_000).a;
    await failingOpen.hit('paused');
    await failingOpen.hit('paused');
    await strict.hit('paused');
    suite.redis.pause();
    expect((await failingOpen.hit('paused')).count).toBe(1);
    expect(await failingOpen.peek('paused')).toBeUndefined();
    await expect(strict.hit('paused')).rejects.toBeInstanceOf(StoreUnavailableError);
    suite.redis.resume();
    expect((await failingOpen.peek('paused'))?.count).toBeGreaterThanOrEqual(2);
  });
});
