import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLegacyCache, type CacheScope } from './cache.ts';

/**
 * The in-memory cache (no Redis) keeps parsed answers and hands every caller its own copy:
 * a handler that edits what it got must never change what the next request gets.
 */

const silent = pino({ level: 'silent' });
const memoryCache = () => createLegacyCache({ sharedMaxEntries: 10, userMaxEntries: 10, opTimeoutMs: 250, log: silent });

function countingLoad<T>(answer: () => T) {
  let loads = 0;
  return {
    load: async () => {
      loads++;
      return answer();
    },
    loads: () => loads,
  };
}

describe('the in-memory legacy cache', () => {
  it.each<CacheScope>(['shared', 'user'])('gives every %s hit its own copy, loading once', async (scope) => {
    const cache = await memoryCache();
    const { load, loads } = countingLoad(() => JSON.parse('{"courses":[{"id":"c-1","tags":["a"]}],"count":1}') as { courses: Array<{ id: string; tags: string[] }>; count: number });
    const first = await cache.getOrFetch(scope, 'k', 60_000, load);
    first.courses[0]!.tags.push('edited');
    first.count = 99;
    const second = await cache.getOrFetch(scope, 'k', 60_000, load);
    expect(second).toEqual({ courses: [{ id: 'c-1', tags: ['a'] }], count: 1 });
    second.courses.length = 0;
    expect(await cache.getOrFetch(scope, 'k', 60_000, load)).toEqual({ courses: [{ id: 'c-1', tags: ['a'] }], count: 1 });
    expect(loads()).toBe(1);
    await cache.close();
  });

  it('copies a "__proto__" field of an answer as data, leaving the copy a plain object', async () => {
    const cache = await memoryCache();
    const { load } = countingLoad(() => JSON.parse('{"__proto__":{"admin":true},"name":"x"}') as Record<string, unknown>);
    await cache.getOrFetch('shared', 'p', 60_000, load);
    const hit = await cache.getOrFetch('shared', 'p', 60_000, load);
    expect(Object.getPrototypeOf(hit)).toBe(Object.prototype);
    expect((hit as { admin?: unknown }).admin).toBeUndefined();
    expect(Object.keys(hit)).toEqual(['__proto__', 'name']);
    expect(Object.getOwnPropertyDescriptor(hit, '__proto__')?.value).toEqual({ admin: true });
    await cache.close();
  });

  it.each<CacheScope>(['shared', 'user'])('forgets a %s entry on invalidate: the next call loads again', async (scope) => {
    const cache = await memoryCache();
    let n = 0;
    const { load, loads } = countingLoad(() => ({ n: ++n }));
    await cache.getOrFetch(scope, 'k', 60_000, load);
    await cache.invalidate(scope, 'k');
    expect(await cache.getOrFetch(scope, 'k', 60_000, load)).toEqual({ n: 2 });
    expect(loads()).toBe(2);
    await cache.close();
  });
});
