import { bucketOf, newHistogram, quantileMs } from '../status/histogram.ts';

/** One side of a route over the window. */
export interface SideFigures {
  requests: number;
  errors5xx: number;
  errorRate: number | null;
  /** Upper bound of the histogram bucket (at most ~19% above the true value); null without requests. */
  p95Ms: number | null;
}

/** Shadow comparisons over the window: `bad` are mismatches and comparisons the new route failed. */
export interface ShadowFigures {
  compared: number;
  bad: number;
}

export interface WindowFigures {
  /** Every request the legacy API answered (the flags said legacy, or shadow). */
  legacy: SideFigures;
  /** Every request the new route answered. */
  migrated: SideFigures;
  shadow: ShadowFigures;
}

export type Side = 'legacy' | 'migrated';

export interface RouteWindow {
  record(side: Side, failed5xx: boolean, ms: number, at: number): void;
  recordShadow(bad: boolean, at: number): void;
  figures(at: number): WindowFigures;
  /** A fresh start for the new route (its requests and its comparisons); the legacy side stays the baseline. */
  resetNewSide(): void;
}

interface SideTally {
  n: number;
  e5: number;
  hist: Uint32Array;
}
interface Slice {
  start: number;
  legacy: SideTally;
  migrated: SideTally;
  shadow: ShadowFigures;
}

const SLICES = 30;
/** Durations past the histogram's last finite bucket (about 88 s) read as this. */
const OVERFLOW_MS = 88_000;

const newSide = (): SideTally => ({ n: 0, e5: 0, hist: newHistogram() });

/**
 * A sliding window in 30 time slices (10 s each for 5 minutes), with running totals: a request
 * adds to its slice and the totals; a slice that falls out of the window is taken off the
 * totals. Recording and reading cost the same whatever the traffic.
 */
export function createRouteWindow(windowMs: number): RouteWindow {
  const sliceMs = Math.max(1, Math.ceil(windowMs / SLICES));
  const slices: Slice[] = [];
  const totals = { legacy: newSide(), migrated: newSide(), shadow: { compared: 0, bad: 0 } };

  function expire(at: number): void {
    const oldest = at - windowMs;
    while (slices.length && slices[0]!.start + sliceMs <= oldest) {
      const gone = slices.shift()!;
      subtract(totals.legacy, gone.legacy);
      subtract(totals.migrated, gone.migrated);
      totals.shadow.compared -= gone.shadow.compared;
      totals.shadow.bad -= gone.shadow.bad;
    }
  }

  function current(at: number): Slice {
    expire(at);
    const start = at - (at % sliceMs);
    let last = slices[slices.length - 1];
    if (!last || last.start < start) {
      last = { start, legacy: newSide(), migrated: newSide(), shadow: { compared: 0, bad: 0 } };
      slices.push(last);
    }
    return last;
  }

  return {
    record(side, failed5xx, ms, at) {
      const slice = current(at);
      const i = bucketOf(ms);
      for (const t of [slice[side], totals[side]]) {
        t.n++;
        if (failed5xx) t.e5++;
        t.hist[i] = t.hist[i]! + 1;
      }
    },
    recordShadow(bad, at) {
      const slice = current(at);
      for (const t of [slice.shadow, totals.shadow]) {
        t.compared++;
        if (bad) t.bad++;
      }
    },
    figures(at) {
      expire(at);
      return { legacy: sideFigures(totals.legacy), migrated: sideFigures(totals.migrated), shadow: { ...totals.shadow } };
    },
    resetNewSide() {
      for (const s of slices) {
        s.migrated = newSide();
        s.shadow = { compared: 0, bad: 0 };
      }
      totals.migrated = newSide();
      totals.shadow = { compared: 0, bad: 0 };
    },
  };
}

function subtract(from: SideTally, gone: SideTally): void {
  from.n -= gone.n;
  from.e5 -= gone.e5;
  for (let i = 0; i < from.hist.length; i++) from.hist[i] = from.hist[i]! - gone.hist[i]!;
}

function sideFigures(t: SideTally): SideFigures {
  const p95 = quantileMs(t.hist, 0.95);
  return { requests: t.n, errors5xx: t.e5, errorRate: t.n ? t.e5 / t.n : null, p95Ms: p95 === null ? null : Math.round(Math.min(p95, OVERFLOW_MS) * 10) / 10 };
}
