import { Keyv } from 'keyv';
import { describe, expect, it } from 'vitest';
import { LruStore } from './lru-store.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LruStore', () => {
  it('evicts the least recently used entry beyond its bound, a read counting as a use', async () => {
    const store = new LruStore(2);
    await store.set('a', 1);
    await store.set('b', 2);
    await store.get('a');
    await store.set('c', 3);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBe(1);
    expect(await store.get('c')).toBe(3);
    expect(store.size).toBe(2);
  });

  it('drops an entry once its TTL has passed', async () => {
    const store = new LruStore(10);
    await store.set('a', 1, 20);
    expect(await store.has('a')).toBe(true);
    await sleep(40);
    expect(await store.has('a')).toBe(false);
    expect(await store.get('a')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('works as a Keyv store: values round-trip, TTLs and deletes apply', async () => {
    const store = new LruStore(2);
    const keyv = new Keyv({ store, useKeyPrefix: false });
    await keyv.set('x', { deep: [1, 2] }, 1_000);
    await keyv.set('short', 'soon gone', 20);
    expect(await keyv.get('x')).toEqual({ deep: [1, 2] });
    await sleep(40);
    expect(await keyv.get('short')).toBeUndefined();
    await keyv.delete('x');
    expect(await keyv.get('x')).toBeUndefined();
    await keyv.set('1', 1);
    await keyv.set('2', 2);
    await keyv.set('3', 3);
    expect(store.size).toBe(2);
  });

  it('refuses a bound that is not a positive whole number', () => {
    expect(() => new LruStore(0)).toThrow(/positive whole number/);
  });
});
