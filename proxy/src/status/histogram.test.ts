import { describe, it, expect } from 'vitest';
import { addSparse, bucketOf, newHistogram, quantileMs, toSparse, upperBoundMs } from './histogram.ts';

function histogramOf(values: number[]): Uint32Array {
  const h = newHistogram();
  for (const v of values) h[bucketOf(v)]!++;
  return h;
}

describe('log-scale latency histograms', () => {
  it('puts each duration in a bucket whose bound is at or just above it (within ~19%)', () => {
    for (const ms of [0.05, 0.3, 1, 7.5, 42, 180, 999, 12_345, 60_000]) {
      const bound = upperBoundMs(bucketOf(ms));
      expect(bound).toBeGreaterThanOrEqual(ms);
      if (ms > 0.1) expect(bound).toBeLessThanOrEqual(ms * 1.19);
    }
    expect(upperBoundMs(bucketOf(10 * 60_000))).toBe(Infinity);
  });

  it('estimates p95 from the buckets, never below the true value', () => {
    // 95 fast requests and 5 slow ones: p95 is the slowest of the fast.
    const values = [...Array.from({ length: 95 }, (_, i) => 10 + i * 0.1), ...Array.from({ length: 5 }, () => 2_000)];
    const p95 = quantileMs(histogramOf(values), 0.95)!;
    expect(p95).toBeGreaterThanOrEqual(19.4);
    expect(p95).toBeLessThan(19.4 * 1.19);
    expect(quantileMs(histogramOf([2_000, 2_000, 2_000]), 0.95)).toBeGreaterThanOrEqual(2_000);
    expect(quantileMs(newHistogram(), 0.95)).toBeNull();
  });

  it('merges by adding counts: two instances give the p95 of all their requests together', () => {
    const a = [...Array.from({ length: 50 }, () => 5)];
    const b = [...Array.from({ length: 50 }, () => 400)];
    const merged = newHistogram();
    addSparse(merged, toSparse(histogramOf(a)));
    addSparse(merged, toSparse(histogramOf(b)));
    expect(quantileMs(merged, 0.95)).toBe(quantileMs(histogramOf([...a, ...b]), 0.95));
    expect(quantileMs(merged, 0.95)).toBeGreaterThanOrEqual(400);
  });

  it('stores only non-empty buckets and ignores malformed stored ones', () => {
    const sparse = toSparse(histogramOf([1, 1, 100]));
    expect(Object.keys(sparse)).toHaveLength(2);
    const h = newHistogram();
    addSparse(h, { ...sparse, '-1': 5, '9999': 5, x: 5, '3': -2, '4': Number.NaN });
    expect(h.reduce((s, n) => s + n, 0)).toBe(3);
  });
});
