import { describe, expect, it } from 'vitest';
import { GUARD_DEFAULTS, resolveGuard, validateGuard } from './guard-config.ts';
import { judge } from './judge.ts';
import { createRouteWindow, type Side } from './route-window.ts';

const T0 = Date.UTC(2027, 1, 10, 14, 0, 0);
const settings = resolveGuard({ windowMs: 60_000, errors: { minSample: 20, margin: 0.05 }, latency: { minSample: 20, marginMs: 200 }, mismatches: { minSample: 20, margin: 0.1 } })!;

/** `n` requests on a side, `failed` of them 5xx, each taking `ms`, at `at`. */
function fill(window: ReturnType<typeof createRouteWindow>, side: Side, n: number, failed: number, ms: number, at: number): void {
  for (let i = 0; i < n; i++) window.record(side, i < failed, ms, at);
}

describe('the guard statistics: 5xx rate', () => {
  it('rolls back when the new route fails beyond the margin, naming both rates and the sample', () => {
    const w = createRouteWindow(settings.windowMs);
    fill(w, 'legacy', 60, 0, 20, T0);
    fill(w, 'migrated', 60, 15, 20, T0);
    expect(judge(w.figures(T0), settings)).toEqual({ reason: 'errors', detail: '5xx 25% against legacy 0% over 120 requests (60 on the new route)' });
  });

  it('judges nothing below the minimum sample on either side, however bad it looks', () => {
    const w = createRouteWindow(settings.windowMs);
    fill(w, 'legacy', 60, 0, 20, T0);
    fill(w, 'migrated', 19, 19, 20, T0);
    expect(judge(w.figures(T0), settings)).toBeNull();
    fill(w, 'migrated', 1, 1, 20, T0);
    expect(judge(w.figures(T0), settings)?.reason).toBe('errors');

    const fewLegacy = createRouteWindow(settings.windowMs);
    fill(fewLegacy, 'legacy', 19, 0, 20, T0);
    fill(fewLegacy, 'migrated', 100, 100, 20, T0);
    expect(judge(fewLegacy.figures(T0), settings)).toBeNull();
  });

  it('takes a difference within the margin, exactly at it included, as no worse', () => {
    const w = createRouteWindow(settings.windowMs);
    fill(w, 'legacy', 100, 5, 20, T0); // 5%
    fill(w, 'migrated', 100, 10, 20, T0); // 10%: 5 points more, the margin itself
    expect(judge(w.figures(T0), settings)).toBeNull();
    fill(w, 'migrated', 1, 1, 20, T0); // 10.9%
    expect(judge(w.figures(T0), settings)?.detail).toBe('5xx 11% against legacy 5.0% over 201 requests (101 on the new route)');
  });
});

describe('the guard statistics: p95 latency', () => {
  it('rolls back when the new route is slower than legacy by more than the margin', () => {
    const w = createRouteWindow(settings.windowMs);
    fill(w, 'legacy', 40, 0, 100, T0);
    fill(w, 'migrated', 40, 0, 250, T0); // 150 ms slower: within 200
    expect(judge(w.figures(T0), settings)).toBeNull();
    fill(w, 'migrated', 40, 0, 900, T0);
    const verdict = judge(w.figures(T0), settings);
    expect(verdict?.reason).toBe('latency');
    expect(verdict?.detail).toMatch(/^p95 9\d\d ms against legacy 10\d ms over 120 requests \(80 on the new route\)$/);
  });
});

describe('the guard statistics: shadow mismatches', () => {
  it('rolls back above the allowed share, once enough were compared', () => {
    const w = createRouteWindow(settings.windowMs);
    for (let i = 0; i < 19; i++) w.recordShadow(true, T0);
    expect(judge(w.figures(T0), settings)).toBeNull();
    for (let i = 0; i < 81; i++) w.recordShadow(false, T0);
    expect(judge(w.figures(T0), settings)).toEqual({ reason: 'mismatches', detail: 'shadow mismatches 19% of 100 compared (at most 10% allowed)' });
  });

  it('a criterion turned off never judges', () => {
    const off = resolveGuard({ mismatches: false, errors: { minSample: 1 } })!;
    const w = createRouteWindow(off.windowMs);
    for (let i = 0; i < 100; i++) w.recordShadow(true, T0);
    expect(judge(w.figures(T0), off)).toBeNull();
  });
});

describe('the sliding window', () => {
  it('forgets what is older than the window, slice by slice', () => {
    const w = createRouteWindow(60_000);
    fill(w, 'legacy', 30, 0, 20, T0);
    fill(w, 'migrated', 30, 30, 20, T0);
    expect(judge(w.figures(T0 + 30_000), settings)?.reason).toBe('errors');
    fill(w, 'legacy', 30, 0, 20, T0 + 40_000);
    fill(w, 'migrated', 30, 0, 20, T0 + 40_000);
    // A minute and a slice later, the failures have left the window; the healthy requests remain.
    const later = w.figures(T0 + 62_000);
    expect(later.migrated).toMatchObject({ requests: 30, errors5xx: 0 });
    expect(later.legacy.requests).toBe(30);
    expect(judge(later, settings)).toBeNull();
    expect(w.figures(T0 + 200_000).migrated.requests).toBe(0);
  });

  it('starts the new side afresh on reset, keeping the legacy baseline', () => {
    const w = createRouteWindow(60_000);
    fill(w, 'legacy', 30, 0, 20, T0);
    fill(w, 'migrated', 30, 30, 20, T0);
    w.recordShadow(true, T0);
    w.resetNewSide();
    const f = w.figures(T0 + 1_000);
    expect(f.migrated.requests).toBe(0);
    expect(f.shadow.compared).toBe(0);
    expect(f.legacy.requests).toBe(30);
    // Slices that later leave the window take nothing off the reset totals.
    fill(w, 'migrated', 5, 0, 20, T0 + 1_000);
    expect(w.figures(T0 + 61_000).migrated.requests).toBe(5);
  });
});

describe('the guard declaration', () => {
  it('has defaults, and a route may change any field or turn a criterion off', () => {
    expect(resolveGuard(undefined)).toEqual(GUARD_DEFAULTS);
    expect(resolveGuard(false)).toBeNull();
    expect(resolveGuard({ errors: { margin: 0.02 }, latency: false })).toEqual({ ...GUARD_DEFAULTS, errors: { minSample: 50, margin: 0.02 }, latency: null });
  });

  it('names what is wrong', () => {
    expect(validateGuard({ errors: { margin: 5 } })).toEqual(['errors.margin: must be between 0 and 1']);
    expect(validateGuard({ windowMs: 1_000 })).toEqual(['windowMs: must be at least 10000 (10 s)']);
    expect(validateGuard({ latency: { minSamples: 10 } })[0]).toMatch(/minSamples/);
    expect(validateGuard({ errors: { minSample: 0.5 } })).toEqual(['errors.minSample: must be a whole number']);
    expect(validateGuard(false)).toEqual([]);
    expect(validateGuard({ latency: false, errors: { margin: 0.1 } })).toEqual([]);
    expect(validateGuard('strict')).toEqual(['guard: Invalid input: expected object, received string']);
  });
});
