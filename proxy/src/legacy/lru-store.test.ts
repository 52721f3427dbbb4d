import { describe, expect, it } from 'vitest';
import { until } from '../../../test-support/until.ts';
import { LruStore } from './lru-store.ts';

describe('LruStore', () => {
  it('evicts the least recently used entry beyond its bound, a read counting as a use', () => {
    const store = new LruStore(2);
    store.set('a', 1);
    store.set('b', 2);
    store.get('a');
    store.set('c', 3);
    expect(store.get('b')).toBeUndefined();
    expect(store.get('a')).toBe(1);
    expect(store.get('c')).toBe(3);
    expect(store.size).toBe(2);
  });

  it('drops an entry once its TTL has passed', async () => {
    const store = new LruStore(10);
    store.set('a', 1, 20);
    store.set('b', 2);
    expect(store.get('a')).toBe(1);
    await until(() => store.get('a') === undefined);
    expect(store.size).toBe(1);
    expect(store.get('b')).toBe(2);
  });

  it('keeps the value itself, parsed, and forgets deleted and cleared keys', () => {
    const store = new LruStore(10);
    const value = { deep: [1, 2] };
    store.set('x', value, 1_000);
    expect(store.get('x')).toBe(value);
    store.delete('x');
    expect(store.get('x')).toBeUndefined();
    store.set('y', 1);
    store.clear();
    expect(store.size).toBe(0);
  });

  it('refuses a bound that is not a positive whole number', () => {
    expect(() => new LruStore(0)).toThrow(/positive whole number/);
  });
});
