import { describe, expect, it } from 'vitest';
import { backoffDelayMs, retryAfterMs } from './backoff.ts';

describe('backoff', () => {
  it('doubles from the base, stays within the upper half of each step, and respects the cap', () => {
    for (const random of [() => 0, () => 0.999]) {
      expect(backoffDelayMs(1, 100, 1_000, random)).toBeGreaterThanOrEqual(50);
      expect(backoffDelayMs(1, 100, 1_000, random)).toBeLessThanOrEqual(100);
      expect(backoffDelayMs(3, 100, 1_000, random)).toBeGreaterThanOrEqual(200);
      expect(backoffDelayMs(3, 100, 1_000, random)).toBeLessThanOrEqual(400);
      expect(backoffDelayMs(10, 100, 1_000, random)).toBeLessThanOrEqual(1_000);
    }
  });

  it('reads Retry-After as seconds or as an HTTP-date', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs('Tue, 01 Jan 2030 00:00:02 GMT', now)).toBe(2_000);
    expect(retryAfterMs('Mon, 31 Dec 2029 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unreadable Retry-After', () => {
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs('1.5')).toBeUndefined();
    expect(retryAfterMs('-1')).toBeUndefined();
  });
});
