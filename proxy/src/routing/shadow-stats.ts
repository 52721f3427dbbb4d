import type { Difference } from './shadow-compare.ts';

/** What became of one shadowed request. Reasons are fixed texts, never values. */
export type ShadowOutcome = (
  | { result: 'match'; correlationId: string }
  | { result: 'mismatch'; correlationId: string; differences: Difference[] }
  | { result: 'error'; correlationId?: string; reason: string }
  | { result: 'skipped'; correlationId?: string; reason: string }
) & {
  /** The route's learned noise at the time, when the runner has a model for it. */
  noisyPaths?: ReadonlySet<string>;
};

export interface MismatchRecord {
  at: string;
  correlationId: string;
  /** How many differences were found (the comparison stops at its limit). */
  differenceCount: number;
  differences: Difference[];
}

/** Plain JSON for the status page. */
export interface RouteShadowSnapshot {
  match: number;
  mismatch: number;
  error: number;
  skipped: number;
  /** Counts per reason, so the page can say why requests were not compared. */
  reasons: { error: Record<string, number>; skipped: Record<string, number> };
  /** Newest first. */
  recentMismatches: MismatchRecord[];
  noisyPaths: string[];
}

export type OutcomeListener = (routeId: string, outcome: ShadowOutcome) => void;

export interface ShadowStats {
  record(routeId: string, outcome: ShadowOutcome): void;
  snapshot(): Record<string, RouteShadowSnapshot>;
  snapshot(routeId: string): RouteShadowSnapshot;
  /** Subscribes (metrics, logging); returns the unsubscribe function. */
  onOutcome(listener: OutcomeListener): () => void;
}

export interface ShadowStatsOptions {
  /** Mismatches kept per route (default 10). */
  keepMismatches?: number;
  now?: () => Date;
}

const KEEP_MISMATCHES = 10;
const DIFFERENCES_PER_MISMATCH = 10;
/** Reasons are fixed texts; the cap only guards against a caller passing varying ones. */
const MAX_REASONS = 20;

interface RouteStats {
  counts: Record<ShadowOutcome['result'], number>;
  reasons: { error: Map<string, number>; skipped: Map<string, number> };
  mismatches: MismatchRecord[];
  noisyPaths: ReadonlySet<string>;
}

export function createShadowStats(options: ShadowStatsOptions = {}): ShadowStats {
  const keep = options.keepMismatches ?? KEEP_MISMATCHES;
  const now = options.now ?? (() => new Date());
  const routes = new Map<string, RouteStats>();
  const listeners = new Set<OutcomeListener>();

  function routeStats(routeId: string): RouteStats {
    let stats = routes.get(routeId);
    if (!stats) {
      stats = {
        counts: { match: 0, mismatch: 0, error: 0, skipped: 0 },
        reasons: { error: new Map(), skipped: new Map() },
        mismatches: [],
        noisyPaths: new Set(),
      };
      routes.set(routeId, stats);
    }
    return stats;
  }

  function snapshotOf(stats: RouteStats | undefined): RouteShadowSnapshot {
    return {
      match: stats?.counts.match ?? 0,
      mismatch: stats?.counts.mismatch ?? 0,
      error: stats?.counts.error ?? 0,
      skipped: stats?.counts.skipped ?? 0,
      reasons: {
        error: Object.fromEntries(stats?.reasons.error ?? []),
        skipped: Object.fromEntries(stats?.reasons.skipped ?? []),
      },
      recentMismatches: (stats?.mismatches ?? []).map((m) => ({ ...m, differences: m.differences.map((d) => ({ ...d })) })),
      noisyPaths: [...(stats?.noisyPaths ?? [])].sort(),
    };
  }

  function record(routeId: string, outcome: ShadowOutcome): void {
    const stats = routeStats(routeId);
    stats.counts[outcome.result]++;
    if (outcome.noisyPaths) stats.noisyPaths = outcome.noisyPaths;
    if (outcome.result === 'error' || outcome.result === 'skipped') {
      const reasons = stats.reasons[outcome.result];
      const reason = reasons.has(outcome.reason) || reasons.size < MAX_REASONS ? outcome.reason : 'other';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    if (outcome.result === 'mismatch') {
      stats.mismatches.unshift({
        at: now().toISOString(),
        correlationId: outcome.correlationId,
        differenceCount: outcome.differences.length,
        differences: outcome.differences.slice(0, DIFFERENCES_PER_MISMATCH),
      });
      stats.mismatches.length = Math.min(stats.mismatches.length, keep);
    }
    for (const listener of listeners) {
      try {
        listener(routeId, outcome);
      } catch {
        // A broken subscriber must not stop counting, nor reach the request.
      }
    }
  }

  function snapshot(): Record<string, RouteShadowSnapshot>;
  function snapshot(routeId: string): RouteShadowSnapshot;
  function snapshot(routeId?: string): RouteShadowSnapshot | Record<string, RouteShadowSnapshot> {
    if (routeId !== undefined) return snapshotOf(routes.get(routeId));
    return Object.fromEntries([...routes].map(([id, stats]) => [id, snapshotOf(stats)]));
  }

  return {
    record,
    snapshot,
    onOutcome(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
